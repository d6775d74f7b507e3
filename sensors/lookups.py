"""Launch one lookup run per queued lookup request (run_key = lookup:<request id>), URGENT,
at most 10 at once through the run queue's `folio/family=lookups` limit."""

from datetime import timedelta

from dagster import DefaultSensorStatus, SensorEvaluationContext, SkipReason, sensor

from pipelines.location.ops.lookups import LookupConfig
from pipelines.lookups.requests import fail_abandoned, queued_after
from pipelines.settings import get_settings
from resources.database import FolioDatabase
from sensors.per_request import one_run_per_request

# Longer than a lookup run may take (its max runtime is 5 minutes).
ABANDONED_AFTER = timedelta(minutes=10)


@sensor(
    name="lookup_requests_sensor",
    job_name="lookups",
    minimum_interval_seconds=get_settings().lookups_sensor_interval_seconds,
    default_status=DefaultSensorStatus.RUNNING,
    description="One lookups run per queued lookup request; cursor = last request id handed on.",
)
def lookup_requests_sensor(context: SensorEvaluationContext, database: FolioDatabase):
    after, engine = int(context.cursor or 0), database.engine()
    abandoned = fail_abandoned(engine, ABANDONED_AFTER)
    if abandoned:
        context.log.warning(
            f"lookups {abandoned}: their runs stopped mid-call; failed, units released"
        )
    ids = queued_after(engine, after)
    if not ids:
        return SkipReason(f"no queued lookup after request {after}")
    return one_run_per_request("lookup", "perform_records_lookup", LookupConfig, ids)
