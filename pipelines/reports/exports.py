"""Lead exports for a tenant: CSV (one file, every type) and Excel (one sheet per lead type).

Only leads the tenant's subscribers are entitled to (those that matched one of them). Columns
are typed: dates are dates, money and scores are numbers; the Excel sheets have a frozen
header row and an autofilter.
"""

from __future__ import annotations

import io
from datetime import date

import polars as pl
import xlsxwriter

from pipelines.leads.views import tenant_leads

MAX_ROWS = 1_000_000  # one Excel sheet holds 1,048,576 rows
SCHEMA = {
    "id": pl.Int64,
    "lead_type": pl.Utf8,
    "lead_date": pl.Date,
    "score": pl.Float64,
    "priority": pl.Utf8,
    "status": pl.Utf8,
    "folio": pl.Utf8,
    "address": pl.Utf8,
    "city": pl.Utf8,
    "zip": pl.Utf8,
    "owner_name": pl.Utf8,
    "last_sale_date": pl.Date,
    "last_sale_price": pl.Float64,
    "contact_name": pl.Utf8,
    "contact_address": pl.Utf8,
    "case_number": pl.Utf8,
    "source_file": pl.Utf8,
    "source_line": pl.Int64,
}


def leads_frame(
    engine, tenant_id: int, since: date | None = None, lead_type: str | None = None
) -> pl.DataFrame:
    rows = tenant_leads(engine, tenant_id, since, lead_type, None, MAX_ROWS)
    flat = [
        {
            **{k: r[k] for k in ("id", "lead_type", "score", "priority", "status", "folio")},
            "lead_date": date.fromisoformat(r["lead_date"]),
            **{k: r["property"][k] for k in ("address", "city", "zip", "owner_name")},
            "last_sale_date": date.fromisoformat(r["property"]["last_sale_date"])
            if r["property"]["last_sale_date"]
            else None,
            "last_sale_price": r["property"]["last_sale_price"],
            **{k: r[k] for k in ("contact_name", "contact_address", "case_number")},
            "source_file": r["source"]["file"],
            "source_line": r["source"]["line"],
        }
        for r in rows
    ]
    return pl.DataFrame(flat, schema=SCHEMA).sort(["lead_type", "lead_date", "id"])


def to_csv(frame: pl.DataFrame) -> bytes:
    return frame.write_csv().encode()


def to_xlsx(frame: pl.DataFrame) -> bytes:
    """One sheet per lead type (an empty export has one empty `leads` sheet)."""
    out = io.BytesIO()
    with xlsxwriter.Workbook(out, {"in_memory": True}) as book:
        book.set_properties({"created": None})  # deterministic: no creation time inside
        groups = frame.partition_by("lead_type", as_dict=True, maintain_order=True)
        if not groups:
            groups = {("leads",): frame}
        for (name,), part in sorted(groups.items()):
            part.write_excel(
                book,
                worksheet=name[:31],
                autofilter=True,
                freeze_panes=(1, 0),
                autofit=True,
                dtype_formats={pl.Date: "yyyy-mm-dd"},
                float_precision=2,
            )
    return out.getvalue()
