"""Reading a county file in chunks, so memory stays flat whatever the file's size.

A chunk is a run of whole lines (cut after a newline) of about `chunk_bytes`, hashed as it is
read so the file's sha256 is checked without a second pass. What must hold across the whole
file rather than one chunk — the first line of each key wins — is kept in `SeenKeys`: 64-bit
hashes of each key and of its first line's text and that line's number, 20 bytes a key
(200 MB for 10M rows).
A hash collision between two different keys can only make the later row look like a
conflicting duplicate: it is quarantined with its line, never dropped.
A line longer than the limit (FOLIO_MAX_LINE_BYTES) stops the reading where it is seen, so
a file without line breaks costs a chunk and the limit, never its own size.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import polars as pl

HASH_SCHEMA = {"_kh": pl.UInt64, "_sf": pl.UInt32, "_sh": pl.UInt64}
BLOCK_ROWS = 1 << 20  # parts are folded into blocks of about this size, never into one


def fold(parts: list, height) -> list:
    """Fewer, larger parts probe faster; folding only the small ones bounds the copy a fold
    makes (folding everything into one would briefly hold the whole memory twice)."""
    small = [p for p in parts if height(p) < BLOCK_ROWS]
    if len(small) < 16:
        return parts
    return [p for p in parts if height(p) >= BLOCK_ROWS] + [pl.concat(small, rechunk=True)]


class LineTooLong(ValueError):
    """A line longer than the limit: where it starts (byte offset, line number)."""

    def __init__(self, offset: int, line_no: int, limit: int) -> None:
        super().__init__(f"line {line_no} at byte offset {offset} is longer than {limit} bytes")
        self.offset, self.line_no, self.limit = offset, line_no, limit


def first_long_line(data: bytes, limit: int) -> int | None:
    """Where the first line of `data` longer than `limit` bytes starts (`data` starts a line;
    its last line may be unfinished), or None. Jumps from the last newline of one window of
    `limit + 1` bytes to the next, so a chunk costs a few memrchr calls, not one per line."""
    pos, end = 0, len(data)
    while end - pos > limit:
        nl = data.rfind(b"\n", pos, pos + limit + 1)
        if nl < 0:
            return pos
        pos = nl + 1
    return None


def read_chunks(
    path: Path, chunk_bytes: int, digest: hashlib._Hash, max_line_bytes: int | None = None
) -> Iterator[tuple[bytes, int]]:
    """(bytes of whole lines, number of the chunk's first line), feeding `digest` as it reads.

    A line longer than `max_line_bytes` (its newline not counted) raises LineTooLong as soon
    as it is seen: a file without line breaks is refused after reading about one chunk plus
    the limit, instead of being carried whole in memory."""
    first_line, carry, offset = 1, b"", 0  # offset: where `carry` starts in the file
    with open(path, "rb") as fh:
        while block := fh.read(chunk_bytes):
            digest.update(block)
            data = carry + block
            if max_line_bytes is not None:
                long = first_long_line(data, max_line_bytes)
                if long is not None:
                    line_no = first_line + data.count(b"\n", 0, long)
                    raise LineTooLong(offset + long, line_no, max_line_bytes)
            cut = data.rfind(b"\n") + 1
            if cut == 0:  # one line longer than a chunk: keep reading
                carry = data
                continue
            carry = data[cut:]
            yield data[:cut], first_line
            first_line += data.count(b"\n", 0, cut)
            offset += cut
    if carry:
        yield carry, first_line


class SeenKeys:
    """The keys of earlier chunks: their first line and a hash of that line's text."""

    def __init__(self) -> None:
        self._parts: list[pl.DataFrame] = []

    def hits(self, key_hashes: pl.Series) -> pl.DataFrame:
        """Earlier chunks' rows for these key hashes (probing the memory, not rebuilding it)."""
        if not self._parts:
            return pl.DataFrame(schema=HASH_SCHEMA)
        wanted = key_hashes.unique()
        return pl.concat([p.filter(pl.col("_kh").is_in(wanted.implode())) for p in self._parts])

    def add(self, firsts: pl.DataFrame) -> None:
        """`firsts`: _kh, _sf (first line), _sh (text hash) of keys new in this chunk."""
        self._parts.append(firsts.select(list(HASH_SCHEMA)).cast(HASH_SCHEMA))
        self._parts = fold(self._parts, lambda p: p.height)
