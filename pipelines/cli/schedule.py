"""`folio schedule JOB --at WHEN`: a one-off run later (fired by the due-jobs sensor)."""

from __future__ import annotations

from pathlib import Path

import click

from pipelines.cli.common import console, fail, migrated_engine


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


@click.command("schedule")
@click.argument("job_name")
@click.option(
    "--at",
    "at",
    required=True,
    help="When: ISO 8601, e.g. 2026-12-01T09:30 (county time if no offset) or "
    "2026-12-01T09:30-05:00.",
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
def schedule_cmd(job_name: str, at: str, config_file: Path | None, partition: str | None) -> None:
    """Launch JOB once at a later time (the due-jobs sensor fires it; needs the Dagster daemon)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from pipelines.location.definitions import defs
    from pipelines.settings import get_settings
    from pipelines.upkeep.delayed_jobs import schedule_job

    names = sorted(j.name for j in defs.resolve_all_job_defs() if not j.name.startswith("__"))
    if job_name not in names:
        fail(f"no job {job_name!r}; jobs: {', '.join(names)}")
    try:
        when = datetime.fromisoformat(at)
    except ValueError:
        fail(f"--at {at!r} is not ISO 8601 (e.g. 2026-12-01T09:30 or 2026-12-01T09:30-05:00)")
    if when.tzinfo is None:
        when = when.replace(tzinfo=ZoneInfo(get_settings().timezone))
    job_id = schedule_job(migrated_engine(), job_name, when, _read_config(config_file), partition)
    console.print(
        f"scheduled {job_name} for {when.isoformat()} (request {job_id}; run_key "
        f"scheduled-job-{job_id})"
    )
