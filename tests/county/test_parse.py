"""Every quirk of the county files (docs/domain.md#files), with exact expected values."""

from datetime import date

import pytest

from pipelines.county.parse import FileUnreadableError, parse_bytes
from pipelines.db.schema.layouts import get_layout
from tests.builders import doc, line

OR = get_layout("official_records")
CASES = get_layout("cases")


def parse(data: bytes, layout=OR):
    return parse_bytes(data, layout, "daily/2026-01-05/OfficialRecords.exp")


def or_line(**v) -> str:
    base = dict(
        cfn_year=2026, cfn_seq=1, rec_date="20260105", doc_type="DEE", party_seq=1, party_code="R"
    )
    return line("official_records", **{**base, **v})


def test_cp1252_bytes_decode_and_undefined_bytes_never_crash():
    data = or_line(first_party="MU\u00d1OZ JOS\u00c9").encode("cp1252") + b"\n"
    data += or_line(cfn_seq=2, first_party="X").encode("cp1252").replace(b"X", b"A\x81B") + b"\n"
    r = parse(data)
    assert r.rows["first_party"].to_list() == ["MUÑOZ JOSÉ", "A\ufffdB"]
    assert r.replaced_bytes == 1
    assert r.quarantine.height == 0


def test_crlf_lf_blank_lines_and_line_numbers():
    data = (
        or_line(cfn_seq=1)
        + "\r\n\r\n"
        + or_line(cfn_seq=2)
        + "\n   \n"
        + or_line(cfn_seq=3)
        + "\r\n"
    ).encode()
    r = parse(data)
    assert r.rows["cfn_seq"].to_list() == [1, 2, 3]
    assert r.rows["line_no"].to_list() == [1, 3, 5]
    assert r.rows["zip"].to_list() == [None, None, None]  # no stray \r in the last field
    assert (r.lines_read, r.blank_lines) == (3, 2)


def test_trailing_caret_is_not_an_extra_field():
    r = parse((or_line(zip="33125") + "^\n").encode())
    assert r.quarantine.height == 0
    assert r.rows["zip"].to_list() == ["33125"]


def test_short_rows_are_padded_with_null():
    short = "2026^7^^20260105^^^^^DEE^^1^R^JANE DOE"
    r = parse((short + "\n").encode())
    assert r.quarantine.height == 0
    row = r.rows.row(0, named=True)
    assert (row["cfn_seq"], row["first_party"], row["folio"], row["zip"]) == (
        7,
        "JANE DOE",
        None,
        None,
    )


def test_long_rows_are_quarantined_with_line_and_reason():
    good, long = or_line(cfn_seq=1), or_line(cfn_seq=2) + "^EXTRA^MORE"
    r = parse(f"{good}\n{long}\n".encode())
    assert r.rows["cfn_seq"].to_list() == [1]
    assert r.quarantine.to_dicts() == [
        {"line_no": 2, "raw_line": long, "reason": "37 fields, layout official_records has 35"}
    ]


def test_quotes_are_data():
    r = parse((or_line(first_party='"BIG" JOHN\'S LLC', legal='LOT "A"') + "\n").encode())
    assert r.rows["first_party"].to_list() == ['"BIG" JOHN\'S LLC']
    assert r.rows["legal"].to_list() == ['LOT "A"']


def test_bad_dates_are_quarantined_and_good_dates_parse():
    lines = [
        or_line(cfn_seq=1, rec_date="20260105"),
        or_line(cfn_seq=2, rec_date="20261345"),
        or_line(cfn_seq=3, rec_date="2026015"),
        or_line(cfn_seq=4, rec_date="01/05/2026"),
    ]
    r = parse(("\n".join(lines) + "\n").encode())
    assert r.rows["rec_date"].to_list() == [date(2026, 1, 5)]
    assert r.quarantine["reason"].to_list() == [
        "bad date_ymd in rec_date: '20261345'",
        "bad date_ymd in rec_date: '2026015'",
        "bad date_ymd in rec_date: '01/05/2026'",
    ]
    assert r.quarantine["line_no"].to_list() == [2, 3, 4]


def test_mdy_dates_in_civil_files():
    rows = ["C1^2026-1^01/05/2026", "C2^2026-2^1/5/2026", "C3^2026-3^20260105"]
    r = parse(("\n".join(rows) + "\n").encode(), CASES)
    assert r.rows["filing_date"].to_list() == [date(2026, 1, 5), date(2026, 1, 5)]
    assert r.quarantine["reason"].to_list() == ["bad date_mdy in filing_date: '20260105'"]


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("$1,234.50", 1234.5),
        ("1234.5", 1234.5),
        ("1,234", 1234.0),
        ("$0.60", 0.6),
        ("999,999,999,999.99", 999999999999.99),
        ("", None),
    ],
)
def test_money(raw, expected):
    r = parse((or_line(consideration_1=raw) + "\n").encode())
    assert r.rows["consideration_1"].to_list() == [expected]


def test_unparseable_money_is_quarantined():
    r = parse((or_line(consideration_1="12 dollars") + "\n").encode())
    assert r.rows.height == 0
    assert r.quarantine["reason"].to_list() == ["bad money in consideration_1: '12 dollars'"]


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("30-4012-001-0010", "3040120010010"),
        ("3040120010010", "3040120010010"),
        ("140120010010", "0140120010010"),  # 12 digits: the leading zero was lost
        ("01-4012-001-0010", "0140120010010"),
        ("0000000000000", None),
        ("00-0000-000-0000", None),
        ("N/A", None),
        ("12345", None),
        ("30401200100101", None),  # 14 digits
        ("", None),
    ],
)
def test_folio_normalised_or_null_and_row_kept(raw, expected):
    r = parse((or_line(folio=raw) + "\n").encode())
    assert r.quarantine.height == 0
    assert r.rows["folio"].to_list() == [expected]


def test_missing_required_field_is_quarantined():
    r = parse((or_line(doc_type="") + "\n").encode())
    assert r.quarantine["reason"].to_list() == ["missing required doc_type"]


def test_exact_duplicates_collapse_and_conflicting_keys_are_quarantined():
    a = or_line(cfn_seq=1, first_party="A")
    conflict = or_line(cfn_seq=1, first_party="B")
    r = parse(f"{a}\n{a}\n{conflict}\n".encode())
    assert r.rows["line_no"].to_list() == [1]
    assert r.duplicates_collapsed == 1
    assert r.quarantine.to_dicts() == [
        {
            "line_no": 3,
            "raw_line": conflict,
            "reason": "duplicate key cfn_year/cfn_seq/party_code/party_seq with different content "
            "(first seen on line 1)",
        }
    ]


def test_copies_differing_only_in_trailing_carets_collapse():
    row = or_line(cfn_seq=1, first_party="A")  # its last fields are empty: it already ends in "^"
    assert row.endswith("^")
    r = parse(f"{row}\n{row}^\n{row.rstrip('^')}\n".encode())
    assert (r.rows["line_no"].to_list(), r.duplicates_collapsed, r.quarantine.height) == ([1], 2, 0)


def test_wrong_column_count_everywhere_fails_naming_file_and_line():
    data = ("^".join(["x"] * 40) + "\n").encode() * 3
    with pytest.raises(FileUnreadableError, match=r"OfficialRecords.exp: line 1: 40 fields"):
        parse(data)


def test_binary_file_fails_naming_line():
    with pytest.raises(
        FileUnreadableError,
        match=r"OfficialRecords.exp: line 2: control byte 0x03 — 4 of 9 bytes are control or "
        r"undecodable bytes: this is a binary file",
    ):
        parse(b"ok\nPK\x03\x04\x00\x00")


def test_a_nul_in_one_line_is_removed_counted_and_the_day_goes_on():
    """Real exports carry stray NULs and a DOS ^Z end mark: damage in a line, not a binary file."""
    lines = [
        *doc(1, "20260105", "DEE", "3040120010010", legal="LOT 1\x00 BLK 2"),
        *doc(2, "20260105", "MOR", "3040120010011"),
    ]
    data = b"\xef\xbb\xbf" + "\r\n".join(lines).encode("cp1252") + b"\r\n\x1a"
    r = parse(data)
    # a NUL in each party row's legal description, and the ^Z
    counts = (r.rows.height, r.quarantine.height, r.lines_read, r.control_bytes_removed)
    assert counts == (4, 0, 4, 3)
    assert r.rows["legal"].to_list()[:2] == ["LOT 1 BLK 2", "LOT 1 BLK 2"]
    assert r.rows["cfn_year"].to_list()[0] == 2026  # the BOM did not spoil the first field


def test_empty_file_gives_no_rows():
    r = parse(b"")
    assert (r.rows.height, r.quarantine.height, r.lines_read) == (0, 0, 0)


@pytest.mark.parametrize(
    "values, reason",
    [
        (
            {"rec_date": "99991231"},
            "implausible date in rec_date: '99991231' (plausible: 1900-01-01..2026-01-12)",
        ),
        (
            {"rec_date": "18991231"},
            "implausible date in rec_date: '18991231' (plausible: 1900-01-01..2026-01-12)",
        ),
        (
            {"consideration_1": "99999999999999999999999999"},
            "bad money in consideration_1: '99999999999999999999999999'",
        ),
        ({"consideration_1": "1000000000000"}, "bad money in consideration_1: '1000000000000'"),
        ({"consideration_1": "$-5.00"}, "bad money in consideration_1: '$-5.00'"),
        ({"consideration_1": "-15.25"}, "bad money in consideration_1: '-15.25'"),
        ({"deed_doc_tax": "1,00,0.0"}, "bad money in deed_doc_tax: '1,00,0.0'"),
        ({"cfn_year": "-2026"}, "bad int in cfn_year: '-2026'"),
    ],
)
def test_implausible_values_are_quarantined_with_the_reason(values, reason):
    """A fake deed dated 9999 or priced 1e26 must never become a property's "latest" for ever."""
    row = {"cfn_year": "2026", "rec_date": "20260105", **values}
    r = parse_bytes(
        (or_line(**row) + "\n").encode(),
        get_layout("official_records"),
        "OfficialRecords.exp",
        latest_date=date(2026, 1, 12),
    )
    assert r.rows.height == 0 and r.quarantine["reason"].to_list() == [reason]


def test_a_date_a_few_days_past_the_partition_is_plausible():
    r = parse_bytes(
        (or_line(rec_date="20260112") + "\n").encode(),
        get_layout("official_records"),
        "OfficialRecords.exp",
        latest_date=date(2026, 1, 12),
    )
    assert (r.rows.height, r.quarantine.height) == (1, 0)
