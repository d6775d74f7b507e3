"""Zips, folios and amounts are ASCII digits: a full-width `３３１２５` or an Arabic-Indic
`٣٣١٢٥` is refused with the field and the character named (422, quarantine, CLI error),
never stored as text no zip equals and never silently converted by `int()`/`Decimal()`."""

import json

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from pipelines.accounts.criteria import Criteria
from pipelines.cli import main
from pipelines.county.values import normalize_folio, parse_date, parse_money
from pipelines.db.engine import get_engine
from pipelines.db.schema import alert_criteria, listing_quarantine, listings
from pipelines.http.app import app
from pipelines.listings.model import validate
from pipelines.listings.readers import read_records
from pipelines.listings.store import ingest_records
from tests.listing_helpers import HEADER, listing, tenant_with_subscribers

FULL_3 = "'３' (U+FF13 FULLWIDTH DIGIT THREE)"
FULL_2 = "'２' (U+FF12 FULLWIDTH DIGIT TWO)"
ARABIC_3 = "'٣' (U+0663 ARABIC-INDIC DIGIT THREE)"


def _refusal(found: str) -> str:
    return f"Value error, must be written with ASCII digits 0-9 (found {found})"


@pytest.mark.parametrize(
    ("field", "value", "found"),
    [
        ("zip", "３３１２５", FULL_3),
        ("zip", "٣٣١٢٥", ARABIC_3),
        ("zip", "33１25", "'１' (U+FF11 FULLWIDTH DIGIT ONE)"),
        ("folio", "３０-４０１２-００１-００１０", FULL_3),
        ("price", "２０００００", FULL_2),
        ("price", "٣٠٠٠٠٠", ARABIC_3),
        ("estimated_rent", "２０００", FULL_2),
        ("sqft", "１５００", "'１' (U+FF11 FULLWIDTH DIGIT ONE)"),
        ("bedrooms", "３", FULL_3),
        ("bathrooms", "２", FULL_2),
        ("year_built", "２０１６", FULL_2),
        ("price", "200\u00a0000", "'\\xa0' (U+00A0 NO-BREAK SPACE)"),
    ],
)
def test_a_unicode_digit_is_refused_per_field_never_converted(field, value, found):
    item, error = validate(listing("U1", **{field: value}))
    assert item is None
    assert error == f"{field}: {_refusal(found)}"


def test_ascii_zips_folios_and_amounts_still_pass():
    item, error = validate(
        listing(
            "U2", zip="33125", folio="30-4012-001-0010", price="200000.50", sqft="1500", bedrooms=3
        )
    )
    assert error is None
    assert (item.zip, item.folio, str(item.price), item.sqft) == (
        "33125",
        "3040120010010",
        "200000.50",
        1500,
    )
    assert validate(listing("U3", zip="3312"))[1] == "zip: Value error, a zip is 5 digits 0-9"
    assert validate(listing("U4", zip="3312a"))[1] == "zip: Value error, a zip is 5 digits 0-9"


_UNICODE_DIGIT = st.characters(categories=["Nd"])


@given(
    st.lists(_UNICODE_DIGIT, min_size=5, max_size=5).filter(lambda cs: not "".join(cs).isascii())
)
def test_any_zip_with_a_non_ascii_digit_is_refused(chars):
    item, error = validate(listing("P1", zip="".join(chars)))
    assert item is None and error.startswith("zip: Value error, must be written with ASCII digits")


@given(st.text(alphabet="0123456789", min_size=5, max_size=5))
def test_any_five_ascii_digits_are_a_zip_kept_as_sent(zip_code):
    item, error = validate(listing("P2", zip=zip_code))
    assert error is None and item.zip == zip_code


def test_a_file_with_unicode_digits_quarantines_those_lines_and_stores_the_rest(db_url, tmp_path):
    tenant, _, _ = tenant_with_subscribers(db_url, "acme", [])
    text = (
        HEADER + "\n"
        "A1,1 Main St,Miami,33125,200000,sale,3,2,1500,2016,2000,,2026-11-20\n"
        "A2,2 Main St,Miami,３３１２５,200000,sale,3,2,1500,2016,2000,,2026-11-20\n"
        "A3,3 Main St,Miami,33125,200000,sale,3,2,1500,2016,2000,３０４０１２０٠١٠٠١٠,2026-11-20\n"
        "A4,4 Main St,Miami,33125,２００000,sale,3,2,1500,2016,2000,,2026-11-20\n"
    )
    engine = get_engine(db_url)
    result = ingest_records(
        engine, tenant, read_records(tmp_path / "f.csv", text.encode()), "cli", "f.csv", "sha1"
    )
    assert (result.created, result.quarantined) == (1, 3)
    with engine.connect() as conn:
        stored = conn.execute(select(listings.c.external_id, listings.c.zip)).all()
        reasons = conn.execute(
            select(listing_quarantine.c.line_no, listing_quarantine.c.reason).order_by(
                listing_quarantine.c.line_no
            )
        ).all()
    assert stored == [("A1", "33125")]
    assert reasons == [
        (3, f"zip: {_refusal(FULL_3)}"),
        (4, f"folio: {_refusal(FULL_3)}"),
        (5, f"price: {_refusal(FULL_2)}"),
    ]


def test_post_listings_answers_422_naming_the_field(sqlite_url, monkeypatch):
    monkeypatch.setenv("FOLIO_DATABASE_URL", sqlite_url)
    _, _, key = tenant_with_subscribers(sqlite_url, "acme", [])
    client = TestClient(app)
    for field, value, found in (
        ("zip", "３３１２５", FULL_3),
        ("folio", "３０４０１２００１００１０", FULL_3),
        ("price", "２０００００", FULL_2),
    ):
        answer = client.post(
            "/listings", json=listing("H1", **{field: value}), headers={"X-API-Key": key}
        )
        assert answer.status_code == 422, answer.text
        [error] = answer.json()["detail"]
        assert (error["loc"], error["msg"]) == (["body", field], _refusal(found))
    with get_engine(sqlite_url).connect() as conn:
        assert conn.execute(select(listings.c.id)).all() == []


def test_alert_criteria_refuse_unicode_zips_and_amounts():
    with pytest.raises(ValueError) as zips:
        Criteria.model_validate({"zip_codes": ["33125", "３３１２５"]})
    assert "zip codes are written with the digits 0-9: ['３３１２５']" in str(zips.value)
    with pytest.raises(ValueError) as price:
        Criteria.model_validate({"max_price": "２０００００"})
    assert _refusal(FULL_2) in str(price.value)
    with pytest.raises(ValueError) as roi:
        Criteria.model_validate({"min_roi": "５"})
    assert "must be written with ASCII digits 0-9" in str(roi.value)
    ok = Criteria.model_validate({"zip_codes": ["33125"], "max_price": "250000", "min_score": "40"})
    assert (ok.zip_codes, str(ok.max_price), ok.min_score) == (["33125"], "250000", 40)


def test_folio_criteria_set_refuses_unicode_digits_from_options_and_files(
    sqlite_url, monkeypatch, tmp_path
):
    monkeypatch.setenv("FOLIO_DATABASE_URL", sqlite_url)
    _, [sub], _ = tenant_with_subscribers(sqlite_url, "acme", [{}])
    cli = CliRunner()
    base = ["criteria", "set", "--tenant", "acme", "--subscriber", str(sub)]

    zips = cli.invoke(main, [*base, "--zip", "３３１２５"])
    assert zips.exit_code == 1
    assert "zip_codes: Value error, zip codes are written with the digits 0-9: ['３３１２５']" in (
        " ".join(zips.output.split())
    )
    price = cli.invoke(main, [*base, "--max-price", "２０００００"])
    assert price.exit_code == 1 and "max_price: " + _refusal(FULL_2) in " ".join(
        price.output.split()
    )
    score = cli.invoke(main, [*base, "--min-score", "５０"])
    assert score.exit_code == 1 and "min_score: Value error, must be written with ASCII" in (
        " ".join(score.output.split())
    )
    file = tmp_path / "criteria.json"
    file.write_text(json.dumps({"zip_codes": ["٣٣١٢٥"]}), encoding="utf-8")
    from_file = cli.invoke(main, [*base, "--file", str(file)])
    assert from_file.exit_code == 1 and "['٣٣١٢٥']" in from_file.output
    with get_engine(sqlite_url).connect() as conn:  # the default criteria, untouched
        row = conn.execute(select(alert_criteria)).mappings().one()
    assert (row["zip_codes"], row["max_price"], row["min_score"]) == (None, None, 70)

    good = cli.invoke(main, [*base, "--zip", "33125", "--max-price", "250000", "--min-score", "40"])
    assert good.exit_code == 0, good.output
    with get_engine(sqlite_url).connect() as conn:
        row = conn.execute(select(alert_criteria)).mappings().one()
    assert (row["zip_codes"], float(row["max_price"]), row["min_score"]) == (
        '["33125"]',
        250000,
        40,
    )


def test_county_folio_and_values_take_only_ascii_digits():
    assert normalize_folio("30-4012-001-0010") == "3040120010010"
    assert normalize_folio("304012001001") == "0304012001001"  # a lost leading zero
    assert normalize_folio("３０４０１２００１００１０") is None
    assert normalize_folio("30-4012-001-００10") is None
    assert parse_money("$1,234.50") == 1234.5
    assert parse_money("１２３") is None
    assert parse_date("20260105") is not None and parse_date("２０２６０１０５") is None


@given(
    st.text(alphabet="0123456789-", min_size=11, max_size=16),
    st.integers(min_value=0, max_value=15),
    _UNICODE_DIGIT.filter(lambda c: not c.isascii()),
)
def test_a_folio_with_any_non_ascii_digit_is_null(text, at, digit):
    assert normalize_folio(text[:at] + digit + text[at:]) is None


def test_a_stored_unicode_zip_from_before_still_loads_and_matches_nothing(sqlite_url):
    from sqlalchemy import update

    from pipelines.alerts.match import reasons

    _, [sub], _ = tenant_with_subscribers(sqlite_url, "acme", [{"zip_codes": ["33125"]}])
    engine = get_engine(sqlite_url)
    with engine.begin() as conn:  # as the earlier code let it be written
        conn.execute(update(alert_criteria).values(zip_codes='["３３１２５"]'))
        row = conn.execute(select(alert_criteria)).mappings().one()
    loaded = Criteria.from_row(dict(row))
    assert loaded.zip_codes == ["３３１２５"]
    item = {"kind": "listing", "score": 90, "listing_type": "sale", "price": 1, "roi": 9,
            "city": "MIAMI", "zip": "33125"}  # fmt: skip
    assert reasons(loaded, item) is None
