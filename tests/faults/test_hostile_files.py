"""A corpus of hostile county files: the parser never crashes and never loses a line. For each
file either every non-blank line is staged, quarantined or collapsed as a duplicate, or the
file is refused as a whole with a message naming it and a line."""

import pytest

from pipelines.county.parse import FileUnreadableError, parse_bytes
from pipelines.db.schema.layouts import get_layout
from tests.builders import doc

OR = get_layout("official_records")
GOOD = [
    ln.encode("cp1252") for n in range(1, 21) for ln in doc(n, "20260105", "WD", "3040120010010")
]


def good_with(*extra: bytes) -> bytes:
    return b"\n".join([*GOOD[:20], *extra, *GOOD[20:]]) + b"\n"


CORPUS = {
    "nul in a field": good_with(GOOD[0].replace(b"^WD^", b"^W\x00D^")),
    "nul lines": good_with(b"\x00\x00\x00"),
    "dos end mark": b"\r\n".join(GOOD) + b"\r\n\x1a",
    "utf-8 bom": b"\xef\xbb\xbf" + b"\n".join(GOOD),
    "1 MB line": good_with(b"X" * 1_000_000),
    "10k fields": good_with(b"^".join([b"1"] * 10_000)),
    "only carets": good_with(b"^" * 50, b"^" * 36, b"^"),
    "mixed line ends": b"\r\n".join(GOOD[:10]) + b"\n" + b"\n".join(GOOD[10:]),
    "truncated last line": b"\n".join(GOOD) + b"\n" + GOOD[0][:17],
    "undefined cp1252 bytes": good_with(GOOD[1].replace(b"BUYER", b"BUY\x81\x8d\x8f\x90\x9dER")),
    "blank and whitespace lines": good_with(b"", b"   ", b"\t", b"\r"),
    "quotes and backslashes": good_with(GOOD[2].replace(b"BUYER ONE", b'"BUYER \\ ONE')),
    "mostly binary": bytes(range(256)) * 40,
    "empty": b"",
}


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_no_crash_and_no_lost_line(name):
    data = CORPUS[name]
    try:
        r = parse_bytes(data, OR, "daily/2026-01-05/OfficialRecords.exp")
    except FileUnreadableError as exc:
        assert str(exc).startswith("daily/2026-01-05/OfficialRecords.exp: line ")
        assert name == "mostly binary"  # the only one that is not a damaged export
        return
    assert r.rows.height + r.quarantine.height + r.duplicates_collapsed == r.lines_read
    if name != "empty":
        assert r.rows.height >= 39  # the good rows got through whatever surrounds them
    assert r.quarantine.filter(r.quarantine["raw_line"].str.contains("\x00")).height == 0
