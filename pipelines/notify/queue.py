"""Putting messages in the outbox (`notifications`, state `queued`).

The unique (subscriber, item, channel) key and the idempotency key derived from it make
queueing idempotent: a re-run or a replayed sensor adds nothing. Only channels that have
a delivery job are queued (email today); matches for other channels stay in
`alert_matches` until their delivery exists.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlalchemy import Connection, and_, select

from pipelines.store.tables import alert_criteria, alert_matches, notifications
from pipelines.store.upsert import insert_ignore_rows

DELIVERED_CHANNELS = ("email",)
TEMPLATE_FOR = {"listing": "new_lead_alert", "lead": "new_lead_alert", "welcome": "welcome_email"}


def idempotency_key(channel: str, subscriber_id: int, item_kind: str, item_id: int) -> str:
    return f"{channel}:s{subscriber_id}:{item_kind}:{item_id}"


def _row(tenant_id: int, subscriber_id: int, item_kind: str, item_id: int, channel: str, now: datetime) -> dict:
    return {"tenant_id": tenant_id, "subscriber_id": subscriber_id, "item_kind": item_kind, "item_id": item_id,
            "channel": channel, "template": TEMPLATE_FOR[item_kind], "state": "queued", "attempts": 0,
            "idempotency_key": idempotency_key(channel, subscriber_id, item_kind, item_id),
            "created_at": now, "updated_at": now}


def queue_welcome(conn: Connection, tenant_id: int, subscriber_id: int) -> int:
    now = datetime.now(timezone.utc)
    return insert_ignore_rows(conn, notifications, [_row(tenant_id, subscriber_id, "welcome", subscriber_id,
                                                         "email", now)],
                              ["subscriber_id", "item_kind", "item_id", "channel"])


def queue_match_notifications(conn: Connection, min_match_id: int = 0) -> dict[str, int]:
    """Queue one message per channel for every immediate match (id > min_match_id) not yet
    queued. Returns counts: queued, already (had one), awaiting_channel (sms/voice/webhook)."""
    n = notifications.c
    q = (select(alert_matches.c.id, alert_matches.c.tenant_id, alert_matches.c.subscriber_id,
                alert_matches.c.item_kind, alert_matches.c.item_id, alert_criteria.c.channels)
         .join(alert_criteria, and_(alert_criteria.c.subscriber_id == alert_matches.c.subscriber_id,
                                    alert_criteria.c.tenant_id == alert_matches.c.tenant_id))
         .outerjoin(notifications, and_(n.subscriber_id == alert_matches.c.subscriber_id,
                                        n.item_kind == alert_matches.c.item_kind,
                                        n.item_id == alert_matches.c.item_id, n.channel == "email"))
         .where(alert_matches.c.id > min_match_id, alert_matches.c.digest_only.is_(False), n.id.is_(None))
         .order_by(alert_matches.c.id))
    now = datetime.now(timezone.utc)
    rows, awaiting = [], 0
    for m in conn.execute(q):
        channels = json.loads(m.channels)
        awaiting += sum(1 for c in channels if c not in DELIVERED_CHANNELS)
        rows += [_row(m.tenant_id, m.subscriber_id, m.item_kind, m.item_id, c, now)
                 for c in channels if c in DELIVERED_CHANNELS]
    queued = 0
    for i in range(0, len(rows), 1000):
        queued += insert_ignore_rows(conn, notifications, rows[i:i + 1000],
                                     ["subscriber_id", "item_kind", "item_id", "channel"])
    return {"queued": queued, "already": len(rows) - queued, "awaiting_channel": awaiting}
