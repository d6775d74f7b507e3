"""Email delivery from the outbox: claim, send with the retry budget, record every attempt.

A notification moves `queued → sending → sent | failed | unknown`. The claim is one
conditional UPDATE (`WHERE state = 'queued'`), so two delivery runs over the same rows
send each message once. `unknown` is final here: the request left and no answer came
back, so resending could double-send; an operator (or reconciliation by the idempotency
key in the provider's custom args) decides. Every attempt is a row in `delivery_attempts`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import Engine, bindparam, func, select, update
from tenacity import RetryCallState, retry_if_exception_type

from pipelines import clock
from pipelines.db.schema import delivery_attempts, notifications
from pipelines.notify.email import (
    EmailMessage,
    OutcomeUnknown,
    PermanentSendError,
    TransientSendError,
)
from pipelines.notify.messages import build_messages
from pipelines.notify.queue import EMAIL_OUTBOX
from pipelines.redaction import redact
from pipelines.retries import retrying
from pipelines.settings import RETRY_BUDGETS, Settings, get_settings
from pipelines.workqueue import MessageState


@dataclass
class DeliveryCounts:
    sent: int = 0
    failed: int = 0
    unknown: int = 0
    skipped: int = 0  # claimed by another run meanwhile
    marked_unknown_stale: int = 0
    # Which messages this run ended failed or unknown (for the admin alert)
    problems: dict[int, str] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if isinstance(v, int)}


def _now() -> datetime:
    return clock.now()


def _stale_after(settings: Settings) -> timedelta:
    """How long a message may stay in `sending` before its run is taken for dead."""
    return timedelta(seconds=settings.sending_stale_seconds)


def mark_stale_sending(engine: Engine, settings: Settings) -> int:
    """A message left in `sending` past the stale limit belongs to a run that died mid-call:
    it may have gone out, so it becomes `unknown`, never `queued`."""
    with engine.begin() as conn:
        return len(
            EMAIL_OUTBOX.sweep_stale(
                conn,
                MessageState.UNKNOWN,
                _stale_after(settings),
                last_error="stale in sending: the delivering run died",
            )
        )


CHUNK = 50  # messages claimed, and their outcomes recorded, per transaction
MAX_RETRY_AFTER = 300.0  # a longer Retry-After is capped: the run must end within its runtime


def _claim(engine: Engine, ids: list[int]) -> list[int]:
    """queued → sending for those of `ids` still queued; returns the ones this caller got."""
    with engine.begin() as conn:
        return EMAIL_OUTBOX.claim(conn, ids)


@dataclass
class Outcome:
    """One message's end: its state and every attempt, written in the chunk's transaction."""

    notification_id: int
    state: MessageState = MessageState.FAILED
    attempts: int = 0
    message_id: str | None = None
    error: str | None = None
    log: list[tuple[int, str, str | None, str | None]] = field(
        default_factory=list
    )  # attempt, status, id, error
    cause: Exception | None = None  # the last error, for callers that act on its kind


def send_one(
    sender,
    msg,
    notification_id: int,
    settings: Settings,
    sleep: Callable[[float], None] = time.sleep,
    budget: str = "email",
) -> Outcome:
    """Send a claimed message within its channel's retry budget (pipelines/retries.py): a
    TransientSendError retries, after the budget's delay or the provider's Retry-After,
    whichever is longer; any other end is final at once. Every attempt is logged."""
    policy = RETRY_BUDGETS[budget]
    out = Outcome(notification_id)

    def retrying_logged(state: RetryCallState) -> None:
        said = redact(str(state.outcome.exception()))
        out.log.append((state.attempt_number, "retrying", None, said))

    attempts = retrying(
        policy,
        retry=retry_if_exception_type(TransientSendError),
        sleep=sleep,
        scale=settings.retry_delay_scale,
        at_least=_retry_after,
        before_sleep=retrying_logged,
    )
    try:
        for attempt in attempts:
            with attempt:
                out.attempts = attempt.retry_state.attempt_number
                try:
                    message_id = sender.send(msg)
                except TransientSendError as exc:
                    out.cause = exc
                    raise  # retried by the budget, or the last attempt's: below
                except (PermanentSendError, OutcomeUnknown) as exc:
                    out.cause = exc
                    return _ended(out, exc)
                except Exception as exc:  # noqa: BLE001 - anything else: it may have left, never resend
                    error = (
                        f"unexpected {type(exc).__name__} while sending: {redact(str(exc))[:200]}"
                    )
                    out.log.append((out.attempts, "unknown", None, error))
                    out.state, out.error = MessageState.UNKNOWN, error
                    return out
                out.log.append((out.attempts, "sent", message_id, None))
                out.state, out.message_id = MessageState.SENT, message_id
                return out
    except TransientSendError as exc:  # the budget is spent
        said = redact(str(exc))
        out.log.append((out.attempts, "failed", None, said))
        out.state, out.error = MessageState.FAILED, f"{out.attempts} attempts: {said}"
        return out
    raise AssertionError("unreachable")


def _retry_after(exc: BaseException) -> float | None:
    """The provider said how long to wait (a 429's Retry-After): never less, capped at
    MAX_RETRY_AFTER."""
    after = getattr(exc, "retry_after", None)
    return None if after is None else min(after, MAX_RETRY_AFTER)


def _ended(out: Outcome, exc: Exception) -> Outcome:
    """A final failure on one attempt: the message is failed (refused) or unknown (it may
    have left), never retried."""
    said = redact(str(exc))  # a sender's text may repeat what the provider said
    state = MessageState.UNKNOWN if isinstance(exc, OutcomeUnknown) else MessageState.FAILED
    out.log.append((out.attempts, state.value, None, said))
    out.state, out.error = state, said
    return out


def _record(engine: Engine, outcomes: list[Outcome], messages: dict[int, EmailMessage]) -> None:
    now = _now()
    logs = [
        {
            "tenant_id": messages[o.notification_id].tenant_id,
            "notification_id": o.notification_id,
            "channel": "email",
            "to_address": messages[o.notification_id].to,
            "template": messages[o.notification_id].template,
            "attempt": a,
            "status": st,
            "provider_message_id": mid,
            "error": err,
            "created_at": now,
        }
        for o in outcomes
        for a, st, mid, err in o.log
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
        for o in outcomes
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
    those past `after_id`. Chunks of CHUNK are claimed in one statement and their outcomes
    recorded in one transaction; a run that dies mid-chunk leaves those messages in
    `sending`, which becomes `unknown`.

    `at_once`: the run that queued them sends them (an alert is worth most when new, and the
    outbox sensor's run would add a sensor tick and a run start): one try each; a message
    that failed for a transient reason goes back to `queued`, for the deliver_email job and
    its full retry budget."""
    settings = settings or get_settings()
    counts = DeliveryCounts(
        marked_unknown_stale=0 if at_once else mark_stale_sending(engine, settings)
    )
    ids = queued_email_ids(engine, up_to_id, after_id)
    chunks = [ids[i : i + CHUNK] for i in range(0, len(ids), CHUNK)]
    budget = "email_at_once" if at_once else "email"

    def one_chunk(chunk: list[int]) -> list[tuple[int | None, str, str | None]]:
        claimed = _claim(engine, chunk)
        if not claimed:
            return [(None, "skipped", None)] * len(chunk)
        messages = build_messages(engine, claimed, settings)
        outcomes = [
            send_one(sender, messages[nid], nid, settings, sleep, budget) for nid in claimed
        ]
        if at_once:
            outcomes = [_hand_back(o) for o in outcomes]
        _record(engine, outcomes, messages)
        ends = [(o.notification_id, o.state, o.error) for o in outcomes]
        return ends + [(None, "skipped", None)] * (len(chunk) - len(claimed))

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for ends in pool.map(one_chunk, chunks):
            for nid, state, error in ends:
                if state == MessageState.QUEUED:  # handed back: the deliver_email job's now
                    continue
                setattr(counts, state, getattr(counts, state) + 1)
                if state in (MessageState.FAILED, MessageState.UNKNOWN):
                    counts.problems[nid] = f"{state}: {error}"
    return counts


def _hand_back(out: Outcome) -> Outcome:
    """A transient failure on the one try an alert's run makes: back to the queue."""
    if out.state == MessageState.FAILED and isinstance(out.cause, TransientSendError):
        attempt, _, _, error = out.log[-1]
        out.log[-1] = (attempt, "retrying", None, error)
        out.state = MessageState.QUEUED
    return out


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
        stale = conn.execute(
            select(func.count()).where(q.scope, q.stale(_now(), _stale_after(get_settings())))
        ).scalar()
    if oldest is not None and oldest.tzinfo is None:  # SQLite returns naive UTC
        oldest = oldest.replace(tzinfo=timezone.utc)
    return EmailBacklog(newest, oldest, stale)
