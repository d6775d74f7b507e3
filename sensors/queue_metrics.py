"""Every 5 minutes, a `queue_metrics` row per job (a sensor writes it; no run is launched)."""

from datetime import datetime, timezone

from dagster import DefaultSensorStatus, SensorEvaluationContext, SkipReason, sensor

from pipelines.health import job_metrics
from pipelines.settings import get_settings
from pipelines.store.tables import queue_metrics
from resources.database import FolioDatabase


@sensor(name="queue_metrics_sensor", minimum_interval_seconds=get_settings().queue_metrics_interval_seconds,
        default_status=DefaultSensorStatus.RUNNING, description="Snapshot of the run queue per job → queue_metrics.")
def queue_metrics_sensor(context: SensorEvaluationContext, database: FolioDatabase):
    now = datetime.now(timezone.utc)
    rows = [{"recorded_at": now, "job_name": job, "queued": m["queued"], "in_progress": m["in_progress"],
             "succeeded_1h": m["succeeded_1h"], "failed_1h": m["failed_1h"], "failed_rate_1h": m["failed_rate_1h"],
             "p50_seconds_1h": m["p50_seconds_1h"], "p95_seconds_1h": m["p95_seconds_1h"]}
            for job, m in job_metrics(context.instance).items()]
    if rows:
        with database.engine().begin() as conn:
            conn.execute(queue_metrics.insert(), rows)
    return SkipReason(f"recorded {len(rows)} queue_metrics row(s)")
