"""The weekly subscriber report (docs/domain.md#lead-delivery): a subscriber's week as one email.

For the week starting Monday W: the matches made for them that week, by lead type and by
zip, the top `weekly_report_top` by score, how many alert emails were sent to them and how
many they opened. One outbox row per (subscriber, "weekly", W): a re-run sends nothing
again; a subscriber with no match that week gets no email.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, and_, select

from pipelines import clock
from pipelines.alerts.digest import day_id
from pipelines.db.schema import alert_matches, notifications, subscribers
from pipelines.db.upsert import insert_ignore_rows
from pipelines.notify.queue import NOTIFICATION_KEY, outbox_row
from pipelines.notify.summaries import week_bounds


def queue_weekly_reports(engine: Engine, monday: date) -> dict[str, int]:
    start, end = week_bounds(monday)
    am = alert_matches.c
    q = (
        select(am.tenant_id, am.subscriber_id)
        .join(
            subscribers,
            and_(subscribers.c.id == am.subscriber_id, subscribers.c.tenant_id == am.tenant_id),
        )
        .where(
            am.matched_at >= start,
            am.matched_at < end,
            subscribers.c.active.is_(True),
            subscribers.c.unsubscribed_at.is_(None),
        )
        .group_by(am.tenant_id, am.subscriber_id)
    )
    now = clock.now()
    with engine.begin() as conn:
        rows = [
            outbox_row(r.tenant_id, r.subscriber_id, "weekly", day_id(monday), "email", now)
            for r in conn.execute(q)
        ]
        queued = insert_ignore_rows(conn, notifications, rows, NOTIFICATION_KEY)
    return {"subscribers": len(rows), "queued": queued}
