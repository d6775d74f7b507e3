"""Tie weekly/monthly county records to properties: set-based joins on normalised keys.

Each record is matched by address (street key + unit, zip when both sides have one),
else — for the files that allow it — by owner name. One folio → `matched` (method and
confidence recorded); several → `ambiguous` (never guessed); none → `unmatched`. Every
record gets a `record_matches` row, so unmatched ones stay countable.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, delete, func, select, text

from pipelines.county.match_keys import KEY_COLUMNS
from pipelines.db.schema import STAGED_TABLES, record_matches


@dataclass(frozen=True)
class MatchSpec:
    file_type: str
    record_key: str  # the record's natural key (becomes the lead's source_key)
    lead_type: str
    base_score_setting: str
    priority: str
    date_col: str
    contact_name: str  # SQL over the staged row `s` and property `p`
    contact_address: str

    @property
    def name_col(self) -> str | None:
        """The owner-name column matching may fall back to (None: address only)."""
        return KEY_COLUMNS[self.file_type].name_col


MATCH_SPECS = {
    "evictions": MatchSpec(
        "evictions",
        "case_number",
        "eviction",
        "base_score_eviction",
        "normal",
        "filing_date",
        "s.plaintiff",
        "s.property_address || COALESCE(' #' || s.unit, '') || COALESCE(', ' || s.city, '') "
        "|| COALESCE(' ' || s.zip, '')",
    ),
    "indebtedness": MatchSpec(
        "indebtedness",
        "cfn",
        "lien",
        "base_score_lien",
        "normal",
        "recorded_date",
        "s.debtor_name",
        "s.debtor_address",
    ),
    "probate": MatchSpec(
        "probate",
        "case_number",
        "probate",
        "base_score_probate",
        "high",
        "filing_date",
        "s.petitioner_name",
        "s.petitioner_address",
    ),
    "verdicts": MatchSpec(
        "verdicts",
        "case_number",
        "judgment",
        "base_score_judgment",
        "normal",
        "verdict_date",
        "s.defendant",
        "s.defendant_address",
    ),
}

CONFIDENCE = {"address_zip": 0.95, "address": 0.85, "owner_name": 0.6}

_MATCH_SQL = """
WITH recs AS (
    SELECT s.partition_key, s.source_file, s.line_no, s.{record_key} AS record_key,
           s.address_key, s.unit_key, SUBSTR(s.zip, 1, 5) AS zip5, s.owner_key
    FROM {table} s WHERE s.partition_key IN :partition_keys
),
by_address AS (
    SELECT r.partition_key, r.source_file, r.line_no, COUNT(DISTINCT p.folio) AS n, MIN(p.folio)
    AS folio,
           MIN(CASE WHEN r.zip5 IS NOT NULL AND p.zip IS NOT NULL THEN 1 ELSE 0 END) AS zip_checked
    FROM recs r
    JOIN properties p ON p.address_key = r.address_key
     AND COALESCE(p.unit_key, '') = COALESCE(r.unit_key, '')
     AND (r.zip5 IS NULL OR p.zip IS NULL OR SUBSTR(p.zip, 1, 5) = r.zip5)
    GROUP BY r.partition_key, r.source_file, r.line_no
),
by_owner AS (
    SELECT r.partition_key, r.source_file, r.line_no, COUNT(DISTINCT p.folio) AS n, MIN(p.folio)
    AS folio
    FROM recs r JOIN properties p ON p.owner_key = r.owner_key
    GROUP BY r.partition_key, r.source_file, r.line_no
)
INSERT INTO record_matches (file_type, partition_key, source_file, line_no, record_key, folio,
method,
                            confidence, status, reason)
SELECT :file_type, r.partition_key, r.source_file, r.line_no, r.record_key,
       CASE WHEN a.n = 1 THEN a.folio WHEN a.n IS NULL AND o.n = 1 THEN o.folio END,
       CASE WHEN a.n = 1 THEN 'address' WHEN a.n IS NULL AND o.n = 1 THEN 'owner_name' END,
       CASE WHEN a.n = 1 AND a.zip_checked = 1 THEN :c_address_zip WHEN a.n = 1 THEN :c_address
            WHEN a.n IS NULL AND o.n = 1 THEN :c_owner END,
       CASE WHEN a.n = 1 OR (a.n IS NULL AND o.n = 1) THEN 'matched'
            WHEN a.n > 1 OR (a.n IS NULL AND o.n > 1) THEN 'ambiguous' ELSE 'unmatched' END,
       CASE WHEN a.n > 1 THEN 'address matches ' || a.n || ' folios'
            WHEN a.n IS NULL AND o.n > 1 THEN 'owner name matches ' || o.n || ' folios'
            WHEN a.n IS NULL AND o.n IS NULL AND r.address_key IS NULL AND r.owner_key IS NULL
                 THEN 'no usable address or name'
            WHEN a.n IS NULL AND o.n IS NULL THEN :unmatched_reason END
FROM recs r
LEFT JOIN by_address a ON a.partition_key = r.partition_key AND a.source_file = r.source_file AND
a.line_no = r.line_no
LEFT JOIN by_owner o ON o.partition_key = r.partition_key AND o.source_file = r.source_file AND
o.line_no = r.line_no
"""


def match_records(conn: Connection, spec: MatchSpec, partition_keys: list[str]) -> dict[str, int]:
    """Replace the partitions' matches for this file type; returns counts by status and method."""
    table = STAGED_TABLES[spec.file_type]
    conn.execute(
        delete(record_matches).where(
            record_matches.c.file_type == spec.file_type,
            record_matches.c.partition_key.in_(partition_keys),
        )
    )
    # Files without a name fallback stage owner_key as NULL, and NULL never joins.
    sql = _MATCH_SQL.format(table=table.name, record_key=spec.record_key)
    unmatched = "no property with this address" + (
        "" if spec.name_col is None else " or owner name"
    )
    stmt = text(sql).bindparams(bindparam("partition_keys", expanding=True))
    conn.execute(
        stmt,
        {
            "partition_keys": list(partition_keys),
            "file_type": spec.file_type,
            "unmatched_reason": unmatched,
            "c_address_zip": CONFIDENCE["address_zip"],
            "c_address": CONFIDENCE["address"],
            "c_owner": CONFIDENCE["owner_name"],
        },
    )
    m = record_matches.c
    rows = conn.execute(
        select(m.status, m.method, func.count())
        .where(m.file_type == spec.file_type, m.partition_key.in_(partition_keys))
        .group_by(m.status, m.method)
    ).all()
    counts: dict[str, int] = {}
    for status, method, n in rows:
        counts[status] = counts.get(status, 0) + n
        if method:
            counts[f"by_{method}"] = counts.get(f"by_{method}", 0) + n
    return counts
