"""What subscribers do with their emails, recorded from signed links (docs/domain.md#engagement).

Opens (the email's 1×1 image), clicks (links pass through a redirect), "contacted" and
"not interested" (buttons on the lead page) become `lead_events`, one row per (item,
subscriber, event): opening the same email twice counts once. The nightly lead score reads
opens and clicks (the engagement bonus); "not interested" keeps the item out of that
subscriber's digests. Unsubscribing stops every alert, digest and report to the subscriber.
"""

from __future__ import annotations

from sqlalchemy import Engine, select, update

from pipelines import clock
from pipelines.db.schema import alert_matches, lead_events, subscribers
from pipelines.db.upsert import insert_ignore_rows
from pipelines.notify.links import Link

EVENT_KEY = ["item_kind", "lead_id", "subscriber_id", "event"]


def _rows(link: Link, event: str, items: list[tuple[str, int]]) -> list[dict]:
    now = clock.now()
    return [
        {
            "item_kind": kind,
            "lead_id": item_id,
            "event": event,
            "occurred_at": now,
            "subscriber_id": link.subscriber_id,
            "tenant_id": link.tenant_id,
            "notification_id": link.notification_id,
        }
        for kind, item_id in items
    ]


def record(engine: Engine, link: Link, event: str) -> int:
    """Record `event` for the item a page link names; returns 1 when new, 0 when known."""
    with engine.begin() as conn:
        return insert_ignore_rows(
            conn, lead_events, _rows(link, event, [(link.kind, link.item_id)]), EVENT_KEY
        )


def record_open(engine: Engine, link: Link) -> int:
    """An email was opened: every item it carried counts as opened by its subscriber."""
    am = alert_matches.c
    with engine.begin() as conn:
        items = [
            (r.item_kind, r.item_id)
            for r in conn.execute(
                select(am.item_kind, am.item_id).where(
                    am.notification_id == link.item_id,
                    am.subscriber_id == link.subscriber_id,
                    am.tenant_id == link.tenant_id,
                )
            )
        ]
        return insert_ignore_rows(conn, lead_events, _rows(link, "opened", items), EVENT_KEY)


def unsubscribe(engine: Engine, link: Link) -> bool:
    """Stop everything to the link's subscriber; True when they were subscribed until now."""
    with engine.begin() as conn:
        return bool(
            conn.execute(
                update(subscribers)
                .where(
                    subscribers.c.id == link.subscriber_id,
                    subscribers.c.tenant_id == link.tenant_id,
                    subscribers.c.unsubscribed_at.is_(None),
                )
                .values(unsubscribed_at=clock.now())
            ).rowcount
        )
