"""Start SMS, call and webhook delivery when the outbox has due messages.

Cursor = the last due notification id handed to a run; run_key = outreach:<that id>. A
message that was deferred (quiet hours, the daily cap) becomes due later with an id below
the cursor; it, a message a dead run left queued, and an SMS or call whose outcome is
unknown (to reconcile) are picked up by a sweep run keyed by the minute window, so at most
one sweep a minute.
"""

from datetime import datetime, timedelta

from sqlalchemy import Engine

from pipelines.notify.paid_delivery import outreach_backlog
from pipelines.settings import get_settings
from sensors.work_queues import Backlog, outbox_sensor


def _backlog(engine: Engine, after: int, now: datetime) -> Backlog:
    newest, awaiting_settlement = outreach_backlog(engine)
    # newest due at or below the cursor: deferred messages whose time has come
    return Backlog(newest, awaiting_settlement > 0 or newest is not None)


outreach_outbox_sensor = outbox_sensor(
    name="outreach_outbox_sensor",
    job_name="deliver_outreach",
    kind="outreach",
    what="due SMS, call or webhook",
    backlog=_backlog,
    sweep_every=timedelta(seconds=60),
    interval_seconds=get_settings().outbox_sensor_interval_seconds,
)
