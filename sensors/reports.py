"""Launch one reports run per queued report request (run_key = report:<request id>)."""

from dagster import (
    DefaultSensorStatus,
    RunConfig,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from pipelines.location.ops.reports import ReportConfig
from pipelines.reports.requests import queued_after
from pipelines.settings import get_settings
from resources.database import FolioDatabase


@sensor(
    name="report_requests_sensor",
    job_name="reports",
    minimum_interval_seconds=get_settings().reports_sensor_interval_seconds,
    default_status=DefaultSensorStatus.RUNNING,
    description="One reports run per queued report request; cursor = last request id handed on.",
)
def report_requests_sensor(context: SensorEvaluationContext, database: FolioDatabase):
    after = int(context.cursor or 0)
    ids = queued_after(database.engine(), after)
    if not ids:
        return SkipReason(f"no queued report request after {after}")
    requests = [
        RunRequest(
            run_key=f"report:{i}",
            tags={"folio/report": str(i)},
            run_config=RunConfig(ops={"build_requested_report": ReportConfig(request_id=i)}),
        )
        for i in ids
    ]
    return SensorResult(run_requests=requests, cursor=str(ids[-1]))
