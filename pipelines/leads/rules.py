"""Lead rules over staged OfficialRecords, as set-based SQL: one INSERT for all rules per batch,
plus one UPDATE that closes foreclosures.

- new_homeowner (product A): a sale deed (DEE/WD) recorded at most N days before its
  partition date with a price > 0 (consideration, or implied by the doc tax).
- foreclosure (product B): a lis pendens (LIS) on a folio; `case_num` names its civil case.
  A later cancellation (CLP, ranked by rec_date then cfn) on the same folio closes it.
- lien (product B): a judgment or lien document (JUD, LIE, FTL, NTL) on a folio.
- eviction / lien / probate / judgment from the weekly and monthly files: records that
  `matching` tied to exactly one property (`generate_matched_leads`).
Leads are unique on (lead_type, folio, source_key = cfn): re-running never duplicates.
When the same document arrives in two partitions (a re-sent file, sometimes only some of
its party rows), the lead's lineage and contact come from the earliest partition's copy,
whatever the processing order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, func, select, text

from pipelines import clock
from pipelines.county.documents import DOCUMENTS_CTE, documents_params
from pipelines.county.partition_keys import first_day_sql
from pipelines.db.schema import STAGED_TABLES, leads
from pipelines.db.types import Timestamp
from pipelines.leads.matching import MatchSpec
from pipelines.settings import LIEN_DOC_TYPES, SALE_DEED_DOC_TYPES, get_settings

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
                WHEN d.doc_type = 'LIS' THEN 'foreclosure'
                ELSE 'lien' END AS lead_type,
           ROW_NUMBER() OVER (PARTITION BY d.cfn, d.folio ORDER BY d.partition_key, d.line_no) AS
           copy_r
    FROM documents d
    WHERE d.doc_type IN :sale_deed_types OR d.doc_type = 'LIS' OR d.doc_type IN :lien_doc_types
)
INSERT INTO leads (folio, lead_type, product, base_score, score, priority, status, lead_date,
                   case_number, contact_name, contact_address,
                   source_asset, source_file, source_line, source_key, created_at)
SELECT c.folio, c.lead_type,
       CASE c.lead_type WHEN 'new_homeowner' THEN 'A' ELSE 'B' END,
       CASE c.lead_type WHEN 'new_homeowner' THEN :score_new_homeowner
                        WHEN 'foreclosure' THEN :score_foreclosure ELSE :score_lien END,
       CASE c.lead_type WHEN 'new_homeowner' THEN :score_new_homeowner
                        WHEN 'foreclosure' THEN :score_foreclosure ELSE :score_lien END,
       'normal', 'new', c.rec_date, c.case_num,
       -- the document's grantee: the new owner, the lis pendens defendant, the debtor
       c.grantee,
       {property_address},
       'staged_official_records', c.source_file, c.line_no, c.cfn, :now
FROM candidates c
JOIN properties p ON p.folio = c.folio
WHERE c.copy_r = 1
  AND (c.lead_type <> 'new_homeowner'
       OR (c.rec_date >= {window_start} AND c.rec_date <= {partition_date} AND c.price > 0))
ON CONFLICT (lead_type, folio, source_key) DO UPDATE SET
    source_file = excluded.source_file, source_line = excluded.source_line,
    case_number = excluded.case_number, contact_name = excluded.contact_name,
    contact_address = excluded.contact_address
WHERE excluded.source_file < leads.source_file
"""

PROPERTY_ADDRESS = (
    "CASE WHEN p.address IS NULL THEN NULL "
    "ELSE p.address || COALESCE(', ' || p.city, '') || COALESCE(' ' || p.zip, '') END"
)

_REFRESH_ADDRESS = """
UPDATE leads SET contact_address = (SELECT {property_address} FROM properties p WHERE p.folio =
leads.folio)
WHERE source_asset = 'staged_official_records'
  AND created_at <> :now
  AND folio IN (SELECT folio FROM staged_official_records
                WHERE partition_key IN :partition_keys AND folio IS NOT NULL AND document_head)
  AND contact_address {distinct} (SELECT {property_address} FROM properties p
                                  WHERE p.folio = leads.folio)
"""
# Null-safe "differs": only rows whose address really changed are rewritten.
_DISTINCT = {"sqlite": "IS NOT", "postgresql": "IS DISTINCT FROM"}

_CLOSE_FORECLOSURES = """
UPDATE leads SET
    status = 'dismissed',
    status_reason = 'cancelled by CLP ' || (
        SELECT MIN(c.cfn) FROM staged_official_records c
        WHERE c.doc_type = 'CLP' AND c.folio = leads.folio
          AND (c.rec_date > leads.lead_date OR (c.rec_date = leads.lead_date AND c.cfn >
          leads.source_key)))
WHERE lead_type = 'foreclosure' AND status IN ('new', 'sent', 'contacted')
  AND EXISTS (
        SELECT 1 FROM staged_official_records c
        WHERE c.doc_type = 'CLP' AND c.folio = leads.folio
          AND (c.rec_date > leads.lead_date OR (c.rec_date = leads.lead_date AND c.cfn >
          leads.source_key)))
"""


@dataclass(frozen=True)
class LeadCounts:
    created: dict[str, int]
    closed: int


def generate_leads(
    conn: Connection, partition_keys: list[str], now: datetime | None = None
) -> LeadCounts:
    s = get_settings()
    now = now or clock.now()
    dialect = conn.dialect.name
    binds, params = documents_params(partition_keys, s.doc_tax_per_100)
    sql = _INSERT_LEADS.format(
        documents=DOCUMENTS_CTE,
        window_start=_WINDOW_START[dialect],
        partition_date=_PARTITION_DATE[dialect],
        property_address=PROPERTY_ADDRESS,
    )
    stmt = text(sql).bindparams(
        *binds,
        bindparam("sale_deed_types", expanding=True),
        bindparam("lien_doc_types", expanding=True),
        bindparam("now", type_=Timestamp()),
    )
    conn.execute(
        stmt,
        {
            **params,
            "sale_deed_types": list(SALE_DEED_DOC_TYPES),
            "lien_doc_types": list(LIEN_DOC_TYPES),
            "score_lien": s.base_score_lien,
            "window_days": s.new_homeowner_window_days,
            "score_new_homeowner": s.base_score_new_homeowner,
            "score_foreclosure": s.base_score_foreclosure,
            "now": now,
        },
    )
    # The property's address may have been set by a document processed after the lead was
    # made: refresh it for the batch's folios, so the result does not depend on order. Leads
    # made just now already carry the merged address, so only older ones are looked at.
    refresh = _REFRESH_ADDRESS.format(
        property_address=PROPERTY_ADDRESS, distinct=_DISTINCT[dialect]
    )
    conn.execute(
        text(refresh).bindparams(
            bindparam("partition_keys", expanding=True),
            bindparam("now", type_=Timestamp()),
        ),
        {"partition_keys": list(partition_keys), "now": now},
    )
    # Every open foreclosure is checked, not just this batch's: a CLP ingested before its
    # LIS must still close it. One probe of the partial CLP index per open lead.
    closed = conn.execute(text(_CLOSE_FORECLOSURES)).rowcount
    created = dict(
        conn.execute(
            select(leads.c.lead_type, func.count())
            .where(leads.c.created_at == now)
            .group_by(leads.c.lead_type)
        ).all()
    )
    return LeadCounts(created=created, closed=closed)


_INSERT_MATCHED = """
WITH picked AS (
    SELECT m.*, ROW_NUMBER() OVER (PARTITION BY m.folio, m.record_key ORDER BY m.partition_key,
    m.line_no) AS copy_r
    FROM record_matches m
    WHERE m.file_type = :file_type AND m.partition_key IN :partition_keys AND m.status = 'matched'
)
INSERT INTO leads (folio, lead_type, product, base_score, score, priority, status, lead_date,
                   case_number, contact_name, contact_address,
                   source_asset, source_file, source_line, source_key, created_at)
SELECT m.folio, :lead_type, 'B', :base_score, :base_score, :priority, 'new',
       COALESCE(s.{date_col}, {partition_start}), {case_number}, {contact_name},
       {contact_address},
       :source_asset, m.source_file, m.line_no, m.record_key, :now
FROM picked m
JOIN {table} s ON s.partition_key = m.partition_key AND s.source_file = m.source_file AND
s.line_no = m.line_no
JOIN properties p ON p.folio = m.folio
WHERE m.copy_r = 1
ON CONFLICT (lead_type, folio, source_key) DO UPDATE SET
    source_file = excluded.source_file, source_line = excluded.source_line,
    case_number = excluded.case_number, contact_name = excluded.contact_name,
    contact_address = excluded.contact_address
WHERE excluded.source_file < leads.source_file
"""


def generate_matched_leads(
    conn: Connection, spec: MatchSpec, partition_keys: list[str], now: datetime | None = None
) -> int:
    """Leads from this file's matched records in the partitions; returns how many were created."""
    now = now or clock.now()
    table = STAGED_TABLES[spec.file_type]
    sql = _INSERT_MATCHED.format(
        table=table.name,
        date_col=spec.date_col,
        partition_start=first_day_sql("m.partition_key", conn.dialect.name),
        case_number="s.case_number" if "case_number" in table.c else "NULL",
        contact_name=spec.contact_name,
        contact_address=spec.contact_address,
    )
    stmt = text(sql).bindparams(
        bindparam("partition_keys", expanding=True), bindparam("now", type_=Timestamp())
    )
    conn.execute(
        stmt,
        {
            "partition_keys": list(partition_keys),
            "file_type": spec.file_type,
            "lead_type": spec.lead_type,
            "base_score": getattr(get_settings(), spec.base_score_setting),
            "priority": spec.priority,
            "source_asset": table.name,
            "now": now,
        },
    )
    return conn.execute(
        select(func.count()).where(leads.c.created_at == now, leads.c.lead_type == spec.lead_type)
    ).scalar_one()
