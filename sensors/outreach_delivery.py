"""Start SMS, call and webhook delivery when the outbox has due messages.

Cursor = the last due notification id handed to a run; run_key = outreach:<that id>. A
message that was deferred (quiet hours, the daily cap) becomes due later with an id below
the cursor; it, a message a dead run left queued, and an SMS or call whose outcome is
unknown (to reconcile) are picked up by a sweep run keyed by the minute window, so at most
one sweep a minute.
"""

from dagster import (
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from pipelines import clock
from pipelines.notify.paid_delivery import due_ids, outreach_backlog
from pipelines.settings import get_settings
from resources.database import FolioDatabase

SWEEP_SECONDS = 60


@sensor(
    name="outreach_outbox_sensor",
    job_name="deliver_outreach",
    minimum_interval_seconds=get_settings().outbox_sensor_interval_seconds,
    default_status=DefaultSensorStatus.RUNNING,
    description="Launches deliver_outreach for due SMS, calls and webhooks; cursor = last "
    "notification id handed on.",
)
def outreach_outbox_sensor(context: SensorEvaluationContext, database: FolioDatabase):
    after = int(context.cursor or 0)
    engine = database.engine()
    newest, unknown = outreach_backlog(engine)
    if newest is not None and newest > after:
        return SensorResult(
            run_requests=[RunRequest(run_key=f"outreach:{newest}")], cursor=str(newest)
        )
    if unknown or (newest is not None and due_ids(engine)):
        window = int(clock.now().timestamp() // SWEEP_SECONDS)
        return RunRequest(run_key=f"outreach-sweep:{after}:{window}")
    return SkipReason("no due SMS, call or webhook")
