"""Run status for the CLI, read from the Dagster instance (never from its tables directly)."""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from sensors.orphaned_runs import process_gone, process_of


@dataclass(frozen=True)
class RunView:
    run_id: str
    job_name: str
    status: str
    partition: str
    started: float | None
    ended: float | None

    @property
    def seconds(self) -> float | None:
        return (
            None
            if self.started is None or self.ended is None
            else round(self.ended - self.started, 1)
        )


def partition_of(tags: dict[str, str]) -> str:
    if "dagster/partition" in tags:
        return tags["dagster/partition"]
    start, end = (
        tags.get("dagster/asset_partition_range_start"),
        tags.get("dagster/asset_partition_range_end"),
    )
    return f"{start}..{end}" if start else ""


def max_attempts(job_name: str) -> int:
    """How many attempts a job's steps get (its op retry policy; 1 without one, or for a job
    no longer in the code location)."""
    from pipelines.location.definitions import defs

    try:
        policy = defs.resolve_job_def(job_name).op_retry_policy
    except Exception:  # noqa: BLE001 - a job name from an older deployment's runs
        return 1
    return policy.max_retries + 1 if policy else 1


def resolve_run_id(instance: DagsterInstance, given: str, scan: int = 5_000) -> str:
    """A run id from a full id or any unique prefix of one (as `git` takes commit ids);
    LookupError saying why when none or several match."""
    given = given.strip().lower()
    if instance.get_run_by_id(given) is not None:
        return given
    if len(given) < 4:
        raise LookupError(f"run id {given!r}: give at least 4 characters of it")
    found = [r.run_id for r in instance.get_runs(limit=scan) if r.run_id.startswith(given)]
    if not found:
        raise LookupError(f"no run {given} (see `folio runs list`)")
    if len(found) > 1:
        raise LookupError(f"run id {given!r} is ambiguous: {', '.join(found[:5])}")
    return found[0]


def list_runs(
    instance: DagsterInstance, job: str | None = None, status: str | None = None, limit: int = 50
) -> list[RunView]:
    statuses = [DagsterRunStatus(status.upper())] if status else None
    records = instance.get_run_records(RunsFilter(job_name=job, statuses=statuses), limit=limit)
    return [
        RunView(
            r.dagster_run.run_id,
            r.dagster_run.job_name,
            r.dagster_run.status.value,
            partition_of(r.dagster_run.tags),
            r.start_time,
            r.end_time,
        )
        for r in records
    ]


def show_run(instance: DagsterInstance, run_id: str, max_attempts: int | None) -> dict | None:
    record = instance.get_run_record_by_id(run_id)
    if record is None:
        return None
    run = record.dagster_run
    steps = [
        {
            "step": s.step_key,
            "status": s.status.value if s.status else "IN_PROGRESS",
            "attempts": f"{s.attempts or 1}/{max_attempts or 1}",
            "seconds": round(s.end_time - s.start_time, 2) if s.end_time and s.start_time else None,
        }
        for s in instance.get_run_step_stats(run_id)
    ]
    view = RunView(
        run.run_id,
        run.job_name,
        run.status.value,
        partition_of(run.tags),
        record.start_time,
        record.end_time,
    )
    return {
        "run_id": run_id,
        "job": run.job_name,
        "status": view.status,
        "partition": view.partition,
        "seconds": view.seconds,
        "steps": steps,
        "tags": dict(run.tags),
    }


CANCELABLE = {
    DagsterRunStatus.QUEUED,
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
}


def cancel_run(instance: DagsterInstance, run_id: str) -> str:
    """Cancel a queued run at once; ask the run launcher to stop a started one."""
    run = instance.get_run_by_id(run_id)
    if run is None:
        raise LookupError(f"no run {run_id}")
    if run.status not in CANCELABLE:
        raise ValueError(f"run {run_id} is {run.status.value}: nothing to cancel")
    if run.status in (DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED):
        instance.report_run_canceled(run, message="canceled with `folio runs cancel`")
        return "CANCELED"
    gone = process_gone(run.tags)
    if gone is not None:  # executed by a `folio` process on this host, not by the launcher
        if not gone:
            os.kill(process_of(run.tags)[1], signal.SIGTERM)
        instance.report_run_canceled(run, message="canceled with `folio runs cancel`")
        return "CANCELED"
    instance.report_run_canceling(run, message="cancel requested with `folio runs cancel`")
    if instance.run_launcher.terminate(run_id):
        return "CANCELING"
    raise ValueError(f"run {run_id} is {run.status.value} but its launcher could not stop it")
