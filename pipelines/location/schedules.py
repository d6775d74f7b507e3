"""Cron schedules (America/New_York): ingestion per cadence, nightly scoring, cleanup."""

from __future__ import annotations

from dagster import (
    DefaultScheduleStatus,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SkipReason,
    partition_loading_context,
    schedule,
)

from assets.partitions import PARTITIONS_BY_CADENCE
from pipelines.county.partition_keys import format_key
from pipelines.location.jobs import (
    cleanup_job,
    daily_digest_job,
    daily_ingestion_job,
    lead_scoring_job,
    market_report_job,
    monthly_ingestion_job,
    token_expiry_job,
    weekly_ingestion_job,
    weekly_report_job,
)
from pipelines.settings import get_settings

_s = get_settings()
# Schedules run as soon as the daemon does (FOLIO_SCHEDULES=stopped: they wait to be turned
# on in the UI). docs/operations.md#schedules
DEFAULT_STATUS = (
    DefaultScheduleStatus.STOPPED if _s.schedules == "stopped" else DefaultScheduleStatus.RUNNING
)


def _ingestion_schedule(cadence: str, job, cron: str, description: str, name: str | None = None):
    """A schedule that runs `job` for the last complete partition of `cadence` at its tick."""
    pdef = PARTITIONS_BY_CADENCE[cadence]

    @schedule(
        name=name or f"{cadence}_ingestion_schedule",
        job=job,
        cron_schedule=cron,
        execution_timezone=_s.timezone,
        description=description,
        default_status=DEFAULT_STATUS,
    )
    def _schedule(context: ScheduleEvaluationContext):
        # The last *complete* partition at the tick: the previous business day, week or month.
        with partition_loading_context(effective_dt=context.scheduled_execution_time):
            window = pdef.get_last_partition_window()
        if window is None:
            return SkipReason(f"no complete {cadence} partition yet (before the start date)")
        key = format_key(cadence, window.start)
        return RunRequest(run_key=f"{cadence}-{key}", partition_key=key)

    return _schedule


daily_ingestion_schedule = _ingestion_schedule(
    "daily",
    daily_ingestion_job,
    _s.daily_cron,
    "Mon–Fri 06:00: ingest the last complete business day (Monday's tick takes Friday).",
)
weekly_ingestion_schedule = _ingestion_schedule(
    "weekly", weekly_ingestion_job, _s.weekly_cron, "Monday 07:00: ingest the week that just ended."
)
monthly_ingestion_schedule = _ingestion_schedule(
    "monthly",
    monthly_ingestion_job,
    _s.monthly_cron,
    "1st of the month 08:00: ingest the previous month.",
)
lead_scoring_schedule = ScheduleDefinition(
    name="lead_scoring_schedule",
    job=lead_scoring_job,
    cron_schedule=_s.scoring_cron,
    execution_timezone=_s.timezone,
    default_status=DEFAULT_STATUS,
)
cleanup_schedule = ScheduleDefinition(
    name="cleanup_schedule",
    job=cleanup_job,
    cron_schedule=_s.cleanup_cron,
    execution_timezone=_s.timezone,
    default_status=DEFAULT_STATUS,
)
token_expiry_schedule = ScheduleDefinition(
    name="token_expiry_schedule",
    job=token_expiry_job,
    cron_schedule=_s.token_expiry_cron,
    execution_timezone=_s.timezone,
    default_status=DEFAULT_STATUS,
)

daily_digest_schedule = _ingestion_schedule(
    "daily",
    daily_digest_job,
    _s.digest_cron,
    "Mon–Fri 07:30, after the 06:00 ingestion: the digest of the business day just ingested.",
    name="daily_digest_schedule",
)
weekly_report_schedule = _ingestion_schedule(
    "weekly",
    weekly_report_job,
    _s.weekly_report_cron,
    "Monday 08:00: each subscriber's report of the week that just ended.",
    name="weekly_report_schedule",
)

market_report_schedule = _ingestion_schedule(
    "daily",
    market_report_job,
    _s.market_report_cron,
    "Mon–Fri 07:15, after the 06:00 ingestion: the market report of the business day ingested.",
    name="market_report_schedule",
)
