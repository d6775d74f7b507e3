"""Every 5 minutes, a `queue_metrics` row per job (a sensor writes it; no run is launched).

`run_metrics` is also what `folio metrics` prints, so the recorded rows and the command
always agree.
"""

from datetime import datetime, timezone

from dagster import (
    DagsterInstance,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunsFilter,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from pipelines import clock
from pipelines.settings import get_settings
from pipelines.upkeep.run_metrics import WINDOWS, RunFact, job_metrics, record_snapshot
from resources.database import FolioDatabase

QUEUED = {DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED}
IN_PROGRESS = {DagsterRunStatus.STARTING, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING}
FINISHED = [DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE]


def run_metrics(instance: DagsterInstance, now: float | None = None) -> dict[str, dict]:
    """Per job, from the instance's run records (its API, never its tables)."""
    now = now or clock.now().timestamp()
    live = [
        RunFact(
            r.dagster_run.job_name, "queued" if r.dagster_run.status in QUEUED else "in_progress"
        )
        for r in instance.get_run_records(RunsFilter(statuses=list(QUEUED | IN_PROGRESS)))
    ]
    finished = {}
    for window, seconds in WINDOWS.items():
        since = datetime.fromtimestamp(now - seconds, timezone.utc)
        records = instance.get_run_records(RunsFilter(updated_after=since, statuses=FINISHED))
        finished[window] = [
            RunFact(
                r.dagster_run.job_name, r.dagster_run.status.value.lower(), r.start_time, r.end_time
            )
            for r in records
        ]
    return job_metrics(live, finished)


@sensor(
    name="queue_metrics_sensor",
    minimum_interval_seconds=get_settings().queue_metrics_interval_seconds,
    default_status=DefaultSensorStatus.RUNNING,
    description="Snapshot of the run queue per job → queue_metrics.",
)
def queue_metrics_sensor(context: SensorEvaluationContext, database: FolioDatabase):
    written = record_snapshot(database.engine(), run_metrics(context.instance), clock.now())
    return SkipReason(f"recorded {written} queue_metrics row(s)")
