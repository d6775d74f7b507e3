"""Counts, checks and previews of county tables, for the materialisations people read in the
UI (asset metadata and asset checks ask here instead of running their own SQL)."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from pipelines.db.schema import properties


def properties_total(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(properties)).scalar_one()


def recent_properties(conn: Connection, limit: int = 5) -> list[dict]:
    p = properties.c
    q = (
        select(
            p.folio,
            p.owner_name,
            p.address,
            p.city,
            p.last_sale_date,
            p.last_sale_price,
            p.last_transaction_type,
        )
        .order_by(p.updated_at.desc(), p.folio)
        .limit(limit)
    )
    return [dict(r) for r in conn.execute(q).mappings()]
