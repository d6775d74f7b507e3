"""Property-based tests: the parser recovers whatever a well-formed file holds."""

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.county.parse import parse_bytes
from pipelines.county.values import normalize_folio, parse_money
from pipelines.db.schema.layouts import get_layout

DOCKTEXT = get_layout("docktext")
# Text a county field can hold: cp1252-encodable, no caret, no control character (those are
# damage, removed: see test_control_bytes_are_removed_and_the_row_kept), no padding spaces.
field_text = (
    st.text(
        alphabet=st.characters(codec="cp1252", exclude_characters="^", exclude_categories=("Cc",)),
        min_size=1,
        max_size=30,
    )
    .map(str.strip)
    .filter(bool)
)


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.integers(0, 10**6), field_text),
        min_size=1,
        max_size=30,
        unique_by=lambda r: r[0],
    ),
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


@given(
    digits=st.from_regex(r"\A[0-9]{13}\Z").filter(lambda d: set(d) != {"0"}), dashed=st.booleans()
)
def test_folio_any_13_digits(digits, dashed):
    raw = f"{digits[:2]}-{digits[2:6]}-{digits[6:9]}-{digits[9:]}" if dashed else digits
    assert normalize_folio(raw) == digits
    if digits.startswith("0"):
        assert normalize_folio(digits[1:]) == digits


@given(cents=st.integers(0, 10**14 - 1))
def test_money_formats_agree(cents):
    value = cents / 100
    assert parse_money(f"{value:.2f}") == round(value, 2)
    assert parse_money(f"${value:,.2f}") == round(value, 2)
    assert parse_money(f"-{value:.2f}") is None  # no negative amounts in a county file


def test_polars_expression_and_scalar_helper_agree():
    from pipelines.county.values import folio_expr

    raws = ["30-4012-001-0010", "140120010010", "0000000000000", None]
    vec = pl.select(folio_expr(pl.lit(pl.Series(raws, dtype=pl.String)))).to_series().to_list()
    assert vec == [normalize_folio(r) for r in raws]


@settings(max_examples=100, deadline=None)
@given(
    text=field_text,
    junk=st.lists(
        st.sampled_from([b"\x00", b"\x01", b"\x1a", b"\x1b", b"\x1f"]),
        min_size=1,
        max_size=3,
    ),
    at=st.integers(0, 100),
)
def test_control_bytes_are_removed_and_the_row_kept(text, junk, at):
    """A few control bytes anywhere in a line of a real file: removed, counted, row kept."""
    good = [f"{n}^1^1^{text}" for n in range(1, 40)]
    line = good[0].encode("cp1252")
    cut = at % (len(line) + 1)
    damaged = line[:cut] + b"".join(junk) + line[cut:]
    data = damaged + b"\n" + "\n".join(good[1:]).encode("cp1252") + b"\n"
    r = parse_bytes(data, DOCKTEXT, "Docktext.exp")
    assert (r.rows.height, r.quarantine.height, r.control_bytes_removed) == (39, 0, len(junk))
    assert r.rows["text"].to_list() == [text] * 39
