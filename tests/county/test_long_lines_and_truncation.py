"""Hostile county files at the parser: a line longer than FOLIO_MAX_LINE_BYTES refuses the
file naming its line and byte offset, having read no more than a chunk and the limit; a file
cut off mid-line quarantines its broken last line as `truncated` instead of staging it."""

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.county.chunks import LineTooLong, first_long_line, read_chunks
from pipelines.county.parse import FileUnreadableError, parse_bytes, parse_file
from pipelines.db.schema.layouts import get_layout
from tests.builders import doc

OR, DOCKTEXT = get_layout("official_records"), get_layout("docktext")
NAME = "daily/2026-01-05/OfficialRecords.exp"


class CountingDigest:
    """Stands in for the sha256 read_chunks feeds: counts the bytes it was given (= read)."""

    def __init__(self) -> None:
        self.bytes = 0

    def update(self, block: bytes) -> None:
        self.bytes += len(block)


def naive_first_long(data: bytes, limit: int) -> int | None:
    pos = 0
    for part in data.split(b"\n"):
        if len(part) > limit:
            return pos
        pos += len(part) + 1
    return None


@settings(max_examples=300, deadline=None)
@given(lengths=st.lists(st.integers(0, 30), max_size=30), limit=st.integers(1, 20))
def test_first_long_line_agrees_with_splitting(lengths, limit):
    data = b"\n".join(b"x" * n for n in lengths)
    assert first_long_line(data, limit) == naive_first_long(data, limit)


@settings(max_examples=150, deadline=None)
@given(
    lengths=st.lists(st.integers(0, 40), min_size=1, max_size=30),
    chunk=st.integers(1, 64),
    limit=st.integers(1, 40),
    final_newline=st.booleans(),
)
def test_read_chunks_refuses_the_first_long_line_at_its_offset(
    tmp_path_factory, lengths, chunk, limit, final_newline
):
    data = b"\n".join(b"x" * n for n in lengths) + (b"\n" if final_newline else b"")
    path = tmp_path_factory.mktemp("c") / "f"
    path.write_bytes(data)
    long = [i for i, n in enumerate(lengths) if n > limit]
    if not long:
        assert b"".join(c for c, _ in read_chunks(path, chunk, hashlib.sha256(), limit)) == data
        return
    with pytest.raises(LineTooLong) as exc:
        list(read_chunks(path, chunk, hashlib.sha256(), limit))
    first = long[0]
    assert exc.value.line_no == first + 1
    assert exc.value.offset == sum(n + 1 for n in lengths[:first])


def test_a_40_mb_file_without_line_breaks_is_refused_after_reading_about_the_limit(tmp_path):
    path = tmp_path / "OfficialRecords.exp"
    with open(path, "wb") as fh:  # 40 MB of NULs and no newline (sparse: nothing written)
        fh.truncate(40 << 20)
    read = CountingDigest()
    with pytest.raises(FileUnreadableError) as exc:
        list(parse_file(path, OR, NAME, None, read, 1 << 20, max_line_bytes=1 << 20))
    assert str(exc.value).startswith(
        f"{NAME}: line 1, byte offset 0: longer than 1,048,576 bytes (FOLIO_MAX_LINE_BYTES)"
    )
    assert read.bytes <= (1 << 20) + (1 << 20)  # one chunk and the limit, not 40 MB


def test_a_long_line_among_good_ones_is_named_by_line_and_byte_offset(tmp_path):
    good = [ln.encode() for n in range(1, 201) for ln in doc(n, "20260105", "WD", "3040120010010")]
    head = b"\n".join(good[:150]) + b"\n"
    data = head + b"Y" * 5000 + b"\n" + b"\n".join(good[150:]) + b"\n"
    path = tmp_path / "OfficialRecords.exp"
    path.write_bytes(data)
    with pytest.raises(FileUnreadableError, match=rf"^{NAME}: line 151, byte offset {len(head)}:"):
        list(parse_file(path, OR, NAME, None, hashlib.sha256(), 4096, max_line_bytes=4096))
    # a line of exactly the limit is a line like any other (here quarantined: one field)
    path.write_bytes(head + b"Y" * 4096 + b"\n" + b"\n".join(good[150:]) + b"\n")
    parts = list(parse_file(path, OR, NAME, None, hashlib.sha256(), 4096, max_line_bytes=4096))
    assert sum(p.rows.height for p in parts) == 400
    assert [q["line_no"] for p in parts for q in p.quarantine.iter_rows(named=True)] == [151]


DEED = doc(
    1,
    "20260105",
    "WD",
    "3040120010010",
    address="1 NW 5TH ST",
    city="MIAMI",
    zip="33125",
    consideration_1="1",
)


def test_a_file_cut_off_mid_line_quarantines_its_last_line_as_truncated():
    cut = DEED[1][: DEED[1].index("1 NW 5TH ST") + 1]  # ends in the address: "…^1"
    data = (DEED[0] + "\n" + cut).encode()
    r = parse_bytes(data, OR, NAME)
    assert r.rows["line_no"].to_list() == [1]
    q = r.quarantine.row(0, named=True)
    assert (q["line_no"], q["raw_line"]) == (2, cut)
    fields = cut.count("^") + 1
    assert q["reason"] == (
        f"truncated: the last line has {fields} of {OR.width} fields and no line end "
        f"(file cut off?)"
    )


@pytest.mark.parametrize(
    "last",
    [DEED[1], DEED[1] + "^", DEED[1] + "\r", DEED[1] + "\x1a"],
    ids=["complete", "trailing caret", "cut after CR", "DOS end mark"],
)
def test_a_complete_last_line_without_a_line_end_is_a_valid_row(last):
    r = parse_bytes((DEED[0] + "\n" + last).encode(), OR, NAME)
    assert (r.rows.height, r.quarantine.height) == (2, 0)
    assert r.rows["address"].to_list() == ["1 NW 5TH ST"] * 2


def test_a_short_row_that_has_its_line_end_is_still_padded():
    short = DEED[1][: DEED[1].index("1 NW 5TH ST") + 1]
    r = parse_bytes((short + "\n" + DEED[0] + "\n").encode(), OR, NAME)
    assert (r.rows.height, r.quarantine.height) == (2, 0)


def test_truncation_is_judged_the_same_in_chunks(tmp_path):
    lines = [f"CASE-1^{n}^1^TEXT {n}" for n in range(1, 400)] + ["CASE-1^400^1"]
    path = tmp_path / "Docktext.exp"
    path.write_bytes("\n".join(lines).encode())  # no final line end: the last line is short
    whole = parse_bytes(path.read_bytes(), DOCKTEXT, "Docktext.exp")
    parts = list(
        parse_file(path, DOCKTEXT, "Docktext.exp", None, hashlib.sha256(), 97, max_line_bytes=99)
    )
    assert sum(p.rows.height for p in parts) == whole.rows.height == 399
    got = [r for p in parts for r in p.quarantine.rows()]
    assert got == whole.quarantine.rows()
    assert [(n, reason[:10]) for n, _, reason in got] == [(400, "truncated:")]
