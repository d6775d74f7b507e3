"""Counts, checks and previews of county tables, for the materialisations people read in the
UI (asset metadata and asset checks ask here instead of running their own SQL)."""

from __future__ import annotations

from sqlalchemy import Connection, Engine, func, select

from pipelines.db.schema import STAGED_TABLES, properties
from pipelines.db.schema.layouts import FileLayout


def duplicate_staged_keys(engine: Engine, layout: FileLayout, partition_keys: list[str]) -> int:
    """Natural keys that occur more than once within a partition of the staged table."""
    table = STAGED_TABLES[layout.file_type]
    key_cols = [table.c.partition_key, *(table.c[k] for k in layout.key)]
    dup = select(*key_cols).where(table.c.partition_key.in_(partition_keys)).group_by(*key_cols)
    dup = dup.having(func.count() > 1).subquery()
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(dup)).scalar_one()


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
