"""Listing intake: strict validation with per-field reasons, every file format with its line
numbers, quarantine of bad records, and (tenant, external_id) upserts that never duplicate."""

import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from pipelines.listings.model import validate
from pipelines.listings.readers import FileFormatError, read_records
from pipelines.listings.store import ingest_records
from pipelines.store.db import get_engine
from pipelines.store.tables import listing_quarantine, listings
from tests.listing_helpers import HEADER, add_listings, listing, tenant_with_subscribers


def test_validation_names_every_bad_field():
    item, error = validate(listing("X1", price="-5", zip="3312", listing_type="castle", sqft="0"))
    assert item is None
    assert error.split("; ") == [
        "zip: String should match pattern '^\\d{5}$'",
        "price: Input should be greater than 0",
        "listing_type: Input should be 'sale', 'rent', 'auction' or 'foreclosure'",
        "sqft: Input should be greater than 0",
    ]
    item, error = validate({**listing("X2", folio="30-4012-001-0010", zip=33125, bedrooms=""), "external_id": 77})
    assert error is None
    assert (item.folio, item.zip, item.bedrooms, item.external_id) == ("3040120010010", "33125", None, "77")
    assert item.listed_at.tzinfo is not None  # a bare date is read in the county's time zone
    assert validate({**listing("X3"), "colour": "red"})[1] == "colour: Extra inputs are not permitted"
    assert validate(listing("X4", listed_at=None))[1] == "listed_at: Field required"


def _xlsx_bytes(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_every_format_reads_with_its_line_numbers(tmp_path):
    csv_text = (HEADER + "\n" + "A1,1 Main St,Miami,33125,200000,sale,3,2,1500,2016,2000,,2026-11-20\n\n"
                + "A2,2 Main St,Miami,33125,210000\n")
    recs = read_records(tmp_path / "l.csv", csv_text.encode())
    assert [(r.line_no, r.error) for r in recs] == [(2, None), (4, "5 values for 13 columns")]
    assert recs[0].values["price"] == "200000"

    jsonl = json.dumps(listing("B1")) + "\n" + "{broken\n" + "[1]\n"
    recs = read_records(tmp_path / "l.jsonl", jsonl.encode())
    assert [(r.line_no, r.error is None) for r in recs] == [(1, True), (2, False), (3, False)]
    assert recs[2].error == "expected an object, got list"

    recs = read_records(tmp_path / "l.json", json.dumps({"listings": [listing("C1"), 5]}).encode())
    assert [(r.line_no, r.values is not None) for r in recs] == [(1, True), (2, False)]

    cols = HEADER.split(",")
    data = _xlsx_bytes([cols, ["D1", "1 Main St", "Miami", 33125, 250000, "sale", 3, 2, 1500, 2016, 2100, None,
                               "2026-11-20"], [None] * 13, ["D2", "2 Main St", "Miami", 33125, 1, "sale"]])
    recs = read_records(tmp_path / "l.xlsx", data)
    assert [r.line_no for r in recs] == [2, 4]  # Excel rows; the blank row is skipped
    assert validate(recs[0].values)[0].zip == "33125"

    with pytest.raises(FileFormatError, match=r"l.json: invalid JSON at line 1"):
        read_records(tmp_path / "l.json", b"{nope")
    with pytest.raises(FileFormatError, match="not UTF-8"):
        read_records(tmp_path / "l.csv", b"external_id\n\xff\xfe")
    with pytest.raises(FileFormatError, match="not a readable Excel workbook"):
        read_records(tmp_path / "l.xlsx", b"PK not really")
    with pytest.raises(FileFormatError, match="unsupported file type"):
        read_records(Path("l.txt"), b"x")


def test_bad_records_are_quarantined_and_good_ones_stored(db_url, tmp_path):
    tenant, _, _ = tenant_with_subscribers(db_url, "acme", [])
    text = (HEADER + "\n"
            "A1,1 Main St,Miami,33125,200000,sale,3,2,1500,2016,2000,,2026-11-20\n"
            "A2,2 Main St,Miami,ABCDE,200000,sale,3,2,1500,2016,2000,,2026-11-20\n"
            "A3,3 Main St,Miami,33125,200000,sale,3,2,1500,2016,2000,,2026-11-20\n"
            "A1,1 Main St,Miami,33125,205000,sale,3,2,1500,2016,2000,,2026-11-21\n")
    engine = get_engine(db_url)
    result = ingest_records(engine, tenant, read_records(tmp_path / "f.csv", text.encode()), "cli", "f.csv", "sha1")
    assert (result.created, result.quarantined) == (2, 2)
    with engine.connect() as conn:
        stored = conn.execute(select(listings.c.external_id, listings.c.price, listings.c.source_line)
                              .order_by(listings.c.external_id)).all()
        quarantined = conn.execute(select(listing_quarantine.c.line_no, listing_quarantine.c.reason,
                                          listing_quarantine.c.raw).order_by(listing_quarantine.c.line_no)).all()
    assert stored == [("A1", Decimal("205000.00"), 5), ("A3", Decimal("200000.00"), 4)]
    assert [(q.line_no, q.reason) for q in quarantined] == [
        (2, "external_id 'A1' repeats: line 5 supersedes it"),
        (3, "zip: String should match pattern '^\\d{5}$'"),
    ]
    assert quarantined[1].raw.startswith("A2,2 Main St,Miami,ABCDE")
    # The same file again: nothing new anywhere (quarantine is keyed by file hash and line).
    again = ingest_records(engine, tenant, read_records(tmp_path / "f.csv", text.encode()), "cli", "f.csv", "sha1")
    assert (again.created, again.updated, again.unchanged, again.quarantined) == (0, 0, 2, 0)


def test_resubmission_updates_and_only_a_change_takes_a_new_seq(db_url):
    tenant, _, _ = tenant_with_subscribers(db_url, "acme", [])
    other, _, _ = tenant_with_subscribers(db_url, "other", [])
    first = add_listings(db_url, tenant, [listing("L1"), listing("L2")])
    assert (first.created, first.updated) == (2, 0)
    same = add_listings(db_url, tenant, [listing("L1")])
    changed = add_listings(db_url, tenant, [listing("L2", price=190000)])
    theirs = add_listings(db_url, other, [listing("L1")])  # same external_id, other tenant
    assert (same.unchanged, changed.updated, theirs.created) == (1, 1, 1)
    assert changed.ids["L2"] == first.ids["L2"]
    with get_engine(db_url).connect() as conn:
        rows = conn.execute(select(listings.c.tenant_id, listings.c.external_id, listings.c.change_seq,
                                   listings.c.price).order_by(listings.c.id)).all()
    assert rows == [(tenant["id"], "L1", 1, Decimal("200000.00")), (tenant["id"], "L2", 3, Decimal("190000.00")),
                    (other["id"], "L1", 4, Decimal("200000.00"))]
