"""Every `folio` command that offers --json prints one JSON document that parses, at 80
columns. The commands are found by walking the CLI, so a new --json command fails this
test until it is given arguments here."""

import json

import click
import pytest
from click.testing import CliRunner

from pipelines.cli import main

ARGS = {
    "runs list": [],
    "runs show": ["RUN"],
    "health": [],
    "metrics": [],
    "schedule list": ["--all"],
    "dlq list": ["--all"],
    "tenants list": [],
    "tenants key list": ["acme"],
    "outreach list": ["--tenant", "acme"],
    "subscribers list": ["--tenant", "acme"],
    "listings quarantine": ["--tenant", "acme"],
    "outbox list": [],
    "tick": [],
    "tokens balance": ["acme"],
    "tokens history": ["acme"],
    "optout list": [],
    "status": [],
}


def json_commands() -> list[str]:
    def walk(cmd, path):
        if isinstance(cmd, click.Group):
            for name, sub in cmd.commands.items():
                yield from walk(sub, [*path, name])
        elif any("--json" in getattr(p, "opts", []) for p in cmd.params):
            yield " ".join(path)

    return sorted(walk(main, []))


def test_every_json_command_is_covered():
    assert json_commands() == sorted(ARGS)


@pytest.fixture(scope="module")
def cli(tmp_path_factory):
    home = tmp_path_factory.mktemp("cli")
    env = {
        "FOLIO_DATA_DIR": str(home / "data"),
        "DAGSTER_HOME": str(home / "dagster"),
        "COLUMNS": "80",
    }
    (home / "dagster").mkdir()
    runner = CliRunner()

    def folio(*args):
        return runner.invoke(main, list(args), env=env, catch_exceptions=False)

    assert folio("tenants", "add", "acme", "--name", "Acme").exit_code == 0
    assert (
        folio("subscribers", "add", "--tenant", "acme", "--email", "a@acme.example").exit_code == 0
    )
    assert folio("tokens", "grant", "acme", "30", "--reason", "test").exit_code == 0
    assert folio("optout", "add", "+13055550100").exit_code == 0
    assert folio("schedule", "cleanup", "--at", "2099-01-01T00:00").exit_code == 0
    ran = folio("run", "digest", "--date", "2026-11-23")
    assert ran.exit_code == 0, ran.output
    run_id = json.loads(folio("runs", "list", "--json").output)[0]["run_id"]
    return folio, run_id


@pytest.mark.parametrize("command", sorted(ARGS))
def test_json_parses(cli, command):
    folio, run_id = cli
    args = [a.replace("RUN", run_id[:8]) for a in ARGS[command]]
    result = folio(*command.split(), *args, "--json")
    assert result.exit_code in (0, 1), result.output  # health exits 1 when unhealthy
    body = json.loads(result.output)
    if command == "tokens balance":
        assert body == {"available": 30, "reserved": 0, "expiring_soon": []}
    if command == "runs show":
        assert body["run_id"] == run_id and body["status"] == "SUCCESS"
    if command == "tenants key list":
        assert [(k["id"], k["label"], k["revoked_at"]) for k in body] == [(1, "first key", None)]
    if command == "outreach list":
        assert body == []
    if command == "optout list":
        assert [r["phone"] for r in body] == ["+13055550100"]


def test_every_command_and_option_says_what_it_does():
    def walk(cmd, path):
        yield path, cmd
        if isinstance(cmd, click.Group):
            for name, sub in cmd.commands.items():
                yield from walk(sub, [*path, name])

    silent = [
        f"{' '.join(path)} {'/'.join(p.opts) if p is not None else ''}".strip()
        for path, cmd in walk(main, ["folio"])
        for p in [None, *[o for o in cmd.params if isinstance(o, click.Option)]]
        if (p is None and not (cmd.help or "").strip())
        or (p is not None and not p.help and not {"--help", "--version"} & set(p.opts))
    ]
    assert silent == []


def test_version():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("folio, version ")
