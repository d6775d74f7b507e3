"""Every final failure lands in the dead-letter queue however the run was launched: a
failed `folio run` makes one open entry; a `folio dlq retry` that fails again re-opens that
entry (attempts + 1) instead of adding one; a retry that succeeds resolves it, reading the
files from the original run's --source; a plain `folio run` of the partition that succeeds
resolves an entry too."""

import json
import os
import subprocess
import sys

from pipelines.control.instance import get_instance
from pipelines.db.engine import get_engine
from pipelines.upkeep.dead_letters import list_failed
from tests.builders import doc, write_partition

DAY = "2026-01-05"


def folio(*args, cwd):
    env = {k: v for k, v in os.environ.items() if k != "FOLIO_SOURCE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        env={**env, "COLUMNS": "80"},
    )


def entries(cwd) -> list[dict]:
    """Every entry, as `folio dlq list --all --json` prints them (read directly: quicker)."""
    rows = list_failed(get_engine(f"sqlite:///{cwd / 'data' / 'folio.db'}"), None)
    return [{**r, "tags": json.loads(r["tags"])} for r in rows]


def test_cli_failure_failed_retry_and_good_retry(tmp_path):
    src = tmp_path / "elsewhere"
    write_partition(src, DAY, {"OfficialRecords.exp": "\r\n" * 10})  # blank: refused
    ran = folio("run", "daily", "--date", DAY, "--source", str(src), cwd=tmp_path)
    assert ran.returncode == 1 and ran.stderr == ""  # no Dagster log, no stack trace
    said = " ".join(ran.stdout[ran.stdout.find("error: run ") :].split())
    assert said.startswith("error: run ") and "Traceback" not in ran.stdout
    assert "no data rows (only blank lines)" in said
    [entry] = entries(tmp_path)
    first_run = entry["run_id"]
    assert (entry["status"], entry["attempts"], entry["job_name"], entry["partition_key"]) == (
        "open",
        1,
        "daily_ingestion",
        DAY,
    )
    assert "no data rows" in entry["error_message"]
    assert entry["tags"]["folio/family"] == "ingestion"

    again = folio("dlq", "retry", str(entry["id"]), cwd=tmp_path)
    assert again.returncode == 1 and "stays open" in " ".join(again.stdout.split())
    [entry] = entries(tmp_path)  # still one entry: re-opened, not added
    assert (entry["status"], entry["attempts"], entry["run_id"]) == ("open", 2, first_run)
    retry_run = get_instance().get_run_by_id(entry["retry_run_id"])
    assert retry_run.tags["folio/retry_of"] == first_run
    assert retry_run.run_config["resources"]["file_source"]["config"]["url"] == str(src.resolve())

    write_partition(
        src,
        DAY,
        {"OfficialRecords.exp": doc(1, "20260105", "WD", "3040120010010", consideration_1="1")},
    )
    fixed = folio("dlq", "retry", str(entry["id"]), cwd=tmp_path)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "entry resolved" in " ".join(fixed.stdout.split())
    [entry] = entries(tmp_path)
    assert (entry["status"], entry["attempts"]) == ("resolved", 2)
    assert entry["resolved_run_id"] == entry["retry_run_id"]  # the retry that succeeded
    assert get_instance().get_run_by_id(entry["resolved_run_id"]).is_success
    assert folio("dlq", "list", "--json", cwd=tmp_path).stdout.strip() == "[]"  # none open


def test_a_killed_run_s_entry_resolves_when_folio_run_of_its_partition_succeeds(
    tmp_path, monkeypatch
):
    """Not a `dlq retry`: a run was killed (the daemon's sensors failed it into the queue),
    and the operator runs the partition again with `folio run` (in-process: a process start
    per command is the other test's business)."""
    from click.testing import CliRunner

    from pipelines.cli import main
    from sensors.orphaned_runs import fail_orphaned_runs
    from tests.sensors.test_dead_letter import DIGEST, _evaluate, _killed_run

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    cli = CliRunner()
    assert cli.invoke(main, ["db", "upgrade"]).exit_code == 0
    url = f"sqlite:///{tmp_path / 'data' / 'folio.db'}"
    instance = get_instance()
    killed = _killed_run(instance, DAY)
    assert fail_orphaned_runs(instance) == [killed.run_id]
    _evaluate(instance, killed.run_id, url)
    [entry] = entries(tmp_path)
    assert (entry["run_id"], entry["job_name"], entry["status"]) == (killed.run_id, DIGEST, "open")

    ran = cli.invoke(main, ["run", "digest", "--date", DAY])
    assert ran.exit_code == 0, ran.output
    [entry] = entries(tmp_path)
    run = instance.get_run_by_id(entry["resolved_run_id"])
    assert (entry["status"], run.is_success, run.tags["dagster/partition"]) == (
        "resolved",
        True,
        DAY,
    )
    listed = cli.invoke(main, ["dlq", "list", "--all"]).output
    assert f"resolved by {entry['resolved_run_id'][:8]}" in listed
    assert cli.invoke(main, ["dlq", "list", "--json"]).output.strip() == "[]"
