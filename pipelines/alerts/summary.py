"""What the alerting half did for one tenant: listings scored, matches, messages by state."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from pipelines.db.schema import alert_matches, listing_scores, notifications


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
        }
