"""Start email delivery when the outbox has queued messages.

Cursor = the last notification id handed to a delivery run; run_key = email:<that id>. A
delivery run sends every queued email up to its id, leftovers of earlier runs included,
and claims each one atomically, so overlapping runs never send a message twice. Queued
messages left behind by a run that died are swept up after `SWEEP_AFTER` by a run keyed
by the time window, so they are retried at most once per window; the same sweep settles
messages stuck in `sending` (as `unknown`: they may have gone out), even when nothing new
is queued.
"""

from datetime import datetime, timedelta

from dagster import RunConfig, RunRequest
from sqlalchemy import Engine

from pipelines.location.ops.delivery import DeliveryConfig
from pipelines.notify.delivery import email_backlog
from pipelines.settings import get_settings
from sensors.work_queues import Backlog, outbox_sensor

SWEEP_AFTER = timedelta(minutes=10)


def _request(up_to: int, key: str) -> RunRequest:
    return RunRequest(
        run_key=key,
        run_config=RunConfig(ops={"send_queued_email": DeliveryConfig(up_to_id=up_to)}),
        tags={"folio/outbox_up_to": str(up_to)},
    )


def _backlog(engine: Engine, after: int, now: datetime) -> Backlog:
    found = email_backlog(engine, after)
    left_behind = (
        found.oldest_left_behind is not None and now - found.oldest_left_behind > SWEEP_AFTER
    )
    # Queued mail a dead run left, or mail stuck in `sending` (which the run settles as
    # unknown): at most one sweep per window.
    return Backlog(found.newest_queued_id, left_behind or found.stale_sending > 0)


email_outbox_sensor = outbox_sensor(
    name="email_outbox_sensor",
    job_name="deliver_email",
    kind="email",
    what="queued email",
    backlog=_backlog,
    sweep_every=SWEEP_AFTER,
    interval_seconds=get_settings().outbox_sensor_interval_seconds,
    run_request=_request,
)
