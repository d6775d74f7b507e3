"""Invariants of matching and queueing, for the alert assets' checks (docs/domain.md#alerts).

Each counts the rows of one run that break a rule the code is meant to keep; 0 is a pass.
A run's rows are those with an id above the newest before it ran, so a subscriber who
raises their min score later does not make an old match fail.
"""

from __future__ import annotations

from sqlalchemy import Connection, and_, func, select

from pipelines.db.schema import alert_criteria, alert_matches, listings, notifications, subscribers


def newest_match_id(conn: Connection) -> int:
    return conn.execute(select(func.max(alert_matches.c.id))).scalar() or 0


def matches_below_min_score(conn: Connection, after_id: int) -> int:
    """Matches made after `after_id` whose score is below their subscriber's min score."""
    am, ac = alert_matches.c, alert_criteria.c
    q = (
        select(func.count())
        .select_from(alert_matches.join(alert_criteria, ac.subscriber_id == am.subscriber_id))
        .where(am.id > after_id, am.score < ac.min_score)
    )
    return conn.execute(q).scalar_one()


def matches_outside_tenant(conn: Connection, after_id: int) -> int:
    """Matches made after `after_id` that cross tenants: the match's tenant is not its
    subscriber's, or a listing reached another tenant's subscriber."""
    am = alert_matches.c
    wrong_subscriber = (
        select(func.count())
        .select_from(alert_matches.join(subscribers, subscribers.c.id == am.subscriber_id))
        .where(am.id > after_id, subscribers.c.tenant_id != am.tenant_id)
    )
    wrong_listing = (
        select(func.count())
        .select_from(
            alert_matches.join(
                listings, and_(am.item_kind == "listing", listings.c.id == am.item_id)
            )
        )
        .where(am.id > after_id, listings.c.tenant_id != am.tenant_id)
    )
    return conn.execute(wrong_subscriber).scalar_one() + conn.execute(wrong_listing).scalar_one()


def alerts_below_min_score(conn: Connection, after_id: int) -> int:
    """Messages queued after `after_id` that carry a match below its subscriber's min score."""
    am, ac = alert_matches.c, alert_criteria.c
    q = (
        select(func.count())
        .select_from(
            notifications.join(alert_matches, am.notification_id == notifications.c.id).join(
                alert_criteria, ac.subscriber_id == am.subscriber_id
            )
        )
        .where(notifications.c.id > after_id, am.score < ac.min_score)
    )
    return conn.execute(q).scalar_one()
