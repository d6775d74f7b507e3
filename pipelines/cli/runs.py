"""`folio runs`: runs in the Dagster instance (list, show, cancel, retry)."""

from __future__ import annotations

import click

from pipelines.cli.common import console, emit_json, fail, json_option, table

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


@runs.command("list")
@click.option("--job", help="Only this job.")
@click.option(
    "--status", type=click.Choice(STATUSES, case_sensitive=False), help="Only runs in this state."
)
@click.option(
    "--limit", default=50, show_default=True, help="At most this many runs, newest first."
)
@json_option
def runs_list(job: str | None, status: str | None, limit: int, as_json: bool) -> None:
    """Recent runs with their job, status, partition and duration. Run ids are shown whole;
    every command that takes one also takes a unique prefix of it."""
    from pipelines.control.instance import get_instance
    from pipelines.control.runs import list_runs

    views = list_runs(get_instance(), job, status, limit)
    if as_json:
        return emit_json([{**v.__dict__, "seconds": v.seconds} for v in views])
    t = table("run id", "job", "status", "partition", "s", whole={"run id": 36})  # scripts copy it
    for v in views:
        t.add_row(
            v.run_id, v.job_name, v.status, v.partition, "" if v.seconds is None else str(v.seconds)
        )
    console.print(t if views else "no runs")


def _resolve(instance, given: str) -> str:
    from pipelines.control.runs import resolve_run_id

    try:
        return resolve_run_id(instance, given)
    except LookupError as exc:
        fail(str(exc))


@runs.command("show")
@click.argument("run_id")
@json_option
def runs_show(run_id: str, as_json: bool) -> None:
    """One run (RUN_ID: the id or a unique prefix): status, partition, and each step with
    its attempts of max attempts."""
    from pipelines.control.instance import get_instance
    from pipelines.control.runs import max_attempts, show_run

    instance = get_instance()
    run_id = _resolve(instance, run_id)
    record = instance.get_run_by_id(run_id)
    info = show_run(instance, run_id, max_attempts(record.job_name) if record else None)
    if info is None:
        fail(f"no run {run_id} (see `folio runs list`)")
    if as_json:
        return emit_json(info)
    console.print(
        f"run {info['run_id']}  job {info['job']}  status {info['status']}  "
        f"partition {info['partition'] or '-'}  {info['seconds'] or '-'} s"
    )
    t = table("step", "status", "attempts", "seconds")
    for step in info["steps"]:
        t.add_row(step["step"], step["status"], step["attempts"], str(step["seconds"] or ""))
    console.print(t)


@runs.command("cancel")
@click.argument("run_id")
def runs_cancel(run_id: str) -> None:
    """Cancel a queued run, or ask a started one to stop (RUN_ID: the id or a unique prefix)."""
    from pipelines.control.instance import get_instance
    from pipelines.control.runs import cancel_run

    instance = get_instance()
    run_id = _resolve(instance, run_id)
    try:
        state = cancel_run(instance, run_id)
    except (LookupError, ValueError) as exc:
        fail(str(exc))
    console.print(f"run {run_id}: {state}")


@runs.command("retry")
@click.argument("run_id")
def runs_retry(run_id: str) -> None:
    """Run the same job for the same partition again, with the same run config and tags (a
    new run; RUN_ID: the id or a unique prefix). A failure re-opens the run's dead letter."""
    from pipelines.control.instance import get_instance
    from pipelines.control.runner import rerun

    instance = get_instance()
    run_id = _resolve(instance, run_id)
    try:
        outcome = rerun(instance, run_id)
    except LookupError:
        fail(f"no run {run_id} (see `folio runs list`)")
    if not outcome.success:
        fail(f"retry run {outcome.run_id} failed: {outcome.error}")
    console.print(f"run {run_id} retried as {outcome.run_id}: succeeded ({outcome.where})")
