"""`folio runs`: runs in the Dagster instance (list, show, cancel, retry)."""

from __future__ import annotations

import click
from rich.table import Table

from pipelines.cli.common import console, fail

STATUSES = [
    "queued",
    "not_started",
    "started",
    "success",
    "failure",
    "canceled",
    "canceling",
    "starting",
]


@click.group()
def runs() -> None:
    """Runs in the Dagster instance: list, show, cancel, retry."""


def _max_attempts(job_name: str) -> int | None:
    from pipelines.location.definitions import defs

    try:
        policy = defs.resolve_job_def(job_name).op_retry_policy
    except Exception:
        return None
    return policy.max_retries + 1 if policy else 1


@runs.command("list")
@click.option("--job", help="Only this job.")
@click.option(
    "--status", type=click.Choice(STATUSES, case_sensitive=False), help="Only runs in this state."
)
@click.option(
    "--limit", default=50, show_default=True, help="At most this many runs, newest first."
)
def runs_list(job: str | None, status: str | None, limit: int) -> None:
    """Recent runs with their job, status, partition and duration."""
    from pipelines.control.instance import get_instance
    from pipelines.control.runs import list_runs

    views = list_runs(get_instance(), job, status, limit)
    t = Table("run id", "job", "status", "partition", "seconds")
    for v in views:
        t.add_row(
            v.run_id, v.job_name, v.status, v.partition, "" if v.seconds is None else str(v.seconds)
        )
    console.print(t if views else "no runs")


@runs.command("show")
@click.argument("run_id")
def runs_show(run_id: str) -> None:
    """One run: status, partition, and each step with its attempts."""
    from pipelines.control.instance import get_instance
    from pipelines.control.runs import show_run

    instance = get_instance()
    record = instance.get_run_by_id(run_id)
    info = show_run(instance, run_id, _max_attempts(record.job_name) if record else None)
    if info is None:
        fail(f"no run {run_id} (see `folio runs list`)")
    console.print(
        f"run {info['run_id']}  job {info['job']}  status {info['status']}  "
        f"partition {info['partition'] or '-'}  {info['seconds'] or '-'} s"
    )
    t = Table("step", "status", "attempts", "seconds")
    for step in info["steps"]:
        t.add_row(step["step"], step["status"], step["attempts"], str(step["seconds"] or ""))
    console.print(t)


@runs.command("cancel")
@click.argument("run_id")
def runs_cancel(run_id: str) -> None:
    """Cancel a queued run, or ask a started one to stop."""
    from pipelines.control.instance import get_instance
    from pipelines.control.runs import cancel_run

    try:
        state = cancel_run(get_instance(), run_id)
    except (LookupError, ValueError) as exc:
        fail(str(exc))
    console.print(f"run {run_id}: {state}")


@runs.command("retry")
@click.argument("run_id")
def runs_retry(run_id: str) -> None:
    """Run the same job for the same partition again, with the same run config (a new run)."""
    from pipelines.control.instance import get_instance
    from pipelines.control.runner import rerun

    try:
        outcome = rerun(get_instance(), run_id)
    except LookupError:
        fail(f"no run {run_id} (see `folio runs list`)")
    if not outcome.success:
        fail(f"retry run {outcome.run_id} failed: {outcome.error}")
    console.print(f"run {run_id} retried as {outcome.run_id}: succeeded")
