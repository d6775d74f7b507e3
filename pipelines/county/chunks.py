"""Reading a county file in chunks, so memory stays flat whatever the file's size.

A chunk is a run of whole lines (cut after a newline) of about `chunk_bytes`, hashed as it is
read so the file's sha256 is checked without a second pass. What must hold across the whole
file rather than one chunk — the first line of each key wins — is kept in `SeenKeys`: 64-bit
hashes of each key and of its first line's text and that line's number, 20 bytes a key
(200 MB for 10M rows).
A hash collision between two different keys can only make the later row look like a
conflicting duplicate: it is quarantined with its line, never dropped.
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


def read_chunks(path: Path, chunk_bytes: int, digest: hashlib._Hash) -> Iterator[tuple[bytes, int]]:
    """(bytes of whole lines, number of the chunk's first line), feeding `digest` as it reads."""
    first_line, carry = 1, b""
    with open(path, "rb") as fh:
        while block := fh.read(chunk_bytes):
            digest.update(block)
            data = carry + block
            cut = data.rfind(b"\n") + 1
            if cut == 0:  # one line longer than a chunk: keep reading
                carry = data
                continue
            carry = data[cut:]
            yield data[:cut], first_line
            first_line += data.count(b"\n", 0, cut)
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
