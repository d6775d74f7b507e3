"""Launch one reports run per queued report request (run_key = report:<request id>)."""

from datetime import timedelta

from dagster import DefaultSensorStatus, SensorEvaluationContext, SkipReason, sensor

from pipelines.location.ops.reports import ReportConfig
from pipelines.reports.requests import fail_abandoned, queued_after
from pipelines.settings import get_settings
from resources.database import FolioDatabase
from sensors.per_request import one_run_per_request

# Longer than a report run may take (its max runtime is a minute, two attempts).
ABANDONED_AFTER = timedelta(minutes=10)


@sensor(
    name="report_requests_sensor",
    job_name="reports",
    minimum_interval_seconds=get_settings().reports_sensor_interval_seconds,
    default_status=DefaultSensorStatus.RUNNING,
    description="One reports run per queued report request; cursor = last request id handed on.",
)
def report_requests_sensor(context: SensorEvaluationContext, database: FolioDatabase):
    after, engine = int(context.cursor or 0), database.engine()
    abandoned = fail_abandoned(engine, ABANDONED_AFTER)
    if abandoned:
        context.log.warning(f"report requests {abandoned}: their runs stopped; failed")
    ids = queued_after(engine, after)
    if not ids:
        return SkipReason(f"no queued report request after {after}")
    return one_run_per_request("report", "build_requested_report", ReportConfig, ids)
