"""Email delivery from the outbox: the email policy of the one delivery loop
(notify/sending.py): claim in chunks, render, send with the retry budget, record every
attempt in `delivery_attempts`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Engine, bindparam, func, select, update

from pipelines import clock
from pipelines.db.schema import delivery_attempts, notifications
from pipelines.notify.messages import build_messages
from pipelines.notify.queue import EMAIL_OUTBOX
from pipelines.notify.sending import (
    DeliveryCounts,
    Outcome,
    Prepared,
    attempt_rows,
    deliver,
)
from pipelines.settings import Settings, get_settings
from pipelines.workqueue import MessageState, WorkQueue


def _now() -> datetime:
    return clock.now()


CHUNK = 50  # messages claimed, and their outcomes recorded, per transaction


@dataclass
class EmailPolicy:
    """Email: chunks of CHUNK claimed in one statement by `workers` threads, rendered from
    the outbox row's context, every outcome of a chunk recorded in one transaction.
    `at_once`: the run that queued them sends them, one try each (the "email_at_once"
    budget); a transient failure goes back to `queued` for the deliver_email job."""

    sender: Any
    settings: Settings
    up_to_id: int | None = None
    after_id: int | None = None
    at_once: bool = False
    workers: int = 8
    queue: WorkQueue = EMAIL_OUTBOX
    chunk: int = CHUNK

    @property
    def sweep(self) -> bool:  # the at-once try leaves dead runs' mail to the job
        return not self.at_once

    @property
    def hand_back(self) -> bool:
        return self.at_once

    def due(self, engine: Engine, now: datetime) -> list[int]:
        return queued_email_ids(engine, self.up_to_id, self.after_id)

    def prepare(
        self, engine: Engine, ids: list[int], now: datetime, counts: DeliveryCounts
    ) -> list[Prepared]:
        budget = "email_at_once" if self.at_once else "email"
        messages = build_messages(engine, ids, self.settings)
        return [Prepared(nid, "email", messages[nid], self.sender, budget) for nid in ids]

    def record(self, engine: Engine, ended: list[tuple[Prepared, Outcome]]) -> None:
        now = _now()
        logs = [
            row
            for p, o in ended
            for row in attempt_rows(
                o, p.message.tenant_id, "email", p.message.to, p.message.template, now
            )
        ]
        updates = [
            {
                "b_id": o.notification_id,
                "b_state": o.state,
                "b_attempts": o.attempts,
                "b_message_id": o.message_id,
                "b_error": o.error,
                "b_now": now,
                "b_sent_at": now if o.state == MessageState.SENT else None,
            }
            for _, o in ended
        ]
        with engine.begin() as conn:
            if logs:
                conn.execute(delivery_attempts.insert(), logs)
            if updates:
                conn.execute(
                    update(notifications)
                    .where(notifications.c.id == bindparam("b_id"))
                    .values(
                        state=bindparam("b_state"),
                        attempts=bindparam("b_attempts"),
                        provider_message_id=bindparam("b_message_id"),
                        last_error=bindparam("b_error"),
                        updated_at=bindparam("b_now"),
                        sent_at=bindparam("b_sent_at"),
                    ),
                    updates,
                )


def newest_notification_id(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.max(notifications.c.id))).scalar() or 0


def queued_email_ids(
    engine: Engine, up_to_id: int | None = None, after_id: int | None = None
) -> list[int]:
    return EMAIL_OUTBOX.queued_after(engine, after_id or 0, up_to_id=up_to_id)


def deliver_email(
    engine: Engine,
    sender,
    up_to_id: int | None = None,
    settings: Settings | None = None,
    sleep: Callable[[float], None] = time.sleep,
    workers: int = 8,
    after_id: int | None = None,
    at_once: bool = False,
) -> DeliveryCounts:
    """Deliver every queued email up to `up_to_id` (earlier leftovers included), or only
    those past `after_id`, through the one delivery loop (notify/sending.py).

    `at_once`: the run that queued them sends them (an alert is worth most when new, and the
    outbox sensor's run would add a sensor tick and a run start): one try each; a message
    that failed for a transient reason goes back to `queued`, for the deliver_email job and
    its full retry budget."""
    settings = settings or get_settings()
    policy = EmailPolicy(sender, settings, up_to_id, after_id, at_once, workers)
    return deliver(engine, policy, settings, sleep)


@dataclass(frozen=True)
class EmailBacklog:
    newest_queued_id: int | None  # the highest queued email id, if any
    oldest_left_behind: datetime | None  # oldest update of a queued email at or below `handed_on`
    stale_sending: int = 0  # emails stuck in `sending` past the stale limit (their run died)


def email_backlog(engine: Engine, handed_on: int) -> EmailBacklog:
    """What the email sensor needs: is there new queued mail past the last id it handed to a
    run, has queued mail it already handed on been left behind, and is mail stuck in
    `sending` (both by a run that died)?"""
    n, q = notifications.c, EMAIL_OUTBOX
    queued = q.scope & (n.state == MessageState.QUEUED)
    with engine.connect() as conn:
        newest = conn.execute(select(func.max(n.id)).where(queued)).scalar()
        oldest = conn.execute(
            select(func.min(n.updated_at)).where(queued, n.id <= handed_on)
        ).scalar()
        stale_after = timedelta(seconds=get_settings().sending_stale_seconds)
        stale = conn.execute(
            select(func.count()).where(q.scope, q.stale(_now(), stale_after))
        ).scalar()
    if oldest is not None and oldest.tzinfo is None:  # SQLite returns naive UTC
        oldest = oldest.replace(tzinfo=timezone.utc)
    return EmailBacklog(newest, oldest, stale)
