"""Start email delivery when the outbox has queued messages.

Cursor = the last notification id handed to a delivery run; run_key = email:<that id>. A
delivery run sends every queued email up to its id, leftovers of earlier runs included,
and claims each one atomically, so overlapping runs never send a message twice. Queued
messages left behind by a run that died are swept up after `SWEEP_AFTER` by a run keyed
by the time window, so they are retried at most once per window.
"""

from datetime import datetime, timedelta, timezone

from dagster import (
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)
from sqlalchemy import func, select

from pipelines.settings import get_settings
from pipelines.store.tables import notifications
from resources.database import FolioDatabase

SWEEP_AFTER = timedelta(minutes=10)


def _request(up_to: int, key: str) -> RunRequest:
    return RunRequest(run_key=key, run_config={"ops": {"send_queued_email": {"config": {"up_to_id": up_to}}}},
                      tags={"folio/outbox_up_to": str(up_to)})


@sensor(name="email_outbox_sensor", job_name="deliver_email",
        minimum_interval_seconds=get_settings().outbox_sensor_interval_seconds,
        default_status=DefaultSensorStatus.RUNNING,
        description="Launches deliver_email for queued emails; cursor = last notification id handed on.")
def email_outbox_sensor(context: SensorEvaluationContext, database: FolioDatabase):
    after = int(context.cursor or 0)
    n = notifications.c
    queued = (n.channel == "email") & (n.state == "queued")
    with database.engine().connect() as conn:
        newest = conn.execute(select(func.max(n.id)).where(queued)).scalar()
        oldest_left = conn.execute(select(func.min(n.updated_at)).where(queued, n.id <= after)).scalar()
    if newest is not None and newest > after:
        return SensorResult(run_requests=[_request(newest, f"email:{newest}")], cursor=str(newest))
    if oldest_left is not None:
        now = datetime.now(timezone.utc)
        left_at = oldest_left if oldest_left.tzinfo else oldest_left.replace(tzinfo=timezone.utc)
        if now - left_at > SWEEP_AFTER:
            window = int(now.timestamp() // SWEEP_AFTER.total_seconds())
            return _request(after, f"email-sweep:{after}:{window}")
    return SkipReason("no new queued email")
