"""Delivering SMS, calls and webhooks from the outbox, and settling what they cost.

The same states as email (`queued → sending → sent | failed | unknown`, the claim one
conditional UPDATE) with the money attached to them. An SMS or call is settled by its
provider's final status, once, so what it costs always agrees with how it ended:
- `delivered` (SMS) or `completed` (call) captures the reservation; `undelivered`, `failed`,
  `canceled` (SMS) or `busy`, `no-answer`, `failed`, `canceled` (call) releases it. Twilio
  reports these by status callback; until one comes (or `reconcile` looks it up) the tokens
  stay held. The embedded file outbox delivers at once, so it captures at once;
- the provider's status only moves forward (`notifications.delivery_status`): a status that
  arrives after a later one, or after the final one (a late "delivered" after
  "undelivered", "failed" after "delivered"), is logged and changes nothing;
- a message that finally fails before the provider took it, or that the compliance screen
  blocks at send time (the recipient said STOP since it was queued), is released and gives
  its daily-cap slot back;
- a message whose outcome is unknown (the request left, no answer) keeps its reservation
  until a status callback or a provider lookup (`reconcile`) settles it, once.
Before it is sent each SMS or call is screened again: a STOP that arrived meanwhile blocks
it, quiet hours or a full day put it back with a later `not_before`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Engine, func, or_, select

from pipelines import clock
from pipelines.billing.ledger import capture, is_settled, release, settled
from pipelines.db.schema import (
    delivery_attempts,
    leads,
    notifications,
    outreach_requests,
    properties,
    tenants,
)
from pipelines.notify.compliance import admit, opt_out, record_block, release_slot
from pipelines.notify.paid import set_state
from pipelines.notify.phone_texts import render
from pipelines.notify.phones import mask
from pipelines.notify.queue import OUTREACH_CHANNELS, OUTREACH_OUTBOX
from pipelines.notify.sending import (
    DeliveryCounts,
    Outcome,
    Prepared,
    attempt_rows,
    deliver,
)
from pipelines.notify.twilio import PhoneMessage, RecipientUnsubscribed
from pipelines.notify.webhooks import WebhookMessage
from pipelines.redaction import redact
from pipelines.settings import Settings, get_settings
from pipelines.workqueue import MessageState, WorkQueue

CHANNELS = OUTREACH_CHANNELS
# Twilio's statuses of an outgoing message or call, in the order they can happen; the last
# rank is final. "accepted" is ours: the provider answered the create request with an id.
STATUS_RANK = {
    "sms": {
        "accepted": 1,
        "scheduled": 1,
        "queued": 1,
        "sending": 2,
        "sent": 3,
        "delivered": 4,
        "read": 4,
        "undelivered": 4,
        "failed": 4,
        "canceled": 4,
    },
    "voice": {
        "accepted": 1,
        "queued": 1,
        "initiated": 2,
        "ringing": 3,
        "in-progress": 4,
        "completed": 5,
        "busy": 5,
        "no-answer": 5,
        "failed": 5,
        "canceled": 5,
    },
}
FINAL_OK = {"sms": {"delivered", "read"}, "voice": {"completed"}}
FINAL_RANK = {channel: max(ranks.values()) for channel, ranks in STATUS_RANK.items()}
NOT_AT_PROVIDER = "the provider has no record of it: it never went out"
# Some carriers never confirm delivery: an SMS the provider still calls `sent` this long
# after it went is taken as delivered by `reconcile` (its tokens would be held forever).
SENT_SETTLES_AFTER = timedelta(hours=72)


def is_final(channel: str, status: str | None) -> bool:
    return STATUS_RANK[channel].get(status or "", 0) == FINAL_RANK[channel]


def _now() -> datetime:
    return clock.now()


SENDING = MessageState.SENDING


def due_ids(engine: Engine, now: datetime | None = None) -> list[int]:
    """Queued SMS, calls and webhooks whose time has come (quiet hours may defer one)."""
    n, now = notifications.c, now or _now()
    due = or_(n.not_before.is_(None), n.not_before <= now)
    return OUTREACH_OUTBOX.queued_after(engine, where=due)


def _message(conn, row, settings: Settings):
    text, payload = render(conn, row)
    if row.channel == "webhook":
        secret = conn.execute(
            select(tenants.c.webhook_secret).where(tenants.c.id == row.tenant_id)
        ).scalar()
        return WebhookMessage(
            row.to_address,
            secret or "",
            payload,
            text,
            row.idempotency_key,
            row.template,
            row.tenant_id,
        )
    callback = f"{settings.public_base_url.rstrip('/')}/twilio/status?n={row.id}"
    return PhoneMessage(
        row.channel,
        row.to_address,
        text,
        row.idempotency_key,
        row.template,
        row.tenant_id,
        callback,
    )


def _zip_for(conn, row) -> str | None:
    """The zip of the lead a message is about (it sets the recipient's zone when the area
    code does not), as when it was queued."""
    lead_id = row.item_id if row.item_kind == "lead" else None
    if row.item_kind == "outreach":
        lead_id = conn.execute(
            select(outreach_requests.c.lead_id).where(outreach_requests.c.id == row.item_id)
        ).scalar()
    if lead_id is None:
        return None
    return conn.execute(
        select(properties.c.zip)
        .join(leads, leads.c.folio == properties.c.folio)
        .where(leads.c.id == lead_id)
    ).scalar()


def _screen_again(conn, row, now: datetime, counts: DeliveryCounts) -> bool:
    """True when the message may go now (holding today's slot); otherwise it is blocked or
    put back."""
    verdict = admit(conn, row.to_address, now, _zip_for(conn, row), holding=row.cap_day)
    if verdict.action == "send":
        if verdict.day != row.cap_day:
            set_state(conn, row.id, cap_day=verdict.day)
        return True
    if verdict.action == "block":
        release_slot(conn, row.to_address, row.cap_day)
        release(conn, row.reservation_id, reason=f"blocked: {verdict.rule}")
        error = f"blocked ({verdict.rule}): {verdict.detail}"
        OUTREACH_OUTBOX.move(conn, row.id, MessageState.FAILED, from_=SENDING, last_error=error)
        counts.blocked += 1
    else:
        OUTREACH_OUTBOX.move(
            conn,
            row.id,
            MessageState.QUEUED,
            from_=SENDING,
            not_before=verdict.not_before,
            cap_day=verdict.day,
        )
        counts.deferred += 1
    action = "blocked" if verdict.action == "block" else "deferred"
    record_block(
        conn,
        row.tenant_id,
        row.channel,
        row.to_address,
        verdict.rule,
        action,
        verdict.detail,
        row.id,
    )
    return False


def _settle_outcome(conn, row, o: Outcome, at_once: bool) -> None:
    """Record what the send came to. A status callback that got here first (Twilio can call
    back before the create request's answer is read) has settled the message already: then
    only the attempts and the provider's id are kept."""
    n = notifications.c
    error = redact(o.error)
    phone = row.channel in ("sms", "voice")
    values = dict(
        attempts=o.attempts,
        provider_message_id=o.message_id,
        last_error=error,
        sent_at=_now() if o.state in (MessageState.SENT, MessageState.UNKNOWN) else None,
        updated_at=_now(),
    )
    if phone and o.state == MessageState.SENT:
        values["delivery_status"] = (
            ("delivered" if row.channel == "sms" else "completed") if at_once else "accepted"
        )
    # From `sending`, or from `unknown` when the stale sweep took the run for dead meanwhile.
    first = OUTREACH_OUTBOX.move(
        conn,
        row.id,
        o.state,
        from_=[
            s
            for s in (SENDING, MessageState.UNKNOWN)
            if s.value in OUTREACH_OUTBOX.sources(o.state)
        ],
        where=n.delivery_status.is_(None),
        **values,
    )
    if not first:
        set_state(conn, row.id, attempts=o.attempts, provider_message_id=o.message_id)
        return
    if o.state == MessageState.FAILED and phone:
        # it never reached the provider (or the provider refused it): its slot goes back
        release_slot(conn, row.to_address, row.cap_day)
    if row.reservation_id is None:
        return
    if o.state == MessageState.SENT and at_once:
        capture(conn, row.reservation_id, reason="delivered by the provider")
    elif o.state == MessageState.FAILED:
        release(conn, row.reservation_id, reason=error)
    # sent: settled by its final status (callback or reconcile); unknown: by reconcile


@dataclass
class OutreachPolicy:
    """SMS, calls and webhooks: one at a time, each claimed just before it goes and screened
    again (a STOP since it was queued blocks it; quiet hours or a full day put it back), each
    by its channel's retry budget, and its tokens settled as it ends (notify/paid.py)."""

    phone_sender: Any
    webhook_sender: Any
    settings: Settings
    queue: WorkQueue = OUTREACH_OUTBOX
    chunk: int = 1
    workers: int = 1
    sweep: bool = True
    hand_back: bool = False

    def due(self, engine: Engine, now: datetime) -> list[int]:
        return due_ids(engine, now)

    def prepare(
        self, engine: Engine, ids: list[int], now: datetime, counts: DeliveryCounts
    ) -> list[Prepared]:
        ready = []
        for nid in ids:
            with engine.begin() as conn:
                row = conn.execute(select(notifications).where(notifications.c.id == nid)).one()
                if row.channel != "webhook" and not _screen_again(conn, row, now, counts):
                    continue
                msg = _message(conn, row, self.settings)
            webhook = row.channel == "webhook"
            ready.append(
                Prepared(
                    nid,
                    row.channel,
                    msg,
                    self.webhook_sender if webhook else self.phone_sender,
                    row.channel,
                    row,
                    "the tenant's endpoint" if webhook else mask(row.to_address),
                )
            )
        return ready

    def record(self, engine: Engine, ended: list[tuple[Prepared, Outcome]]) -> None:
        for p, o in ended:
            row = p.row
            with engine.begin() as conn:
                conn.execute(
                    delivery_attempts.insert(),
                    attempt_rows(
                        o, row.tenant_id, row.channel, row.to_address, row.template, _now()
                    ),
                )
                _settle_outcome(conn, row, o, getattr(p.sender, "settles_at_once", False))
                if isinstance(o.cause, RecipientUnsubscribed):
                    opt_out(conn, row.to_address, "provider")


def deliver_outreach(
    engine: Engine,
    phone_sender,
    webhook_sender,
    settings: Settings | None = None,
    sleep: Callable[[float], None] = time.sleep,
    now: datetime | None = None,
    log=None,
) -> DeliveryCounts:
    """Send every due SMS, call and webhook once, each by its channel's retry budget,
    through the one delivery loop (notify/sending.py)."""
    settings = settings or get_settings()
    policy = OutreachPolicy(phone_sender, webhook_sender, settings)
    return deliver(engine, policy, settings, sleep, now, log)


def settle_status(
    engine: Engine,
    notification_id: int,
    sid: str,
    status: str,
    duration: int | None = None,
    error: str | None = None,
) -> str:
    """Apply a Twilio status callback (or a looked-up status) to its message: logged always,
    applied only when it moves the provider's status forward, and a final status settles
    the reservation (capture or release) once. Returns what it did:
    captured | released | recorded (logged; nothing else changed) | ignored (not ours)."""
    status = (status or "").lower()
    error = redact(error)
    n = notifications.c
    with engine.connect() as conn:
        row = conn.execute(select(notifications).where(n.id == notification_id)).first()
    if row is None or row.channel not in STATUS_RANK or not _is_about(row, sid):
        return "ignored"
    with engine.begin() as conn:
        log = {
            "tenant_id": row.tenant_id,
            "notification_id": row.id,
            "channel": row.channel,
            "to_address": row.to_address,
            "template": row.template,
            "attempt": row.attempts,
            "status": status[:12],
            "provider_message_id": sid,
            "error": error,
            "created_at": _now(),
        }
        if row.channel == "voice" and duration is not None:
            log["duration_seconds"] = duration
        # The log row first: on SQLite it takes the write lock, so what is read next is what
        # concurrent callbacks committed; PostgreSQL locks the message's row (FOR UPDATE).
        conn.execute(delivery_attempts.insert().values(**log))
        row = conn.execute(
            select(notifications).where(n.id == notification_id).with_for_update()
        ).one()
        ranks = STATUS_RANK[row.channel]
        rank = ranks.get(status)
        if (
            rank is None
            or row.state not in (SENDING, MessageState.SENT, MessageState.UNKNOWN)
            or rank <= ranks.get(row.delivery_status or "", 0)
            or is_final(row.channel, row.delivery_status)
        ):
            return "recorded"
        if rank < FINAL_RANK[row.channel]:  # on its way: the provider has it
            state = MessageState.SENT if row.state == MessageState.UNKNOWN else row.state
            _to(
                conn,
                row,
                state,
                delivery_status=status,
                provider_message_id=sid,
                sent_at=row.sent_at or _now(),
            )
            return "recorded"
        if row.reservation_id is not None and is_settled(conn, row.reservation_id):
            return "recorded"  # an operator settled it already: the money and state stand
        reason = f"provider: {status}"
        if status in FINAL_OK[row.channel]:
            _to(
                conn,
                row,
                MessageState.SENT,
                delivery_status=status,
                provider_message_id=sid,
                sent_at=row.sent_at or _now(),
                last_error=None,
            )
            done = row.reservation_id is not None and capture(
                conn, row.reservation_id, reason=reason
            )
            return "captured" if done else "recorded"
        last_error = f"{reason} ({error})" if error else reason
        _to(
            conn,
            row,
            MessageState.FAILED,
            delivery_status=status,
            provider_message_id=sid,
            last_error=last_error,
        )
        done = row.reservation_id is not None and release(conn, row.reservation_id, reason=reason)
        return "released" if done else "recorded"


def _to(conn, row, state: MessageState, **values) -> None:
    """Move a message whose row this transaction holds locked to `state` (or keep it there),
    setting `values`."""
    if row.state == state:
        set_state(conn, row.id, **values)
    else:
        OUTREACH_OUTBOX.move(conn, row.id, state, from_=MessageState(row.state), **values)


def _is_about(row, sid: str) -> bool:
    """Whether a callback naming `sid` can be about this message: it was handed to the
    provider (or may have been), under that id when we know it."""
    if row.provider_message_id:
        return row.provider_message_id == sid
    return row.state in (SENDING, MessageState.UNKNOWN)


RECONCILE_LOOKBACK = timedelta(days=7)  # older unknowns are an operator's (folio outbox resolve)


def awaiting_settlement(handed_on_before: datetime):
    """SMS and calls handed on (unknown, or sent but not finally reported) before the given
    time, within the look-back, whose reservation is still open."""
    n = notifications.c
    return select(notifications).where(
        n.channel.in_(("sms", "voice")),
        n.state.in_((MessageState.UNKNOWN, MessageState.SENT)),
        n.reservation_id.is_not(None),
        n.updated_at < handed_on_before,
        n.updated_at > _now() - RECONCILE_LOOKBACK,
        ~settled(n.reservation_id),
    )


def reconcile(engine: Engine, phone_sender, older_than: timedelta | None = None) -> dict:
    """Settle SMS and calls whose reservation is still open long after they were handed on:
    `unknown` ones (the answer never came) and sent ones whose final callback never
    arrived. Asks the provider; what it has no record of never went out and is released."""
    if older_than is None:
        older_than = timedelta(seconds=get_settings().reconcile_after_seconds)
    with engine.connect() as conn:
        rows = conn.execute(awaiting_settlement(_now() - older_than)).all()
    result = {"settled": 0, "released": 0, "waiting": 0}
    for row in rows:
        since = (row.sent_at or row.created_at).replace(tzinfo=timezone.utc)
        found = phone_sender.lookup(
            row.channel,
            row.provider_message_id,
            row.to_address,
            (since - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        if found is None:
            with engine.begin() as conn:
                OUTREACH_OUTBOX.move(conn, row.id, MessageState.FAILED, last_error=NOT_AT_PROVIDER)
                release_slot(conn, row.to_address, row.cap_day)
                release(conn, row.reservation_id, reason="not at the provider")
            result["released"] += 1
            continue
        code, text = found.get("error_code"), found.get("error_message")
        what = settle_status(
            engine,
            row.id,
            found["sid"],
            found.get("status", ""),
            _int(found.get("duration")),
            f"error {code}: {text}" if code else None,
        )
        if what == "recorded" and _no_receipt_coming(row, found.get("status")):
            what = _take_as_delivered(engine, row.id)
        result["settled" if what in ("captured", "released") else "waiting"] += 1
    return result


def _no_receipt_coming(row, status: str | None) -> bool:
    return (
        row.channel == "sms"
        and status == "sent"
        and row.sent_at is not None
        and row.sent_at < _now() - SENT_SETTLES_AFTER
    )


def _take_as_delivered(engine: Engine, notification_id: int) -> str:
    """Capture an SMS its carrier never confirmed (see SENT_SETTLES_AFTER); its
    delivery_status stays `sent`, which is all the provider ever said."""
    with engine.begin() as conn:
        row = conn.execute(
            select(notifications).where(notifications.c.id == notification_id).with_for_update()
        ).one()
        if row.state != MessageState.SENT or is_final(row.channel, row.delivery_status):
            return "recorded"
        hours = int(SENT_SETTLES_AFTER.total_seconds() // 3600)
        reason = f"no delivery receipt {hours} h after it was sent: taken as delivered"
        done = capture(conn, row.reservation_id, reason=reason)
    return "captured" if done else "recorded"


def _int(v) -> int | None:
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def outreach_backlog(engine: Engine) -> tuple[int | None, int]:
    """(newest due message id, how many SMS/calls still hold an open reservation after being
    handed on: unknown ones, and sent ones whose final callback has not come; reconcile's
    work)."""
    due = due_ids(engine)
    with engine.connect() as conn:
        pending = conn.execute(
            select(func.count()).select_from(awaiting_settlement(_now()).subquery())
        ).scalar_one()
    return (due[-1] if due else None), pending
