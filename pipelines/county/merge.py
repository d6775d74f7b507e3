"""Merge staged OfficialRecords into `properties`: one set-based upsert per batch.

Per folio, three independent "latest" documents (highest rec_date, cfn, partition):
- any document → last_transaction_type/date/cfn
- the latest deed (DEE, WD, QCD, CTI) → owner_name (grantee), last_sale_date/price/cfn
  (so a mortgage recorded after the deed never makes the bank the owner)
- the latest document with an address → address, city, zip
Each group is replaced only by a higher-ranked document, so the result does not
depend on file order or on how partitions are batched; a row is only touched (and
its updated_at moved) when a group actually changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, func, select, text

from pipelines import clock
from pipelines.county.documents import documents_cte, documents_params
from pipelines.db.schema import properties
from pipelines.db.types import Timestamp
from pipelines.settings import DEED_DOC_TYPES, get_settings

_GROUPS = {
    "transaction_rank": ("last_transaction_type", "last_transaction_date", "last_transaction_cfn"),
    "sale_rank": ("owner_name", "owner_key", "last_sale_date", "last_sale_price", "last_sale_cfn"),
    "address_rank": ("address", "city", "zip", "address_key", "unit_key"),
}


def _set_clause() -> str:
    sets = []
    for rank, cols in _GROUPS.items():
        newer = f"excluded.{rank} > COALESCE(properties.{rank}, '')"
        for col in (*cols, rank):
            sets.append(f"{col} = CASE WHEN {newer} THEN excluded.{col} ELSE properties.{col} END")
    changed = " OR ".join(f"excluded.{r} > COALESCE(properties.{r}, '')" for r in _GROUPS)
    return ",\n    ".join(sets) + ",\n    updated_at = excluded.updated_at\nWHERE " + changed


def _latest(expr: str, window: str, when: str) -> str:
    """`expr` of the highest-ranked document matching `when` (NULL when none does)."""
    return f"FIRST_VALUE(CASE WHEN {when} THEN {expr} END) OVER {window}"


_DEED = "doc_type IN :deed_types"
_ADDR = "address IS NOT NULL"

MERGE_SQL = f"""
WITH {{documents}},
latest AS (
    SELECT folio,
           ROW_NUMBER() OVER any_w AS any_r,
           doc_type, rec_date, cfn, rnk,
           {_latest("grantee", "deed_w", _DEED)} AS owner_name,
           {_latest("grantee_key", "deed_w", _DEED)} AS owner_key,
           {_latest("rec_date", "deed_w", _DEED)} AS last_sale_date,
           {_latest("price", "deed_w", _DEED)} AS last_sale_price,
           {_latest("cfn", "deed_w", _DEED)} AS last_sale_cfn,
           {_latest("rnk", "deed_w", _DEED)} AS sale_rank,
           {_latest("address", "addr_w", _ADDR)} AS address,
           {_latest("city", "addr_w", _ADDR)} AS city,
           {_latest("zip", "addr_w", _ADDR)} AS zip,
           {_latest("address_key", "addr_w", _ADDR)} AS address_key,
           {_latest("unit_key", "addr_w", _ADDR)} AS unit_key,
           {_latest("rnk", "addr_w", _ADDR)} AS address_rank
    FROM documents
    WINDOW any_w AS (PARTITION BY folio ORDER BY rnk DESC),
           deed_w AS (PARTITION BY folio ORDER BY CASE WHEN {_DEED} THEN rnk END DESC NULLS LAST),
           addr_w AS (PARTITION BY folio ORDER BY CASE WHEN {_ADDR} THEN rnk END DESC NULLS LAST)
)
INSERT INTO properties (
    folio, last_transaction_type, last_transaction_date, last_transaction_cfn, transaction_rank,
    owner_name, owner_key, last_sale_date, last_sale_price, last_sale_cfn, sale_rank,
    address, city, zip, address_key, unit_key, address_rank, first_seen_at, updated_at)
SELECT folio, doc_type, rec_date, cfn, rnk,
       owner_name, owner_key, last_sale_date, last_sale_price, last_sale_cfn, sale_rank,
       address, city, zip, address_key, unit_key, address_rank, :now, :now
FROM latest
WHERE any_r = 1
ON CONFLICT (folio) DO UPDATE SET
    {_set_clause()}
"""


@dataclass(frozen=True)
class MergeCounts:
    inserted: int
    updated: int


def merge_properties(
    conn: Connection,
    partition_keys: list[str],
    now: datetime | None = None,
    source_table: str = "staged_official_records",
) -> MergeCounts:
    """Merge the documents of these partitions of `source_table` (the bulk file's staged rows
    by default; the records API's for lookups: the same rule either way)."""
    now = now or clock.now()
    binds, params = documents_params(partition_keys, get_settings().doc_tax_per_100)
    sql = MERGE_SQL.replace("{documents}", documents_cte(source_table))
    stmt = text(sql).bindparams(
        *binds,
        bindparam("deed_types", expanding=True),
        bindparam("now", type_=Timestamp()),
    )
    before = conn.execute(select(func.count()).select_from(properties)).scalar_one()
    touched = conn.execute(
        stmt, {**params, "deed_types": list(DEED_DOC_TYPES), "now": now}
    ).rowcount
    after = conn.execute(select(func.count()).select_from(properties)).scalar_one()
    inserted = after - before
    return MergeCounts(inserted=inserted, updated=max(touched - inserted, 0))
