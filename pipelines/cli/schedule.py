"""`folio schedule JOB --at WHEN` (a one-off run later, fired by the due-jobs sensor),
`folio schedule list` and `folio schedule cancel ID`."""

from __future__ import annotations

from pathlib import Path

import click

from pipelines import clock
from pipelines.cli.common import console, emit_json, fail, json_option, migrated_engine, table


class _JobOrCommand(click.Group):
    """`folio schedule JOB --at …` adds a job; `list` and `cancel` are subcommands."""

    def resolve_command(self, ctx, args):
        if args and args[0] not in self.commands:
            args = ["add", *args]
        return super().resolve_command(ctx, args)


@click.group("schedule", cls=_JobOrCommand)
def schedule_cmd() -> None:
    """One-off runs later: `folio schedule JOB --at WHEN`, `folio schedule list`,
    `folio schedule cancel ID` (fired by the due_jobs_sensor; needs the Dagster daemon)."""


def _read_config(config_file: Path | None) -> dict:
    import yaml

    if not config_file:
        return {}
    try:
        config = yaml.safe_load(config_file.read_text()) or {}
    except yaml.YAMLError as exc:
        fail(f"{config_file}: not YAML/JSON: {exc}")
    if not isinstance(config, dict):
        fail(f"{config_file}: run config must be a mapping")
    return config


@schedule_cmd.command("add")
@click.argument("job_name")
@click.option(
    "--at",
    "at",
    required=True,
    help="When: ISO 8601, e.g. 2026-12-01T09:30 (county time if no offset) or "
    "2026-12-01T09:30-05:00, or `now` (the next sensor tick). A past time is refused.",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Run config as YAML or JSON.",
)
@click.option(
    "--partition", help="Partition key, for partitioned jobs (YYYY-MM-DD, or YYYY-MM for monthly)."
)
def schedule_add(job_name: str, at: str, config_file: Path | None, partition: str | None) -> None:
    """Launch JOB once at a later time (the due-jobs sensor fires it; needs the Dagster daemon)."""
    from datetime import timedelta

    from pipelines.location.definitions import defs
    from pipelines.upkeep.delayed_jobs import schedule_job

    names = sorted(j.name for j in defs.resolve_all_job_defs() if not j.name.startswith("__"))
    if job_name not in names:
        fail(f"no job {job_name!r}; jobs: {', '.join(names)}")
    now = clock.now()
    try:
        when = now if at.strip().lower() == "now" else clock.parse_local(at)
    except ValueError as exc:
        fail(f"--at: {exc}")
    if when < now - timedelta(seconds=60):
        fail(
            f"--at {clock.show(when)} is in the past (it is {clock.show(now)} now); "
            "use --at now to run it at the next tick"
        )
    job_id = schedule_job(migrated_engine(), job_name, when, _read_config(config_file), partition)
    console.print(
        f"scheduled {job_name} for {clock.show(when)} ({when.isoformat(timespec='minutes')}; "
        f"request {job_id}, run_key scheduled-job-{job_id})"
    )


@schedule_cmd.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include launched and canceled ones.")
@json_option
def schedule_list(show_all: bool, as_json: bool) -> None:
    """One-off runs waiting for their time (with --all: launched and canceled too)."""
    from pipelines.upkeep.delayed_jobs import list_scheduled

    rows = list_scheduled(migrated_engine(), None if show_all else "pending")
    if as_json:
        return emit_json(rows)
    if not rows:
        console.print("nothing scheduled")
        return
    t = table("id", "job", "at", "partition", "status")
    for r in rows:
        t.add_row(
            str(r["id"]),
            r["job_name"],
            clock.show(r["run_at"]),
            r["partition_key"] or "",
            r["status"],
        )
    console.print(t)


@schedule_cmd.command("cancel")
@click.argument("job_id", type=int)
def schedule_cancel(job_id: int) -> None:
    """Cancel a one-off run that has not been launched yet."""
    from pipelines.upkeep.delayed_jobs import cancel_scheduled

    if not cancel_scheduled(migrated_engine(), job_id):
        fail(f"no pending scheduled job {job_id} (see `folio schedule list --all`)")
    console.print(f"scheduled job {job_id} canceled")
