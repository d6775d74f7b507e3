"""The weekly subscriber report (docs/domain.md#lead-delivery): a subscriber's week as one email.

For the week starting Monday W: the matches made for them that week, by lead type and by
zip, the top `weekly_report_top` by score, how many alert emails were sent to them and how
many they opened. One outbox row per (subscriber, "weekly", W): a re-run sends nothing
again; a subscriber with no match that week gets no email. The week's numbers are computed
here when the email is queued (after the week has ended) and travel with it.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import Connection, Engine, and_, func, select

from pipelines import clock
from pipelines.alerts.digest import day_id
from pipelines.db.schema import (
    alert_criteria,
    alert_matches,
    lead_events,
    notifications,
    subscribers,
)
from pipelines.db.upsert import insert_ignore_rows
from pipelines.notify.queue import NOTIFICATION_KEY, outbox_row
from pipelines.settings import get_settings
from pipelines.workqueue import MessageState


def queue_weekly_reports(
    engine: Engine, monday: date, pdf_reports: dict[int, int] | None = None
) -> dict[str, int]:
    """Queue each subscriber's weekly email with its week's summary; `pdf_reports`: the
    stored weekly PDF of each tenant ({tenant id: report id}), linked from the email."""
    pdf_reports = pdf_reports or {}
    start, end = week_bounds(monday)
    am = alert_matches.c
    q = (
        select(am.tenant_id, am.subscriber_id)
        .join(
            subscribers,
            and_(subscribers.c.id == am.subscriber_id, subscribers.c.tenant_id == am.tenant_id),
        )
        .join(alert_criteria, alert_criteria.c.subscriber_id == am.subscriber_id)
        .where(
            am.matched_at >= start,
            am.matched_at < end,
            alert_criteria.c.delivery != "off",  # off: no alert email of any kind
            subscribers.c.active.is_(True),
            subscribers.c.unsubscribed_at.is_(None),
        )
        .group_by(am.tenant_id, am.subscriber_id)
    )
    now = clock.now()
    with engine.begin() as conn:
        rows = [
            outbox_row(
                r.tenant_id,
                r.subscriber_id,
                "weekly",
                day_id(monday),
                "email",
                now,
                {
                    "summary": weekly_summary(conn, r.tenant_id, r.subscriber_id, monday),
                    "pdf_report_id": pdf_reports.get(r.tenant_id),
                },
            )
            for r in conn.execute(q).all()
        ]
        queued = insert_ignore_rows(conn, notifications, rows, NOTIFICATION_KEY)
    return {"subscribers": len(rows), "queued": queued}


def week_bounds(monday: date) -> tuple[datetime, datetime]:
    start = datetime.combine(monday, time(), tzinfo=timezone.utc)
    return start, start + timedelta(days=7)


def weekly_summary(conn: Connection, tenant_id: int, subscriber_id: int, monday: date) -> dict:
    """What the weekly email shows, computed for one subscriber and week (JSON-ready)."""
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
            n.state == MessageState.SENT,
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
        "week": monday.isoformat(),
        "match_ids": [[m.item_kind, m.item_id] for m in matches],
        "top_ids": [[m.item_kind, m.item_id] for m in matches[: get_settings().weekly_report_top]],
        "matches": len(matches),
        "alerts_sent": sent,
        "opened": opened,
        "by_kind": dict(Counter(m.item_kind for m in matches)),
    }
