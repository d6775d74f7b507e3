"""Launch one lookup run per queued lookup request (run_key = lookup:<request id>), URGENT,
at most 10 at once through the run queue's `folio/family=lookups` limit."""

from datetime import timedelta

from pipelines.location.ops.lookups import LookupConfig
from pipelines.lookups.requests import fail_abandoned, queued_after
from pipelines.settings import get_settings
from sensors.work_queues import request_queue_sensor

lookup_requests_sensor = request_queue_sensor(
    name="lookup_requests_sensor",
    job_name="lookups",
    kind="lookup",
    op_name="perform_records_lookup",
    config=LookupConfig,
    queued_after=queued_after,
    fail_abandoned=fail_abandoned,
    # Longer than a lookup run may take (its max runtime is 5 minutes).
    abandoned_after=timedelta(minutes=10),
    abandoned_said="their runs stopped mid-call; failed, units released",
    interval_seconds=get_settings().lookups_sensor_interval_seconds,
)
