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
from datetime import datetime, timezone

from sqlalchemy import Connection, DateTime, bindparam, func, select, text

from pipelines.settings import DEED_DOC_TYPES, get_settings
from pipelines.store.documents import DOCUMENTS_CTE, documents_params
from pipelines.store.tables import properties

_GROUPS = {
    "transaction_rank": ("last_transaction_type", "last_transaction_date", "last_transaction_cfn"),
    "sale_rank": ("owner_name", "last_sale_date", "last_sale_price", "last_sale_cfn"),
    "address_rank": ("address", "city", "zip"),
}


def _set_clause() -> str:
    sets = []
    for rank, cols in _GROUPS.items():
        newer = f"excluded.{rank} > COALESCE(properties.{rank}, '')"
        for col in (*cols, rank):
            sets.append(f"{col} = CASE WHEN {newer} THEN excluded.{col} ELSE properties.{col} END")
    changed = " OR ".join(f"excluded.{r} > COALESCE(properties.{r}, '')" for r in _GROUPS)
    return ",\n    ".join(sets) + ",\n    updated_at = excluded.updated_at\nWHERE " + changed


MERGE_SQL = f"""
WITH {DOCUMENTS_CTE},
ranked AS (
    SELECT documents.*,
           ROW_NUMBER() OVER (PARTITION BY folio ORDER BY rnk DESC) AS any_r,
           CASE WHEN doc_type IN :deed_types
                THEN ROW_NUMBER() OVER (PARTITION BY folio, doc_type IN :deed_types ORDER BY rnk DESC) END AS deed_r,
           CASE WHEN address IS NOT NULL
                THEN ROW_NUMBER() OVER (PARTITION BY folio, address IS NOT NULL ORDER BY rnk DESC) END AS addr_r
    FROM documents
)
INSERT INTO properties (
    folio, last_transaction_type, last_transaction_date, last_transaction_cfn, transaction_rank,
    owner_name, last_sale_date, last_sale_price, last_sale_cfn, sale_rank,
    address, city, zip, address_rank, first_seen_at, updated_at)
SELECT a.folio, a.doc_type, a.rec_date, a.cfn, a.rnk,
       d.grantee, d.rec_date, d.price, d.cfn, d.rnk,
       ad.address, ad.city, ad.zip, ad.rnk, :now, :now
FROM ranked a
LEFT JOIN ranked d ON d.folio = a.folio AND d.deed_r = 1
LEFT JOIN ranked ad ON ad.folio = a.folio AND ad.addr_r = 1
WHERE a.any_r = 1
ON CONFLICT (folio) DO UPDATE SET
    {_set_clause()}
"""


@dataclass(frozen=True)
class MergeCounts:
    inserted: int
    updated: int


def merge_properties(conn: Connection, partition_keys: list[str], now: datetime | None = None) -> MergeCounts:
    now = now or datetime.now(timezone.utc)
    binds, params = documents_params(partition_keys, get_settings().doc_tax_per_100)
    stmt = text(MERGE_SQL).bindparams(
        *binds,
        bindparam("deed_types", expanding=True),
        bindparam("now", type_=DateTime(timezone=True)),
    )
    before = conn.execute(select(func.count()).select_from(properties)).scalar_one()
    touched = conn.execute(stmt, {**params, "deed_types": list(DEED_DOC_TYPES), "now": now}).rowcount
    after = conn.execute(select(func.count()).select_from(properties)).scalar_one()
    inserted = after - before
    return MergeCounts(inserted=inserted, updated=max(touched - inserted, 0))
