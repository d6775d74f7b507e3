"""The report builders: every PDF renders (pdftoppm) and says what it should (pdftotext), the
same data gives the same bytes, and lead exports have the right sheets, types and rows."""

import io
from datetime import date, datetime

import openpyxl
import polars as pl

from pipelines.alerts.match import match_leads
from pipelines.db.engine import get_engine
from pipelines.listings.scoring import RuleScorer, score_listings
from pipelines.reports.exports import leads_frame, to_csv, to_xlsx
from pipelines.reports.listing_report import listing_pdf
from pipelines.reports.market_report import market_figures, market_pdf
from pipelines.settings import get_settings
from tests.lead_helpers import add_leads, add_property, daily
from tests.listing_helpers import add_listings, listing, tenant_with_subscribers

DAY = date(2026, 11, 20)


def test_listing_pdf_renders_with_its_address_score_and_chart(sqlite_url, tmp_path, poppler):
    tenant, _, _ = tenant_with_subscribers(sqlite_url, "acme", [])
    today = datetime.now().date().isoformat()
    add_listings(
        sqlite_url,
        tenant,
        [
            listing(f"L{n}", address=f"{n}00 NW 7TH ST", price=150000 + n * 10000, listed_at=today)
            for n in range(1, 6)
        ],
    )
    engine = get_engine(sqlite_url)
    score_listings(engine, RuleScorer(), get_settings())
    pdf = listing_pdf(engine, tenant["id"], 3)
    text = poppler(pdf, tmp_path)
    assert "Investment report: 300 NW 7TH ST, MIAMI 33125" in text
    assert "Investment score" in text and "/100" in text and "Cap rate" in text
    assert "Price per sqft, zip 33125" in text and "5 active listing(s)" in text
    assert listing_pdf(engine, tenant["id"], 3) == pdf  # deterministic


def test_market_pdf_headline_and_determinism(sqlite_url, tmp_path, poppler):
    add_property(sqlite_url, "3040120010010")
    add_leads(
        sqlite_url,
        [("lien", 70, DAY, daily(DAY))] * 3
        + [("probate", 88, DAY, daily(DAY))]
        + [("lien", 70, date(2026, 11, 10), daily(date(2026, 11, 10)))],
    )
    figures = market_figures(get_engine(sqlite_url), DAY)
    assert figures["new_leads"] == 4 and figures["by_type"] == {"lien": 3, "probate": 1}
    assert figures["week_over_week"] == {"lien": (3, 1), "probate": (1, 0)}
    assert [t[1] for t in figures["top"]] == ["probate", "lien", "lien", "lien"]
    pdf = market_pdf(figures)
    text = poppler(pdf, tmp_path)
    assert "Miami-Dade market report, 2026-11-20" in text and "4 new lead(s)" in text
    assert market_pdf(market_figures(get_engine(sqlite_url), DAY)) == pdf


def test_lead_exports_typed_one_sheet_per_type_and_only_entitled_leads(sqlite_url):
    tenant, _, _ = tenant_with_subscribers(
        sqlite_url, "acme", [{"lead_types": ["lien", "probate"]}]
    )
    add_property(sqlite_url, "3040120010010")
    add_leads(
        sqlite_url,
        [("lien", 70, DAY, daily(DAY))] * 3
        + [("probate", 88, DAY, daily(DAY)), ("eviction", 75, DAY, daily(DAY))],
    )
    engine = get_engine(sqlite_url)
    match_leads(engine, today=DAY)
    frame = leads_frame(engine, tenant["id"])
    assert frame.height == 4  # the eviction matched nobody here: not this tenant's
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx(frame)))
    assert book.sheetnames == ["lien", "probate"]
    lien = book["lien"]
    assert lien.max_row == 4 and lien.freeze_panes == "A2"
    header = [c.value for c in lien[1]]
    row = dict(zip(header, [c.value for c in lien[2]], strict=True))
    assert isinstance(row["lead_date"], datetime) and row["lead_date"].date() == DAY
    assert row["score"] == 70 and lien.cell(2, header.index("score") + 1).data_type == "n"
    assert row["source_file"] == daily(DAY) and isinstance(row["source_line"], int)
    assert list(lien.tables.values())[0].autoFilter is not None
    back = pl.read_csv(io.BytesIO(to_csv(frame)), schema=frame.schema)
    assert back.equals(frame)  # the CSV round-trips to the same rows and types
    assert to_xlsx(frame) == to_xlsx(frame)
