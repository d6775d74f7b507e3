"""Hot leads: new leads that should alert subscribers at once, not wait for the digest.

A lead is hot when it is still `new` and either its priority is `high` (probate leads are
created so) or it is a foreclosure (docs/domain.md#leads). This is the hook the hot-lead
sensor reads with its cursor (the last lead id it has handed on), so a replayed tick never
hands on the same lead twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import Engine, and_, or_, select

from pipelines.db.schema import leads
from pipelines.settings import get_settings

HOT_PRIORITY = "high"
HOT_LEAD_TYPES = ("probate", "foreclosure")


def is_hot(now: datetime):
    """The SQL condition for a hot lead; only leads created in the last `hot_lead_max_age_hours`
    count, so a first start after a long backfill does not alert on a year of history."""
    since = now - timedelta(hours=get_settings().hot_lead_max_age_hours)
    return and_(
        leads.c.status == "new",
        leads.c.created_at >= since,
        or_(leads.c.priority == HOT_PRIORITY, leads.c.lead_type.in_(HOT_LEAD_TYPES)),
    )


def hot_leads_after(
    engine: Engine, after_id: int, limit: int = 5_000, now: datetime | None = None
) -> list[dict]:
    q = (
        select(leads.c.id, leads.c.folio, leads.c.lead_type, leads.c.score, leads.c.lead_date)
        .where(leads.c.id > after_id, is_hot(now or datetime.now(timezone.utc)))
        .order_by(leads.c.id)
        .limit(limit)
    )
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]
