"""The daily digest (docs/domain.md#lead-delivery): per subscriber, the best uncarried matches
that waited for it, as one email.

For a business day D, a subscriber's digest holds up to `digest_size` of their digest-only
matches that no email has carried yet, whose item is dated within the alert window before D
and that they have not dismissed: highest score first, then the newer item, then the lower
id. The digest is one outbox row keyed (subscriber, "digest", D), so a re-run of D queues
nothing again and carries nothing more; nothing waiting → no email. Matches past the cut
wait for the next day's digest while they are inside the window.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import Engine, and_, exists, select

from pipelines import clock
from pipelines.alerts.queue import carry
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


def day_id(day: date) -> int:
    """A day as the digest's (and weekly report's) item id: 2026-11-23 → 20261123."""
    return int(day.strftime("%Y%m%d"))


def dismissed_by_subscriber():
    """SQL: the match's item was dismissed ("not interested") by its subscriber."""
    ev = lead_events.c
    am = alert_matches.c
    return exists().where(
        ev.item_kind == am.item_kind,
        ev.lead_id == am.item_id,
        ev.subscriber_id == am.subscriber_id,
        ev.event == "dismissed",
    )


def waiting_for_digest(engine: Engine, day: date) -> dict[int, list]:
    """Per subscriber, their digest for `day`: the ordered, cut list of waiting matches."""
    s = get_settings()
    am = alert_matches.c
    q = (
        select(am.id, am.tenant_id, am.subscriber_id, am.item_kind, am.item_id, am.score)
        .join(
            subscribers,
            and_(subscribers.c.id == am.subscriber_id, subscribers.c.tenant_id == am.tenant_id),
        )
        .join(alert_criteria, alert_criteria.c.subscriber_id == am.subscriber_id)
        .where(
            am.digest_only.is_(True),
            alert_criteria.c.delivery == "digest",  # weekly and off: no daily digest
            am.notification_id.is_(None),
            am.item_date >= day - timedelta(days=s.alert_window_days),
            am.item_date <= day,
            subscribers.c.active.is_(True),
            subscribers.c.unsubscribed_at.is_(None),
            ~dismissed_by_subscriber(),
        )
        .order_by(am.subscriber_id, am.score.desc(), am.item_date.desc(), am.id)
    )
    out: dict[int, list] = defaultdict(list)
    with engine.connect() as conn:
        for m in conn.execute(q):
            if len(out[m.subscriber_id]) < s.digest_size:
                out[m.subscriber_id].append(m)
    return dict(out)


def queue_digests(engine: Engine, day: date) -> dict[str, int]:
    """Queue `day`'s digest for every subscriber with something waiting. Returns counts."""
    now = clock.now()
    queued = items = 0
    for matches in waiting_for_digest(engine, day).values():
        first = matches[0]
        row = outbox_row(first.tenant_id, first.subscriber_id, "digest", day_id(day), "email", now)
        with engine.begin() as conn:
            if not insert_ignore_rows(conn, notifications, [row], NOTIFICATION_KEY):
                continue  # this day's digest went out already: a re-run sends nothing again
            carry(conn, row["idempotency_key"], [m.id for m in matches])
        queued += 1
        items += len(matches)
    return {"digests": queued, "items": items}
