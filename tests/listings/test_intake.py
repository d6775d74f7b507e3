"""Listing intake: strict validation with per-field reasons, every file format with its line
numbers, quarantine of bad records, and (tenant, external_id) upserts that never duplicate."""

import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from pipelines.db.engine import get_engine
from pipelines.db.schema import listing_quarantine, listings
from pipelines.listings.model import validate
from pipelines.listings.readers import FileFormatError, read_records
from pipelines.listings.store import ingest_records
from tests.listing_helpers import HEADER, add_listings, listing, tenant_with_subscribers


def test_validation_names_every_bad_field():
    item, error = validate(listing("X1", price="-5", zip="3312", listing_type="castle", sqft="0"))
    assert item is None
    assert error.split("; ") == [
        "zip: Value error, a zip is 5 digits 0-9",
        "price: Input should be greater than 0",
        "listing_type: Input should be 'sale', 'rent', 'auction' or 'foreclosure'",
        "sqft: Input should be greater than 0",
    ]
    item, error = validate(
        {**listing("X2", folio="30-4012-001-0010", zip=33125, bedrooms=""), "external_id": 77}
    )
    assert error is None
    assert (item.folio, item.zip, item.bedrooms, item.external_id) == (
        "3040120010010",
        "33125",
        None,
        "77",
    )
    assert item.listed_at.tzinfo is not None  # a bare date is read in the county's time zone
    assert (
        validate({**listing("X3"), "colour": "red"})[1] == "colour: Extra inputs are not permitted"
    )
    # No listed_at is no error: storage stamps the time of intake (docs/decisions.md).
    item, error = validate(listing("X4", listed_at=None))
    assert (error, item.listed_at) == (None, None)


def _xlsx_bytes(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_every_format_reads_with_its_line_numbers(tmp_path):
    csv_text = (
        HEADER
        + "\n"
        + "A1,1 Main St,Miami,33125,200000,sale,3,2,1500,2016,2000,,2026-11-20\n\n"
        + "A2,2 Main St,Miami,33125,210000\n"
    )
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
    data = _xlsx_bytes(
        [
            cols,
            [
                "D1",
                "1 Main St",
                "Miami",
                33125,
                250000,
                "sale",
                3,
                2,
                1500,
                2016,
                2100,
                None,
                "2026-11-20",
            ],
            [None] * 13,
            ["D2", "2 Main St", "Miami", 33125, 1, "sale"],
        ]
    )
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
    text = (
        HEADER + "\n"
        "A1,1 Main St,Miami,33125,200000,sale,3,2,1500,2016,2000,,2026-11-20\n"
        "A2,2 Main St,Miami,ABCDE,200000,sale,3,2,1500,2016,2000,,2026-11-20\n"
        "A3,3 Main St,Miami,33125,200000,sale,3,2,1500,2016,2000,,2026-11-20\n"
        "A1,1 Main St,Miami,33125,205000,sale,3,2,1500,2016,2000,,2026-11-21\n"
    )
    engine = get_engine(db_url)
    result = ingest_records(
        engine, tenant, read_records(tmp_path / "f.csv", text.encode()), "cli", "f.csv", "sha1"
    )
    assert (result.created, result.quarantined) == (2, 2)
    with engine.connect() as conn:
        stored = conn.execute(
            select(listings.c.external_id, listings.c.price, listings.c.source_line).order_by(
                listings.c.external_id
            )
        ).all()
        quarantined = conn.execute(
            select(
                listing_quarantine.c.line_no, listing_quarantine.c.reason, listing_quarantine.c.raw
            ).order_by(listing_quarantine.c.line_no)
        ).all()
    assert stored == [("A1", Decimal("205000.00"), 5), ("A3", Decimal("200000.00"), 4)]
    assert [(q.line_no, q.reason) for q in quarantined] == [
        (2, "external_id 'A1' repeats: line 5 supersedes it"),
        (3, "zip: Value error, a zip is 5 digits 0-9"),
    ]
    assert quarantined[1].raw.startswith("A2,2 Main St,Miami,ABCDE")
    # The same file again: nothing new anywhere (quarantine is keyed by file hash and line).
    again = ingest_records(
        engine, tenant, read_records(tmp_path / "f.csv", text.encode()), "cli", "f.csv", "sha1"
    )
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
        rows = conn.execute(
            select(
                listings.c.tenant_id,
                listings.c.external_id,
                listings.c.change_seq,
                listings.c.price,
            ).order_by(listings.c.id)
        ).all()
    assert rows == [
        (tenant["id"], "L1", 1, Decimal("200000.00")),
        (tenant["id"], "L2", 3, Decimal("190000.00")),
        (other["id"], "L1", 4, Decimal("200000.00")),
    ]


def test_listing_fields_are_the_model_s_fields_but_its_ids():
    from pipelines.listings.model import LISTING_FIELDS, ListingIn

    assert set(ListingIn.model_fields) == {"external_id", "tenant_id", *LISTING_FIELDS}


def test_hostile_values_are_refused_per_field():
    nan_item, nan = validate({**listing("H1"), "price": float("nan")})
    assert nan_item is None and nan == "price: Value error, must be a finite number"
    assert validate({**listing("H2"), "estimated_rent": "Infinity"})[1] == (
        "estimated_rent: Value error, must be a finite number"
    )
    assert validate({**listing("H3"), "address": "LOT 1\x00 MAIN ST"})[1] == (
        "address: Value error, contains a control character (0x00)"
    )


def test_a_nul_record_in_a_json_file_is_quarantined_and_the_rest_stored(db_url, tmp_path):
    """On PostgreSQL a NUL used to fail the whole file; now 4 go in and 1 is quarantined."""
    tenant, _, _ = tenant_with_subscribers(db_url, "acme", [])
    rows = [listing(f"J{n}") for n in range(1, 6)]
    rows[2]["city"] = "MIA\x00MI"
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(rows))
    result = ingest_records(
        get_engine(db_url), tenant, read_records(path), "cli", str(path), "sha-nul"
    )
    assert (result.created, result.quarantined) == (4, 1)
    with get_engine(db_url).connect() as conn:
        [(line, raw, reason)] = conn.execute(
            select(
                listing_quarantine.c.line_no, listing_quarantine.c.raw, listing_quarantine.c.reason
            )
        ).all()
    assert (
        line == 3
        and '"city": "MIA\\u0000MI"' in raw
        and reason == "city: Value error, contains a control character (0x00)"
    )


def test_line_separators_inside_a_record_are_data_not_line_breaks(tmp_path):
    """U+2028, NEL and form feed inside a field: the record stays whole, line numbers hold."""
    odd = "12 Main St\u2028Unit 4\x85B\x0c"
    cells = lambda rec: ",".join(str(rec.get(k, "")) for k in HEADER.split(","))  # noqa: E731
    csv_rows = [HEADER, cells(listing("C1", address=odd)), cells(listing("C2"))]
    (tmp_path / "f.csv").write_text("\n".join(csv_rows) + "\n")
    records = read_records(tmp_path / "f.csv")
    assert [(r.line_no, r.values["external_id"], r.error) for r in records] == [
        (2, "C1", None),
        (3, "C2", None),
    ]
    assert records[0].values["address"] == odd and records[0].raw.startswith("C1,12 Main St\u2028")
    (tmp_path / "f.jsonl").write_text(
        json.dumps(listing("J1", address=odd), ensure_ascii=False)
        + "\n"
        + json.dumps(listing("J2"))
        + "\n"
    )
    lines = read_records(tmp_path / "f.jsonl")
    assert [(r.line_no, r.values["external_id"]) for r in lines] == [(1, "J1"), (2, "J2")]


def test_an_excel_serial_date_is_a_date_not_1970(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.split(","))
    sheet.append([{**listing("X1"), "listed_at": 46000}.get(k) for k in HEADER.split(",")])
    book.save(tmp_path / "f.xlsx")
    [record] = read_records(tmp_path / "f.xlsx")
    item, error = validate(record.values)
    assert error is None and item.listed_at.date().isoformat() == "2025-12-09"


def test_absurdly_nested_json_is_a_clear_error_not_a_traceback(tmp_path):
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(FileFormatError, match=r"deep.json: invalid JSON: nested too deeply"):
        read_records(tmp_path / "deep.json")
    (tmp_path / "deep.jsonl").write_text("[" * 100_000 + "]" * 100_000 + "\n")
    [record] = read_records(tmp_path / "deep.jsonl")
    assert (record.line_no, record.error) == (1, "invalid JSON: nested too deeply")


def test_a_bare_carriage_return_quarantines_its_record_or_refuses_the_header(tmp_path):
    """Only LF (or CRLF) ends a line; a lone CR inside an unquoted value is damage: that
    record is refused with its line, the others are read."""
    text = (
        HEADER + "\n"
        "A1,1 Main St,Miami,33125,1,sale,,,,,,,\n"
        "A2,2 Ma\rin St,Miami,33125,1,sale,,,,,,,\n"
        "A3,3 Main St,Miami,33125,1,sale,,,,,,,\n"
    )  # fmt: skip
    recs = read_records(tmp_path / "l.csv", text.encode())
    assert [(r.line_no, r.error) for r in recs] == [
        (2, None),
        (3, "a carriage return (CR) inside a value that is not quoted"),
        (4, None),
    ]
    assert recs[1].raw == "A2,2 Ma\rin St,Miami,33125,1,sale,,,,,,,"
    with pytest.raises(FileFormatError, match=r"l.csv: line 1: a carriage return \(CR\)"):
        read_records(tmp_path / "l.csv", b"\r\x00")
