"""What the admin API and page show and do, from the Dagster instance: per-job queue counts
(the numbers `folio metrics` prints, plus one-offs scheduled for later), one run as a job
(state, progress, attempts, why it failed)."""

from __future__ import annotations

from collections import Counter

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter
from sqlalchemy import Engine

from pipelines.control.runs import max_attempts, partition_of
from pipelines.upkeep.delayed_jobs import list_scheduled
from pipelines.upkeep.run_metrics import empty_metrics
from pipelines.upkeep.summary import partitions_staged
from sensors.queue_metrics import run_metrics
from sensors.run_failures import failed_run_of

STATE = {  # Dagster's run states in the words queue dashboards use
    "QUEUED": "waiting",
    "NOT_STARTED": "waiting",
    "STARTING": "active",
    "STARTED": "active",
    "CANCELING": "active",
    "SUCCESS": "completed",
    "FAILURE": "failed",
    "CANCELED": "canceled",
}


def queues(instance: DagsterInstance, engine: Engine) -> dict[str, dict]:
    """Per job: waiting, active, completed and failed (1 h / 24 h), failed rate, p50/p95, and
    delayed (one-off runs scheduled for later)."""
    metrics = run_metrics(instance)
    delayed = Counter(row["job_name"] for row in list_scheduled(engine))
    out = {}
    for job in sorted(set(metrics) | set(delayed)):
        m = metrics.get(job) or empty_metrics()
        out[job] = {
            "waiting": m["queued"],
            "active": m["in_progress"],
            "delayed": delayed.get(job, 0),
            **{k: v for k, v in m.items() if k not in ("queued", "in_progress")},
        }
    return out


def _planned_steps(job_name: str) -> int | None:
    from pipelines.location.definitions import defs

    try:
        return len(defs.resolve_job_def(job_name).graph.nodes)
    except Exception:  # noqa: BLE001
        return None


def job_view(instance: DagsterInstance, engine: Engine, run_id: str) -> dict | None:
    record = instance.get_run_record_by_id(run_id)
    if record is None:
        return None
    run = record.dagster_run
    stats = instance.get_run_step_stats(run_id)
    done = sum(1 for s in stats if s.status and s.status.value == "SUCCESS")
    progress = {"unit": "steps", "done": done, "total": _planned_steps(run.job_name) or len(stats)}
    cadence = run.tags.get("folio/cadence")
    start = run.tags.get("dagster/asset_partition_range_start")
    if cadence and start and record.start_time:
        from datetime import datetime, timezone

        from pipelines.control.runner import partition_keys_between
        from pipelines.db.schema.layouts import layouts_for

        keys = partition_keys_between(cadence, start, run.tags["dagster/asset_partition_range_end"])
        since = datetime.fromtimestamp(record.start_time, timezone.utc)
        staged = partitions_staged(engine, cadence, keys, len(layouts_for(cadence)), since)
        progress = {"unit": "partitions", "done": staged, "total": len(keys)}
    attempts = max([s.attempts or 1 for s in stats] or [1])
    failure = None
    if run.status == DagsterRunStatus.FAILURE:
        failure = failed_run_of(instance, run).error_message
    return {
        "run_id": run_id,
        "job": run.job_name,
        "state": STATE.get(run.status.value, run.status.value.lower()),
        "status": run.status.value,
        "partition": partition_of(run.tags),
        "progress": progress,
        "attempts": attempts,
        "max_attempts": max_attempts(run.job_name),
        "failure": failure,
        "started_at": record.start_time,
        "ended_at": record.end_time,
        "retry_of": run.tags.get("folio/retry_of"),
    }


def recent_jobs(instance: DagsterInstance, engine: Engine, limit: int = 30) -> list[dict]:
    records = instance.get_run_records(RunsFilter(), limit=limit)
    return [
        {
            "run_id": r.dagster_run.run_id,
            "job": r.dagster_run.job_name,
            "state": STATE.get(r.dagster_run.status.value, r.dagster_run.status.value.lower()),
            "partition": partition_of(r.dagster_run.tags),
        }
        for r in records
    ]
