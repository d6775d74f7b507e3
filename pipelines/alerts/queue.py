"""Matches become outbox messages: one per (subscriber, item, channel) for every immediate
match, or one grouped email when a subscriber has more than `alert_group_threshold` at once.

Each match remembers the email that carried it (`alert_matches.notification_id`: its own
alert, a group or a digest), so no later run, digest or replay carries it again.

Besides email: a subscriber whose channels include `webhook` gets one webhook per immediate
match (when the tenant has set its endpoint), and one whose channels include `sms` gets an
`urgent_lead` SMS for each *hot* lead among its immediate matches (so the subscriber's
delivery choice decides it too), paid from the tenant's tokens and screened like any
SMS (docs/domain.md#tokens), when the subscriber's phone is verified (a code sent to it and
checked: pipelines/outreach/verification.py). A hot lead that cannot be paid for, whose
number opted out or is not verified, still goes by email; the refusal is recorded with its
rule (`unverified` once per lead and number). Calls are never automatic: a
subscriber asks for one (`POST /outreach`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime

from sqlalchemy import Connection, and_, bindparam, func, select, update

from pipelines import clock
from pipelines.billing.ledger import InsufficientTokens
from pipelines.db.schema import (
    alert_criteria,
    alert_matches,
    compliance_blocks,
    leads,
    notifications,
    properties,
    subscribers,
)
from pipelines.db.schema.accounts import phone_verifications
from pipelines.db.upsert import insert_ignore_rows
from pipelines.leads.hot import is_hot
from pipelines.notify.compliance import record_block
from pipelines.notify.paid import Refused, queue_paid, queue_webhook
from pipelines.notify.phones import BadPhone, normalise
from pipelines.notify.queue import NOTIFICATION_KEY, outbox_row
from pipelines.settings import get_settings

DELIVERED_CHANNELS = ("email", "sms", "webhook")


def pending_immediate(conn: Connection, min_match_id: int = 0) -> list:
    """Immediate matches (id > min_match_id) no email has carried yet, of subscribed people."""
    am = alert_matches.c
    q = (
        select(
            am.id,
            am.tenant_id,
            am.subscriber_id,
            am.item_kind,
            am.item_id,
            alert_criteria.c.channels,
        )
        .join(
            alert_criteria,
            and_(
                alert_criteria.c.subscriber_id == am.subscriber_id,
                alert_criteria.c.tenant_id == am.tenant_id,
            ),
        )
        .join(
            subscribers,
            and_(subscribers.c.id == am.subscriber_id, subscribers.c.tenant_id == am.tenant_id),
        )
        .where(
            am.id > min_match_id,
            am.digest_only.is_(False),
            am.notification_id.is_(None),
            subscribers.c.active.is_(True),
            subscribers.c.unsubscribed_at.is_(None),
        )
        .order_by(am.id)
    )
    return list(conn.execute(q))


def queue_match_notifications(conn: Connection, min_match_id: int = 0) -> dict[str, int]:
    """Queue the pending immediate matches. Returns counts: queued (single alerts), grouped
    (group emails queued), already (had one), awaiting_channel (sms/voice/webhook)."""
    now = clock.now()
    threshold = get_settings().alert_group_threshold
    by_subscriber: dict[int, list] = defaultdict(list)
    awaiting = 0
    pending = pending_immediate(conn, min_match_id)
    paid = queue_other_channels(conn, pending)
    for m in pending:
        channels = json.loads(m.channels)
        awaiting += sum(1 for c in channels if c not in DELIVERED_CHANNELS)
        if "email" in channels:
            by_subscriber[m.subscriber_id].append(m)
    singles, groups = [], []
    for matches in by_subscriber.values():
        (groups if len(matches) > threshold else singles).append(matches)
    single_rows = [
        outbox_row(m.tenant_id, m.subscriber_id, m.item_kind, m.item_id, "email", now)
        for matches in singles
        for m in matches
    ]
    queued = 0
    for i in range(0, len(single_rows), 1000):
        queued += insert_ignore_rows(
            conn, notifications, single_rows[i : i + 1000], NOTIFICATION_KEY
        )
    _link_singles(conn, [m.id for matches in singles for m in matches])
    grouped = sum(_queue_group(conn, matches, now) for matches in groups)
    return {
        "queued": queued,
        "grouped": grouped,
        "already": len(single_rows) - queued,
        "awaiting_channel": awaiting,
        **paid,
    }


def queue_other_channels(conn: Connection, pending: list) -> dict[str, int]:
    """Webhooks for every pending match, SMS for hot leads (see the module doc)."""
    counts = {"webhooks": 0, "sms": 0, "sms_refused": 0}
    hot = _hot_leads(conn, [m.item_id for m in pending if m.item_kind == "lead"])
    phones = {
        sid: _e164(phone)
        for sid, phone in conn.execute(select(subscribers.c.id, subscribers.c.phone)).all()
    }
    verified = _verified(conn, phones)
    for m in pending:
        channels = json.loads(m.channels)
        if "webhook" in channels:
            made = queue_webhook(
                conn, m.tenant_id, m.subscriber_id, m.item_kind, m.item_id, "new_lead_alert"
            )
            counts["webhooks"] += made is not None
        phone = phones.get(m.subscriber_id)
        if "sms" in channels and m.item_kind == "lead" and m.item_id in hot and phone:
            if m.subscriber_id not in verified:
                _refuse_unverified(conn, m, phone)
                counts["sms_refused"] += 1
                continue
            try:
                done = queue_paid(
                    conn,
                    m.tenant_id,
                    m.subscriber_id,
                    "lead",
                    m.item_id,
                    "sms",
                    phone,
                    "urgent_lead",
                    hot[m.item_id],
                )
                counts["sms"] += done.created
            except (Refused, InsufficientTokens) as exc:
                if isinstance(exc, InsufficientTokens):
                    record_block(conn, m.tenant_id, "sms", phone, "tokens", "refused", str(exc))
                counts["sms_refused"] += 1
    return counts


def _e164(phone: str | None) -> str | None:
    try:
        return normalise(phone) if phone else None
    except BadPhone:  # a subscriber's number we cannot dial gets email only
        return None


def _verified(conn: Connection, phones: dict[int, str | None]) -> set[int]:
    """Subscribers whose current phone is verified: phone_verified_at set (a phone change
    clears it) and a verification of this very number succeeded."""
    v = phone_verifications.c
    proven = set(
        conn.execute(select(v.subscriber_id, v.phone).where(v.state == "verified")).tuples()
    )
    stamped = conn.execute(
        select(subscribers.c.id).where(subscribers.c.phone_verified_at.is_not(None))
    ).scalars()
    return {sid for sid in stamped if (sid, phones.get(sid)) in proven}


def _refuse_unverified(conn: Connection, m, phone: str) -> None:
    """Record that the hot lead's SMS was not sent for want of a verified phone, once per
    lead and number (a subscriber without email is looked at again on every run)."""
    detail = (
        f"subscriber {m.subscriber_id}'s phone is not verified (POST /verify): "
        f"no SMS about lead {m.item_id}"
    )
    b = compliance_blocks.c
    seen = conn.execute(
        select(func.count()).where(
            b.tenant_id == m.tenant_id,
            b.rule == "unverified",
            b.to_phone == phone,
            b.detail == detail,
        )
    ).scalar_one()
    if not seen:
        record_block(conn, m.tenant_id, "sms", phone, "unverified", "refused", detail)


def _hot_leads(conn: Connection, lead_ids: list[int]) -> dict[int, str | None]:
    """{lead id: its property's zip} for the hot ones among `lead_ids`."""
    out: dict[int, str | None] = {}
    for i in range(0, len(lead_ids), 500):
        rows = conn.execute(
            select(leads.c.id, leads.c.lead_type, leads.c.priority, leads.c.score, properties.c.zip)
            .join(properties, properties.c.folio == leads.c.folio, isouter=True)
            .where(leads.c.id.in_(lead_ids[i : i + 500]))
        )
        out.update({r.id: r.zip for r in rows if is_hot(r.lead_type, r.priority, r.score)})
    return out


def _link_singles(conn: Connection, match_ids: list[int]) -> None:
    """Each single match is carried by the email queued for exactly its item."""
    n, am = notifications.c, alert_matches.c
    carrier = (
        select(n.id)
        .where(
            n.subscriber_id == am.subscriber_id,
            n.item_kind == am.item_kind,
            n.item_id == am.item_id,
            n.channel == "email",
        )
        .scalar_subquery()
    )
    for i in range(0, len(match_ids), 500):
        conn.execute(
            update(alert_matches)
            .where(am.id.in_(match_ids[i : i + 500]), am.notification_id.is_(None))
            .values(notification_id=carrier)
        )


def _queue_group(conn: Connection, matches: list, now: datetime) -> int:
    """One `group` email for a subscriber's many matches (keyed by the first match id, so a
    re-run queues it once) and each match linked to it. Returns 1 when queued now."""
    first = matches[0]
    row = outbox_row(first.tenant_id, first.subscriber_id, "group", first.id, "email", now)
    made = insert_ignore_rows(conn, notifications, [row], NOTIFICATION_KEY)
    carry(conn, row["idempotency_key"], [m.id for m in matches])
    return made


def carry(conn: Connection, idempotency_key: str, match_ids: list[int]) -> None:
    """Mark the matches as carried by the notification with that key (if still uncarried)."""
    nid = conn.execute(
        select(notifications.c.id).where(notifications.c.idempotency_key == idempotency_key)
    ).scalar_one()
    stmt = (
        update(alert_matches)
        .where(alert_matches.c.id == bindparam("b_id"), alert_matches.c.notification_id.is_(None))
        .values(notification_id=nid)
    )
    if match_ids:
        conn.execute(stmt, [{"b_id": i} for i in match_ids])
