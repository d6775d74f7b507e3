"""Lead rules over staged OfficialRecords, as set-based SQL: one INSERT for all rules per batch,
plus one UPDATE that closes foreclosures.

- new_homeowner (product A): a sale deed (DEE/WD) recorded at most N days before its
  partition date with a price > 0 (consideration, or implied by the doc tax).
- foreclosure (product B): a lis pendens (LIS) on a folio; `case_num` names its civil case.
  A later cancellation (CLP, ranked by rec_date then cfn) on the same folio closes it.
Leads are unique on (lead_type, folio, source_key = cfn): re-running never duplicates.
When the same document arrives in two partitions (a re-sent file), the lead's lineage
points at the earliest partition's copy, whatever the processing order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import Connection, DateTime, bindparam, func, select, text

from pipelines.settings import SALE_DEED_DOC_TYPES, get_settings
from pipelines.store.documents import DOCUMENTS_CTE, documents_params
from pipelines.store.tables import leads

# Date arithmetic is the one thing the two dialects spell differently.
_WINDOW_START = {
    "sqlite": "date(c.partition_key, '-' || :window_days || ' days')",
    "postgresql": "CAST(c.partition_key AS DATE) - CAST(:window_days AS INTEGER)",
}
_PARTITION_DATE = {"sqlite": "c.partition_key", "postgresql": "CAST(c.partition_key AS DATE)"}

# All rules in one statement: each candidate document gets its lead_type by a CASE, rows
# that match no rule are filtered out, and the documents are read once.
_INSERT_LEADS = """
WITH {documents},
candidates AS (
    SELECT d.*,
           CASE WHEN d.doc_type IN :sale_deed_types THEN 'new_homeowner'
                WHEN d.doc_type = 'LIS' THEN 'foreclosure' END AS lead_type,
           ROW_NUMBER() OVER (PARTITION BY d.cfn, d.folio ORDER BY d.partition_key, d.line_no) AS copy_r
    FROM documents d
    WHERE d.doc_type IN :sale_deed_types OR d.doc_type = 'LIS'
)
INSERT INTO leads (folio, lead_type, product, base_score, score, priority, status, lead_date,
                   case_number, contact_name, contact_address,
                   source_asset, source_file, source_line, source_key, created_at)
SELECT c.folio, c.lead_type,
       CASE c.lead_type WHEN 'new_homeowner' THEN 'A' ELSE 'B' END,
       CASE c.lead_type WHEN 'new_homeowner' THEN :score_new_homeowner ELSE :score_foreclosure END,
       CASE c.lead_type WHEN 'new_homeowner' THEN :score_new_homeowner ELSE :score_foreclosure END,
       'normal', 'new', c.rec_date, c.case_num,
       -- a new homeowner is the grantee; a foreclosure's contact is the owner of record
       CASE c.lead_type WHEN 'new_homeowner' THEN c.grantee ELSE p.owner_name END,
       CASE WHEN p.address IS NULL THEN NULL
            ELSE p.address || COALESCE(', ' || p.city, '') || COALESCE(' ' || p.zip, '') END,
       'staged_official_records', c.source_file, c.line_no, c.cfn, :now
FROM candidates c
JOIN properties p ON p.folio = c.folio
WHERE c.copy_r = 1
  AND (c.lead_type = 'foreclosure'
       OR (c.rec_date >= {window_start} AND c.rec_date <= {partition_date} AND c.price > 0))
ON CONFLICT (lead_type, folio, source_key) DO UPDATE SET
    source_file = excluded.source_file, source_line = excluded.source_line
WHERE excluded.source_file < leads.source_file
"""

_CLOSE_FORECLOSURES = """
UPDATE leads SET
    status = 'dismissed',
    status_reason = 'cancelled by CLP ' || (
        SELECT MIN(c.cfn) FROM staged_official_records c
        WHERE c.doc_type = 'CLP' AND c.folio = leads.folio
          AND (c.rec_date > leads.lead_date OR (c.rec_date = leads.lead_date AND c.cfn > leads.source_key)))
WHERE lead_type = 'foreclosure' AND status IN ('new', 'sent', 'contacted')
  AND EXISTS (
        SELECT 1 FROM staged_official_records c
        WHERE c.doc_type = 'CLP' AND c.folio = leads.folio
          AND (c.rec_date > leads.lead_date OR (c.rec_date = leads.lead_date AND c.cfn > leads.source_key)))
"""


@dataclass(frozen=True)
class LeadCounts:
    created: dict[str, int]
    closed: int


def generate_leads(conn: Connection, partition_keys: list[str], now: datetime | None = None) -> LeadCounts:
    s = get_settings()
    now = now or datetime.now(timezone.utc)
    dialect = conn.dialect.name
    binds, params = documents_params(partition_keys, s.doc_tax_per_100)
    sql = _INSERT_LEADS.format(documents=DOCUMENTS_CTE, window_start=_WINDOW_START[dialect],
                               partition_date=_PARTITION_DATE[dialect])
    stmt = text(sql).bindparams(
        *binds,
        bindparam("sale_deed_types", expanding=True),
        bindparam("now", type_=DateTime(timezone=True)),
    )
    conn.execute(stmt, {
        **params,
        "sale_deed_types": list(SALE_DEED_DOC_TYPES),
        "window_days": s.new_homeowner_window_days,
        "score_new_homeowner": s.base_score_new_homeowner,
        "score_foreclosure": s.base_score_foreclosure,
        "now": now,
    })
    # Every open foreclosure is checked, not just this batch's: a CLP ingested before its
    # LIS must still close it. One probe of the partial CLP index per open lead.
    closed = conn.execute(text(_CLOSE_FORECLOSURES)).rowcount
    created = dict(
        conn.execute(
            select(leads.c.lead_type, func.count()).where(leads.c.created_at == now).group_by(leads.c.lead_type)
        ).all()
    )
    return LeadCounts(created=created, closed=closed)
