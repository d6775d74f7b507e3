"""Start email delivery when the outbox has queued messages.

Cursor = the last notification id handed to a delivery run; run_key = email:<that id>. A
delivery run sends every queued email up to its id, leftovers of earlier runs included,
and claims each one atomically, so overlapping runs never send a message twice. Queued
messages left behind by a run that died are swept up after `SWEEP_AFTER` by a run keyed
by the time window, so they are retried at most once per window; the same sweep settles
messages stuck in `sending` (as `unknown`: they may have gone out), even when nothing new
is queued.
"""

from datetime import timedelta

from dagster import (
    DefaultSensorStatus,
    RunConfig,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from pipelines import clock
from pipelines.location.ops.delivery import DeliveryConfig
from pipelines.notify.delivery import email_backlog
from pipelines.settings import get_settings
from resources.database import FolioDatabase

SWEEP_AFTER = timedelta(minutes=10)


def _request(up_to: int, key: str) -> RunRequest:
    return RunRequest(
        run_key=key,
        run_config=RunConfig(ops={"send_queued_email": DeliveryConfig(up_to_id=up_to)}),
        tags={"folio/outbox_up_to": str(up_to)},
    )


@sensor(
    name="email_outbox_sensor",
    job_name="deliver_email",
    minimum_interval_seconds=get_settings().outbox_sensor_interval_seconds,
    default_status=DefaultSensorStatus.RUNNING,
    description="Launches deliver_email for queued emails; cursor = last notification id handed "
    "on.",
)
def email_outbox_sensor(context: SensorEvaluationContext, database: FolioDatabase):
    after = int(context.cursor or 0)
    backlog = email_backlog(database.engine(), after)
    if backlog.newest_queued_id is not None and backlog.newest_queued_id > after:
        newest = backlog.newest_queued_id
        return SensorResult(run_requests=[_request(newest, f"email:{newest}")], cursor=str(newest))
    now = clock.now()
    left_behind = (
        backlog.oldest_left_behind is not None and now - backlog.oldest_left_behind > SWEEP_AFTER
    )
    if left_behind or backlog.stale_sending:
        # Queued mail a dead run left, or mail stuck in `sending` (which the run settles as
        # unknown): at most one sweep per window.
        window = int(now.timestamp() // SWEEP_AFTER.total_seconds())
        return _request(after, f"email-sweep:{after}:{window}")
    return SkipReason("no new queued email")
