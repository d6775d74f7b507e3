"""Cron schedules for the cadences (America/New_York)."""

from __future__ import annotations

from dagster import RunRequest, ScheduleEvaluationContext, SkipReason, partition_loading_context, schedule

from pipelines.jobs import daily_ingestion_job
from pipelines.partitions import daily_partitions
from pipelines.settings import get_settings

_s = get_settings()


@schedule(
    job=daily_ingestion_job,
    cron_schedule=_s.daily_cron,
    execution_timezone=_s.timezone,
    description="Mon–Fri 06:00: ingest the last complete business day (Monday's tick takes Friday).",
)
def daily_ingestion_schedule(context: ScheduleEvaluationContext):
    with partition_loading_context(effective_dt=context.scheduled_execution_time):
        window = daily_partitions.get_last_partition_window()
    if window is None:
        return SkipReason("no complete business-day partition yet (before the start date)")
    key = window.start.strftime("%Y-%m-%d")
    return RunRequest(run_key=f"daily-{key}", partition_key=key)
