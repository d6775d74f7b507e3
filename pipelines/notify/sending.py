"""The one delivery loop: every channel's messages are claimed, sent and recorded here, each
by its channel's policy.

A message moves `queued → sending → sent | failed | unknown` (workqueue.MESSAGE_MOVES).
The claim is one conditional UPDATE, so two delivery runs over the same rows send each
message once. `unknown` is final here: the request left and no answer came back, so
resending could double-send; a status callback, reconciliation or an operator decides.

What differs between channels is policy, not loop (`ChannelPolicy`): which rows are due,
how many are claimed per transaction and by how many threads, what happens between the
claim and the send (email renders; SMS and calls are screened again and may be blocked or
put back), which retry budget each message has, whether a transient failure on the one try
goes back to the queue, and how an outcome is recorded (email in bulk; paid messages settle
their tokens). A new channel is one policy module.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Engine
from tenacity import RetryCallState, retry_if_exception_type

from pipelines import clock
from pipelines.notify.email import OutcomeUnknown, PermanentSendError, TransientSendError
from pipelines.redaction import redact
from pipelines.retries import retrying
from pipelines.settings import RETRY_BUDGETS, Settings
from pipelines.workqueue import MessageState, WorkQueue

MAX_RETRY_AFTER = 300.0  # a longer Retry-After is capped: the run must end within its runtime
STALE_SAID = "stale in sending: the delivering run died"


@dataclass
class DeliveryCounts:
    """What one delivery run did, for every channel alike."""

    sent: int = 0
    failed: int = 0
    unknown: int = 0
    skipped: int = 0  # claimed by another run meanwhile
    deferred: int = 0  # put back by the screen (quiet hours, a full day)
    blocked: int = 0  # refused by the screen at send time (a STOP since it was queued)
    marked_unknown_stale: int = 0  # left in `sending` by a run that died
    # Which messages this run ended failed or unknown (for the admin alert)
    problems: dict[int, str] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if isinstance(v, int)}

    def add(self, other: DeliveryCounts) -> None:
        for k, v in other.as_dict().items():
            setattr(self, k, getattr(self, k) + v)
        self.problems.update(other.problems)

    def ended(self, o: Outcome) -> None:
        if o.state == MessageState.QUEUED:  # handed back: a later run's
            return
        setattr(self, o.state, getattr(self, o.state) + 1)
        if o.state in (MessageState.FAILED, MessageState.UNKNOWN):
            self.problems[o.notification_id] = f"{o.state}: {redact(o.error)}"


@dataclass
class Outcome:
    """One message's end: its state and every attempt, recorded by its channel's policy."""

    notification_id: int
    state: MessageState = MessageState.FAILED
    attempts: int = 0
    message_id: str | None = None
    error: str | None = None
    log: list[tuple[int, str, str | None, str | None]] = field(
        default_factory=list
    )  # attempt, status, id, error
    cause: Exception | None = None  # the last error, for callers that act on its kind


@dataclass
class Prepared:
    """A claimed message ready to go: what to send, by which sender, within which budget.
    `row` is whatever the policy needs again when it records the outcome."""

    notification_id: int
    channel: str
    message: Any
    sender: Any
    budget: str
    row: Any = None
    shown: str = ""  # the recipient as the run's log may show it (masked)


class ChannelPolicy(Protocol):
    queue: WorkQueue
    chunk: int  # messages claimed, and their outcomes recorded, per transaction
    workers: int  # chunks worked at once
    sweep: bool  # settle messages a dead run left in `sending` first
    hand_back: bool  # a transient failure on the one try goes back to `queued`

    def due(self, engine: Engine, now: datetime) -> list[int]: ...

    def prepare(
        self, engine: Engine, ids: list[int], now: datetime, counts: DeliveryCounts
    ) -> list[Prepared]:
        """The claimed `ids` that go now; any other is moved on here and counted."""

    def record(self, engine: Engine, ended: list[tuple[Prepared, Outcome]]) -> None: ...


def deliver(
    engine: Engine,
    policy: ChannelPolicy,
    settings: Settings,
    sleep: Callable[[float], None] = time.sleep,
    now: datetime | None = None,
    log: Callable[[str], None] | None = None,
) -> DeliveryCounts:
    """Deliver every message `policy` says is due: claim a chunk, prepare it, send each
    within its budget, record the chunk's outcomes. A run that dies mid-chunk leaves those
    messages in `sending`; the next run's sweep makes them `unknown`."""
    counts = DeliveryCounts(
        marked_unknown_stale=sweep_stale(engine, policy.queue, settings) if policy.sweep else 0
    )
    ids = policy.due(engine, now or clock.now())
    chunks = [ids[i : i + policy.chunk] for i in range(0, len(ids), policy.chunk)]

    def one_chunk(chunk: list[int]) -> DeliveryCounts:
        with engine.begin() as conn:
            claimed = policy.queue.claim(conn, chunk)
        tally = DeliveryCounts(skipped=len(chunk) - len(claimed))
        if not claimed:
            return tally
        ended = []
        for p in policy.prepare(engine, claimed, now or clock.now(), tally):
            o = send_one(p.sender, p.message, p.notification_id, settings, sleep, p.budget)
            ended.append((p, _hand_back(o) if policy.hand_back else o))
        policy.record(engine, ended)
        for p, o in ended:
            tally.ended(o)
            if log:
                log(f"{p.channel} {p.notification_id} to {p.shown}: {o.state}")
        return tally

    with ThreadPoolExecutor(max_workers=max(1, policy.workers)) as pool:
        for tally in pool.map(one_chunk, chunks):
            counts.add(tally)
    return counts


def sweep_stale(engine: Engine, queue: WorkQueue, settings: Settings) -> int:
    """A message left in `sending` past the stale limit belongs to a run that died mid-call:
    it may have gone out, so it becomes `unknown` (any reservation kept for reconcile),
    never `queued`."""
    with engine.begin() as conn:
        return len(
            queue.sweep_stale(
                conn,
                MessageState.UNKNOWN,
                timedelta(seconds=settings.sending_stale_seconds),
                last_error=STALE_SAID,
            )
        )


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


def _hand_back(out: Outcome) -> Outcome:
    """A transient failure on the one try a policy allows: back to the queue, for a run
    with the channel's full budget."""
    if out.state == MessageState.FAILED and isinstance(out.cause, TransientSendError):
        attempt, _, _, error = out.log[-1]
        out.log[-1] = (attempt, "retrying", None, error)
        out.state = MessageState.QUEUED
    return out


def attempt_rows(
    o: Outcome, tenant_id: int, channel: str, to: str, template: str, now: datetime
) -> list[dict]:
    """`delivery_attempts` rows for every attempt of one message."""
    return [
        {
            "tenant_id": tenant_id,
            "notification_id": o.notification_id,
            "channel": channel,
            "to_address": to,
            "template": template,
            "attempt": a,
            "status": st,
            "provider_message_id": mid,
            "error": redact(err),
            "created_at": now,
        }
        for a, st, mid, err in o.log
    ]
