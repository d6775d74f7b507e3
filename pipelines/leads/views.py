"""A county lead as a subscriber sees it: the lead, its property, the score with its breakdown,
the lineage (source document, file and line), and what this subscriber did with it.

`entitled` is the rule the leads API and the lead pages share: a tenant sees a lead once the
lead has matched one of its subscribers (an `alert_matches` row for that tenant).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, Engine, and_, exists, select

from pipelines.db.plain import plain
from pipelines.db.schema import alert_matches, lead_events, lead_scores, leads, properties
from pipelines.leads.scoring import PARTS

LEAD_FIELDS = (
    "id",
    "folio",
    "lead_type",
    "product",
    "score",
    "priority",
    "status",
    "lead_date",
    "case_number",
    "contact_name",
    "contact_address",
)


def entitled(tenant_id: int):
    """SQL: the lead has matched a subscriber of this tenant."""
    am = alert_matches.c
    return exists().where(
        am.tenant_id == tenant_id, am.item_kind == "lead", am.item_id == leads.c.id
    )


def _query():
    return select(
        leads,
        properties.c.address,
        properties.c.city,
        properties.c.zip,
        properties.c.owner_name,
        properties.c.last_sale_date,
        properties.c.last_sale_price,
    ).join(properties, properties.c.folio == leads.c.folio, isouter=True)


def _view(conn: Connection, row) -> dict:
    body = {k: plain(row[k]) for k in LEAD_FIELDS}
    body["score"] = round(row["score"], 1)
    body["property"] = {
        k: plain(row[k])
        for k in ("address", "city", "zip", "owner_name", "last_sale_date", "last_sale_price")
    }
    body["source"] = {
        "asset": row["source_asset"],
        "document": row["source_key"],
        "file": row["source_file"],
        "line": row["source_line"],
    }
    s = conn.execute(select(lead_scores).where(lead_scores.c.lead_id == row["id"])).mappings()
    scored = s.first()
    body["breakdown"] = (
        {k: scored[k] for k in PARTS} | {"scored_on": plain(scored["scored_on"])}
        if scored
        else {"base_score": row["base_score"]}
    )
    return body


def lead_view(engine: Engine, lead_id: int, tenant_id: int) -> dict | None:
    """The lead if the tenant is entitled to it, else None (the same as no such lead)."""
    with engine.connect() as conn:
        row = (
            conn.execute(_query().where(leads.c.id == lead_id, entitled(tenant_id)))
            .mappings()
            .first()
        )
        return _view(conn, row) if row else None


def tenant_leads(
    engine: Engine,
    tenant_id: int,
    since: date | None = None,
    lead_type: str | None = None,
    min_score: int | None = None,
    limit: int = 100,
) -> list[dict]:
    """The tenant's leads, newest first (lead_date, then id)."""
    q = _query().where(entitled(tenant_id))
    if since is not None:
        q = q.where(leads.c.lead_date >= since)
    if lead_type is not None:
        q = q.where(leads.c.lead_type == lead_type)
    if min_score is not None:
        q = q.where(leads.c.score >= min_score)
    q = q.order_by(leads.c.lead_date.desc(), leads.c.id.desc()).limit(limit)
    with engine.connect() as conn:
        return [_view(conn, r) for r in conn.execute(q).mappings()]


def subscriber_events(engine: Engine, kind: str, item_id: int, subscriber_id: int) -> set[str]:
    ev = lead_events.c
    with engine.connect() as conn:
        return set(
            conn.execute(
                select(ev.event).where(
                    and_(
                        ev.item_kind == kind,
                        ev.lead_id == item_id,
                        ev.subscriber_id == subscriber_id,
                    )
                )
            ).scalars()
        )
