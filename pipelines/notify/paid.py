"""Queueing SMS, calls and webhooks (docs/domain.md#tokens, #compliance).

An SMS or call is paid for when it is queued: the compliance screen runs (taking the
message's daily-cap slot), the tokens are reserved and the outbox row is written in one
transaction, so a message that cannot be paid for (or may not be sent) is refused at once
and never queued to fail later. A replay of the
same (subscriber, item, channel) finds the first row and reserves nothing again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select, update

from pipelines import clock
from pipelines.billing.ledger import InsufficientTokens, attach, reserve
from pipelines.db.schema import notifications, tenants
from pipelines.notify.compliance import admit, record_block, release_slot
from pipelines.notify.queue import idempotency_key
from pipelines.settings import get_settings
from pipelines.workqueue import MessageState


class Refused(Exception):
    """The compliance screen refused the message: `rule` names the rule, `detail` says why."""

    def __init__(self, rule: str, detail: str):
        super().__init__(f"{rule}: {detail}")
        self.rule, self.detail = rule, detail


@dataclass(frozen=True)
class Queued:
    notification_id: int
    tokens_reserved: int
    not_before: datetime | None  # set when quiet hours (or the daily cap) defer it
    created: bool  # False: it was queued before (a replay)


def tokens_for(channel: str) -> int:
    s = get_settings()
    return {"sms": s.sms_tokens, "voice": s.voice_tokens}.get(channel, 0)


def _existing(conn: Connection, key: str):
    return conn.execute(select(notifications).where(notifications.c.idempotency_key == key)).first()


def queue_paid(
    conn: Connection,
    tenant_id: int,
    subscriber_id: int,
    item_kind: str,
    item_id: int,
    channel: str,
    to: str,
    template: str,
    zip_code: str | None = None,
    now: datetime | None = None,
) -> Queued:
    """Screen, reserve and queue one SMS or call inside the caller's transaction. Raises
    Refused (opt-out, daily cap) or ledger.InsufficientTokens; nothing is held then."""
    now = now or clock.now()
    key = idempotency_key(channel, subscriber_id, item_kind, item_id)
    if (row := _existing(conn, key)) is not None:
        return Queued(row.id, row.tokens or 0, row.not_before, False)
    # A request someone is waiting on is told now rather than parked until another day.
    verdict = admit(conn, to, now, zip_code, wait=False)
    if verdict.day is None:
        record_block(conn, tenant_id, channel, to, verdict.rule, "refused", verdict.detail)
        raise Refused(verdict.rule, verdict.detail)
    tokens = tokens_for(channel)
    try:
        reservation = reserve(conn, tenant_id, tokens, f"reserve:{key}", channel=channel)
    except InsufficientTokens:
        # The caller may carry on in this transaction (alerts do): the slot goes back.
        release_slot(conn, to, verdict.day)
        raise
    nid = _insert(
        conn,
        tenant_id,
        subscriber_id,
        item_kind,
        item_id,
        channel,
        template,
        key,
        now,
        to_address=to,
        tokens=tokens,
        reservation_id=reservation,
        not_before=verdict.not_before,
        cap_day=verdict.day,
    )
    attach(conn, reservation, nid)
    if verdict.action == "defer":
        record_block(conn, tenant_id, channel, to, verdict.rule, "deferred", verdict.detail, nid)
    return Queued(nid, tokens, verdict.not_before, True)


def queue_webhook(
    conn: Connection,
    tenant_id: int,
    subscriber_id: int,
    item_kind: str,
    item_id: int,
    template: str,
) -> int | None:
    """Queue a webhook for the tenant's endpoint (none set: nothing). No tokens."""
    url = conn.execute(select(tenants.c.webhook_url).where(tenants.c.id == tenant_id)).scalar()
    if not url:
        return None
    key = idempotency_key("webhook", subscriber_id, item_kind, item_id)
    if (row := _existing(conn, key)) is not None:
        return row.id
    now = clock.now()
    return _insert(
        conn,
        tenant_id,
        subscriber_id,
        item_kind,
        item_id,
        "webhook",
        template,
        key,
        now,
        to_address=url,
    )


def _insert(
    conn, tenant_id, subscriber_id, item_kind, item_id, channel, template, key, now, **extra
) -> int:
    """One queued outbox row; returns its id."""
    return conn.execute(
        notifications.insert()
        .values(
            tenant_id=tenant_id,
            subscriber_id=subscriber_id,
            item_kind=item_kind,
            item_id=item_id,
            channel=channel,
            template=template,
            state=MessageState.QUEUED,
            attempts=0,
            idempotency_key=key,
            created_at=now,
            updated_at=now,
            **extra,
        )
        .returning(notifications.c.id)
    ).scalar_one()


def set_state(conn: Connection, nid: int, **values) -> None:
    values.setdefault("updated_at", clock.now())
    conn.execute(update(notifications).where(notifications.c.id == nid).values(**values))
