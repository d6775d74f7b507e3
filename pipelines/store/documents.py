"""SQL for "one row per (document, folio, partition)" from party-level OfficialRecords rows.

Shared by the properties merge and the lead rules so both see documents the same way:
document attributes come from the lowest party_seq row, the grantee from the lowest
party_seq row with party_code R, and `rnk` orders documents as (rec_date, cfn, partition).
The price is the consideration, or, when that is empty, what the deed doc tax implies.
"""

from __future__ import annotations

from sqlalchemy import bindparam

DOCUMENTS_CTE = """
party_rows AS (
    SELECT s.*,
           ROW_NUMBER() OVER (PARTITION BY partition_key, cfn, folio ORDER BY party_seq, line_no) AS rn,
           ROW_NUMBER() OVER (PARTITION BY partition_key, cfn, folio, party_code
                              ORDER BY party_seq, line_no) AS code_rn
    FROM staged_official_records s
    WHERE s.partition_key IN :partition_keys AND s.folio IS NOT NULL
),
documents AS (
    SELECT d.partition_key, d.cfn, d.folio, d.rec_date, d.doc_type, d.case_num,
           d.address, d.city, d.zip, d.source_file, d.line_no,
           COALESCE(d.consideration_1, ROUND(d.deed_doc_tax * 100 / :doc_tax_per_100, 2)) AS price,
           g.first_party AS grantee,
           CAST(d.rec_date AS TEXT) || '|' || d.cfn || '|' || d.partition_key AS rnk
    FROM party_rows d
    LEFT JOIN party_rows g
      ON g.partition_key = d.partition_key AND g.cfn = d.cfn AND g.folio = d.folio
     AND g.party_code = 'R' AND g.code_rn = 1
    WHERE d.rn = 1
)
"""


def documents_params(partition_keys: list[str], doc_tax_per_100: float) -> tuple[list, dict]:
    """Bind parameters the CTE needs (`partition_keys` expands to an IN list)."""
    return (
        [bindparam("partition_keys", expanding=True)],
        {"partition_keys": list(partition_keys), "doc_tax_per_100": doc_tax_per_100},
    )
