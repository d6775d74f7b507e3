"""Launch one reports run per queued report request (run_key = report:<request id>)."""

from datetime import timedelta

from pipelines.location.ops.reports import ReportConfig
from pipelines.reports.requests import fail_abandoned, queued_after
from pipelines.settings import get_settings
from sensors.work_queues import request_queue_sensor

report_requests_sensor = request_queue_sensor(
    name="report_requests_sensor",
    job_name="reports",
    kind="report",
    op_name="build_requested_report",
    config=ReportConfig,
    queued_after=queued_after,
    fail_abandoned=fail_abandoned,
    # Longer than a report run may take (its max runtime is a minute, two attempts).
    abandoned_after=timedelta(minutes=10),
    abandoned_said="their runs stopped; failed",
    interval_seconds=get_settings().reports_sensor_interval_seconds,
)
