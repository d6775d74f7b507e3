"""What the alerting half did for one tenant: listings scored, matches, messages by state."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from pipelines.db.schema import alert_matches, leads, listing_scores, notifications


def tenant_alert_summary(engine: Engine, tenant_id: int) -> dict:
    m = alert_matches.c

    def count(conn, table, *where):
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar()

    with engine.connect() as conn:
        by_state = conn.execute(
            select(notifications.c.state, func.count())
            .where(notifications.c.tenant_id == tenant_id)
            .group_by(notifications.c.state)
            .order_by(notifications.c.state)
        ).all()
        return {
            "listings_scored": count(conn, listing_scores, listing_scores.c.tenant_id == tenant_id),
            "listing_matches": count(
                conn, alert_matches, m.tenant_id == tenant_id, m.item_kind == "listing"
            ),
            "lead_matches": count(
                conn, alert_matches, m.tenant_id == tenant_id, m.item_kind == "lead"
            ),
            "messages_by_state": dict(by_state),
            "messages_by_template": dict(
                conn.execute(
                    select(notifications.c.template, func.count())
                    .where(notifications.c.tenant_id == tenant_id)
                    .group_by(notifications.c.template)
                    .order_by(notifications.c.template)
                ).all()
            ),
            "lead_matches_by_type": _lead_matches_by_type(conn, tenant_id),
        }


def _lead_matches_by_type(conn, tenant_id: int) -> dict[str, str]:
    """lead type → "<at once> / <for the digest>" match counts."""
    m = alert_matches.c
    rows = conn.execute(
        select(leads.c.lead_type, m.digest_only, func.count())
        .join(leads, leads.c.id == m.item_id)
        .where(m.tenant_id == tenant_id, m.item_kind == "lead")
        .group_by(leads.c.lead_type, m.digest_only)
    ).all()
    counts: dict[str, list[int]] = {}
    for lead_type, digest_only, n in rows:
        counts.setdefault(lead_type, [0, 0])[1 if digest_only else 0] += n
    return {t: f"{a} / {d}" for t, (a, d) in sorted(counts.items())}
