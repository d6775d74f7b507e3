"""Matches become outbox messages: one per (subscriber, item, channel) for every immediate match.

Only channels that have a delivery job are queued (email today); matches for other
channels stay in `alert_matches` until their delivery exists.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlalchemy import Connection, and_, select

from pipelines.db.schema import alert_criteria, alert_matches, notifications
from pipelines.db.upsert import insert_ignore_rows
from pipelines.notify.queue import outbox_row

DELIVERED_CHANNELS = ("email",)


def queue_match_notifications(conn: Connection, min_match_id: int = 0) -> dict[str, int]:
    """Queue one message per channel for every immediate match (id > min_match_id) not yet
    queued. Returns counts: queued, already (had one), awaiting_channel (sms/voice/webhook)."""
    n = notifications.c
    q = (
        select(
            alert_matches.c.id,
            alert_matches.c.tenant_id,
            alert_matches.c.subscriber_id,
            alert_matches.c.item_kind,
            alert_matches.c.item_id,
            alert_criteria.c.channels,
        )
        .join(
            alert_criteria,
            and_(
                alert_criteria.c.subscriber_id == alert_matches.c.subscriber_id,
                alert_criteria.c.tenant_id == alert_matches.c.tenant_id,
            ),
        )
        .outerjoin(
            notifications,
            and_(
                n.subscriber_id == alert_matches.c.subscriber_id,
                n.item_kind == alert_matches.c.item_kind,
                n.item_id == alert_matches.c.item_id,
                n.channel == "email",
            ),
        )
        .where(
            alert_matches.c.id > min_match_id,
            alert_matches.c.digest_only.is_(False),
            n.id.is_(None),
        )
        .order_by(alert_matches.c.id)
    )
    now = datetime.now(timezone.utc)
    rows, awaiting = [], 0
    for m in conn.execute(q):
        channels = json.loads(m.channels)
        awaiting += sum(1 for c in channels if c not in DELIVERED_CHANNELS)
        rows += [
            outbox_row(m.tenant_id, m.subscriber_id, m.item_kind, m.item_id, c, now)
            for c in channels
            if c in DELIVERED_CHANNELS
        ]
    queued = 0
    for i in range(0, len(rows), 1000):
        queued += insert_ignore_rows(
            conn,
            notifications,
            rows[i : i + 1000],
            ["subscriber_id", "item_kind", "item_id", "channel"],
        )
    return {"queued": queued, "already": len(rows) - queued, "awaiting_channel": awaiting}
