"""Hot leads: new leads that should alert subscribers at once, not wait for the digest.

A lead is hot when its priority is `high` (probate leads are created so; SPEC §2) and it
is still `new`. This is the hook the hot-lead sensor reads with its cursor (the last lead
id it has handed on), so a replayed tick never hands on the same lead twice.
"""

from __future__ import annotations

from sqlalchemy import Engine, select

from pipelines.store.tables import leads

HOT_PRIORITY = "high"


def hot_leads_after(engine: Engine, after_id: int, limit: int = 5_000) -> list[dict]:
    q = (select(leads.c.id, leads.c.folio, leads.c.lead_type, leads.c.score, leads.c.lead_date)
         .where(leads.c.id > after_id, leads.c.priority == HOT_PRIORITY, leads.c.status == "new")
         .order_by(leads.c.id).limit(limit))
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]
