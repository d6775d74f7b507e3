"""Property-based tests: the parser recovers whatever a well-formed file holds."""

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.records.layouts import get_layout
from pipelines.records.normalize import normalize_folio, parse_money
from pipelines.records.parse import parse_bytes

DOCKTEXT = get_layout("docktext")
# Text a county field can hold: cp1252-encodable, no caret, no line break, no padding spaces.
field_text = st.text(
    alphabet=st.characters(codec="cp1252", exclude_characters="^\r\n\x00"), min_size=1, max_size=30
).map(str.strip).filter(bool)


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(st.tuples(st.integers(0, 10**6), field_text), min_size=1, max_size=30, unique_by=lambda r: r[0]),
    crlf=st.booleans(),
    trailing=st.booleans(),
)
def test_round_trip(rows, crlf, trailing):
    eol = "\r\n" if crlf else "\n"
    lines = [f"CASE-1^{seq}^1^{text}" + ("^" if trailing else "") for seq, text in rows]
    data = (eol.join(lines) + eol).encode("cp1252")
    r = parse_bytes(data, DOCKTEXT, "Docktext.exp")
    assert r.quarantine.height == 0
    assert r.rows.select("docket_seq", "text").rows() == [(seq, text) for seq, text in rows]
    assert r.rows["line_no"].to_list() == list(range(1, len(rows) + 1))


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=400))
def test_arbitrary_bytes_never_lose_a_line(data):
    """Whatever the bytes: every non-blank line is either staged or quarantined (or the file
    is refused as a whole with a message) — never silently dropped."""
    try:
        r = parse_bytes(data, DOCKTEXT, "Docktext.exp")
    except ValueError as exc:
        assert "Docktext.exp: line" in str(exc)
        return
    accounted = r.rows.height + r.quarantine.height + r.duplicates_collapsed
    assert accounted == r.lines_read


@given(digits=st.from_regex(r"\A\d{13}\Z").filter(lambda d: set(d) != {"0"}), dashed=st.booleans())
def test_folio_any_13_digits(digits, dashed):
    raw = f"{digits[:2]}-{digits[2:6]}-{digits[6:9]}-{digits[9:]}" if dashed else digits
    assert normalize_folio(raw) == digits
    if digits.startswith("0"):
        assert normalize_folio(digits[1:]) == digits


@given(cents=st.integers(-10**11, 10**11))
def test_money_formats_agree(cents):
    value = cents / 100
    assert parse_money(f"{value:.2f}") == round(value, 2)
    assert parse_money(f"${value:,.2f}".replace("$-", "-$")) == round(value, 2)


def test_polars_expression_and_scalar_helper_agree():
    from pipelines.records.normalize import folio_expr

    raws = ["30-4012-001-0010", "140120010010", "0000000000000", None]
    vec = pl.select(folio_expr(pl.lit(pl.Series(raws, dtype=pl.String)))).to_series().to_list()
    assert vec == [normalize_folio(r) for r in raws]
