"""Lead rules over staged OfficialRecords, as set-based SQL (one statement per rule per batch).

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

_INSERT_LEADS = """
WITH {documents},
candidates AS (
    SELECT d.*, ROW_NUMBER() OVER (PARTITION BY d.cfn, d.folio ORDER BY d.partition_key, d.line_no) AS copy_r
    FROM documents d
    WHERE d.doc_type IN :doc_types
)
INSERT INTO leads (folio, lead_type, product, base_score, score, priority, status, lead_date,
                   case_number, contact_name, contact_address,
                   source_asset, source_file, source_line, source_key, created_at)
SELECT c.folio, :lead_type, :product, :base_score, :base_score, :priority, 'new', c.rec_date,
       c.case_num, {contact_name},
       CASE WHEN p.address IS NULL THEN NULL
            ELSE p.address || COALESCE(', ' || p.city, '') || COALESCE(' ' || p.zip, '') END,
       'staged_official_records', c.source_file, c.line_no, c.cfn, :now
FROM candidates c
JOIN properties p ON p.folio = c.folio
WHERE c.copy_r = 1 {extra_where}
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
  AND folio IN (SELECT folio FROM staged_official_records
                WHERE partition_key IN :partition_keys AND doc_type IN ('LIS', 'CLP') AND folio IS NOT NULL)
  AND EXISTS (
        SELECT 1 FROM staged_official_records c
        WHERE c.doc_type = 'CLP' AND c.folio = leads.folio
          AND (c.rec_date > leads.lead_date OR (c.rec_date = leads.lead_date AND c.cfn > leads.source_key)))
"""


@dataclass(frozen=True)
class LeadCounts:
    created: dict[str, int]
    closed: int


def _rule_sql(dialect: str, lead_type: str) -> str:
    if lead_type == "new_homeowner":
        extra = (
            f"AND c.rec_date >= {_WINDOW_START[dialect]} AND c.rec_date <= {_PARTITION_DATE[dialect]} "
            "AND c.price > 0"
        )
        contact = "c.grantee"
    else:  # foreclosure: the contact is the current owner of record
        extra, contact = "", "p.owner_name"
    return _INSERT_LEADS.format(documents=DOCUMENTS_CTE, contact_name=contact, extra_where=extra)


def generate_leads(conn: Connection, partition_keys: list[str], now: datetime | None = None) -> LeadCounts:
    s = get_settings()
    now = now or datetime.now(timezone.utc)
    dialect = conn.dialect.name
    binds, params = documents_params(partition_keys, s.doc_tax_per_100)
    rules = {
        "new_homeowner": dict(doc_types=list(SALE_DEED_DOC_TYPES), product="A",
                              base_score=s.base_score_new_homeowner, priority="normal",
                              window_days=s.new_homeowner_window_days),
        "foreclosure": dict(doc_types=["LIS"], product="B",
                            base_score=s.base_score_foreclosure, priority="normal"),
    }
    for lead_type, rule in rules.items():
        stmt = text(_rule_sql(dialect, lead_type)).bindparams(
            *binds,
            bindparam("doc_types", expanding=True),
            bindparam("now", type_=DateTime(timezone=True)),
        )
        conn.execute(stmt, {**params, **rule, "lead_type": lead_type, "now": now})
    closed = conn.execute(
        text(_CLOSE_FORECLOSURES).bindparams(bindparam("partition_keys", expanding=True)),
        {"partition_keys": list(partition_keys)},
    ).rowcount
    created = dict(
        conn.execute(
            select(leads.c.lead_type, func.count()).where(leads.c.created_at == now).group_by(leads.c.lead_type)
        ).all()
    )
    return LeadCounts(created=created, closed=closed)
