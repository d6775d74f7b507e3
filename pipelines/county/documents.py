"""SQL for "one row per (document, folio, partition)" from party-level OfficialRecords rows.

Shared by the properties merge and the lead rules so both see documents the same way:
document attributes come from the lowest party_seq row (`document_head`, computed at
staging with the `grantee`, the lowest party_seq row with party_code R), and `rnk`
orders documents as (rec_date, cfn, partition). A plain filter, read once by each
statement: PostgreSQL inlines it and the plan stays linear whatever the (possibly
stale) statistics say.
The price is the consideration, or, when that is empty, what the deed doc tax implies.
"""

from __future__ import annotations

from sqlalchemy import bindparam

DOCUMENT_TABLES = ("staged_official_records", "staged_lookup_records")


def documents_cte(table: str = "staged_official_records") -> str:
    """The CTE over `table` (the bulk file's staged rows, or the records API's)."""
    if table not in DOCUMENT_TABLES:  # an identifier, never a value: only these two
        raise ValueError(f"no documents table {table!r}")
    return _DOCUMENTS.replace("{table}", table)


_DOCUMENTS = """
documents AS (
    SELECT partition_key, cfn, folio, rec_date, doc_type, case_num, address, city, zip,
    source_file, line_no,
           grantee, grantee_key, address_key, unit_key,
           COALESCE(consideration_1,
                    ROUND(deed_doc_tax * 100 / CAST(:doc_tax_per_100 AS NUMERIC), 2)) AS price,
           CAST(rec_date AS TEXT) || '|' || cfn || '|' || partition_key AS rnk
    FROM {table}
    WHERE partition_key IN :partition_keys AND folio IS NOT NULL AND document_head
)
"""


DOCUMENTS_CTE = documents_cte()


def documents_params(partition_keys: list[str], doc_tax_per_100: float) -> tuple[list, dict]:
    """Bind parameters the CTE needs (`partition_keys` expands to an IN list)."""
    return (
        [bindparam("partition_keys", expanding=True)],
        {"partition_keys": list(partition_keys), "doc_tax_per_100": doc_tax_per_100},
    )
