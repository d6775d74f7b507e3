"""What a weekly report shows, computed when the email is built (docs/domain.md#lead-delivery)."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import Connection, func, select

from pipelines.db.schema import alert_matches, lead_events, notifications
from pipelines.settings import get_settings


def week_bounds(monday: date) -> tuple[datetime, datetime]:
    start = datetime.combine(monday, time(), tzinfo=timezone.utc)
    return start, start + timedelta(days=7)


def weekly_summary(conn: Connection, tenant_id: int, subscriber_id: int, week_id: int) -> dict:
    """What the weekly email shows, computed for one subscriber and week."""
    monday = datetime.strptime(str(week_id), "%Y%m%d").date()
    start, end = week_bounds(monday)
    am = alert_matches.c
    matches = conn.execute(
        select(am.item_kind, am.item_id, am.score)
        .where(
            am.tenant_id == tenant_id,
            am.subscriber_id == subscriber_id,
            am.matched_at >= start,
            am.matched_at < end,
        )
        .order_by(am.score.desc(), am.id)
    ).all()
    n = notifications.c
    sent = conn.execute(
        select(func.count()).where(
            n.tenant_id == tenant_id,
            n.subscriber_id == subscriber_id,
            n.state == "sent",
            n.item_kind.in_(("lead", "listing", "group", "digest")),
            n.sent_at >= start,
            n.sent_at < end,
        )
    ).scalar()
    ev = lead_events.c
    opened = conn.execute(
        select(func.count()).where(
            ev.tenant_id == tenant_id,
            ev.subscriber_id == subscriber_id,
            ev.event == "opened",
            ev.occurred_at >= start,
            ev.occurred_at < end,
        )
    ).scalar()
    return {
        "week": monday,
        "match_ids": [(m.item_kind, m.item_id) for m in matches],
        "top_ids": [(m.item_kind, m.item_id) for m in matches[: get_settings().weekly_report_top]],
        "matches": len(matches),
        "alerts_sent": sent,
        "opened": opened,
        "by_kind": Counter(m.item_kind for m in matches),
    }
