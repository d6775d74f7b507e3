"""Caret-delimited county files → typed rows + quarantined rows (polars).

The quirks handled (docs/domain.md#files): cp1252 bytes (undecodable ones replaced, never a
crash), LF or CRLF, blank lines, a trailing `^`, rows shorter than the layout
(padded with NULL) or longer (quarantined), no quoting (`"` is data), empty
string = NULL, exact duplicate rows collapsed, conflicting duplicate keys
quarantined, a last line cut off mid-line (no line end, too few fields) quarantined as
`truncated`. Each quarantined row keeps file, line number, raw line and reason.

Damaged bytes are damage in a line, not a reason to lose the day: control bytes other than
tab, CR and LF (a NUL inside a legal description, a DOS ^Z end mark) are removed, counted
(`control_bytes_removed`) and the row is kept; a UTF-8 byte-order mark is dropped. Only a
file that is mostly control or undecodable bytes is refused, naming the file and the line;
so is one with a line longer than FOLIO_MAX_LINE_BYTES, naming its byte offset too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from pipelines.county.chunks import LineTooLong, SeenKeys, read_chunks
from pipelines.county.values import EARLIEST_DATE, PARSERS, POLARS_TYPES
from pipelines.db.schema.layouts import FileLayout


class FileUnreadableError(ValueError):
    """The whole file cannot be parsed with this layout; the message names file and line."""


@dataclass
class ParseResult:
    rows: pl.DataFrame  # layout columns (typed) + line_no
    quarantine: pl.DataFrame  # line_no, raw_line, reason
    lines_read: int = 0  # non-blank lines
    blank_lines: int = 0
    duplicates_collapsed: int = 0
    replaced_bytes: int = 0
    control_bytes_removed: int = 0


# C0 control bytes a county export has no business holding (tab, LF and CR are kept).
CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 13))
BOM = b"\xef\xbb\xbf"
MAX_DAMAGED_SHARE = 0.05  # more control/undecodable bytes than this: not a text export


def remove_control_bytes(data: bytes, file_start: bool = True) -> tuple[bytes, int]:
    """The bytes without control bytes (and a leading UTF-8 BOM at the start of the file); how
    many were removed."""
    if file_start:
        data = data.removeprefix(BOM)
    cleaned = data.translate(None, CONTROL_BYTES)
    return cleaned, len(data) - len(cleaned)


def _refuse_if_binary(
    data: bytes, removed: int, replaced: int, layout: FileLayout, source_file: str, first_line: int
) -> None:
    if not data or (removed + replaced) <= MAX_DAMAGED_SHARE * len(data):
        return
    first = next(
        i for i, b in enumerate(data) if b in CONTROL_BYTES or b in b"\x81\x8d\x8f\x90\x9d"
    )
    line, byte = data[:first].count(b"\n") + first_line, data[first]
    what = "NUL byte" if byte == 0 else f"control byte 0x{byte:02X}"
    raise FileUnreadableError(
        f"{source_file}: line {line}: {what} — {removed + replaced:,} of {len(data):,} bytes are "
        f"control or undecodable bytes: this is a binary file, not a {layout.file_name} export"
    )


def decode(data: bytes) -> tuple[str, int]:
    """cp1252 with replacement: the five undefined bytes become U+FFFD, counted."""
    text = data.decode("cp1252", errors="replace")
    return text, text.count("\ufffd")


def _lines(text: str, first_line: int) -> pl.DataFrame:
    if text.endswith("\n"):  # the final newline ends the last line; it does not start a blank one
        text = text[:-1]
    lines = pl.Series(
        "raw_line", text.split("\n"), dtype=pl.String
    )  # faster than polars' explode here
    df = lines.to_frame().with_row_index("line_no", offset=first_line)
    return df.with_columns(
        pl.col("line_no").cast(pl.Int64), pl.col("raw_line").str.strip_suffix("\r")
    )


def _reasons(
    layout: FileLayout, raw: dict[str, pl.Expr], parsed: dict[str, pl.Expr], latest: date | None
) -> pl.Expr:
    checks: list[pl.Expr] = []
    for col in layout.kept:
        r, p = raw[col.name], parsed[col.name]
        if col.required:
            checks.append(pl.when(r.is_null()).then(pl.lit(f"missing required {col.name}")))
        if col.type not in ("text", "folio"):
            bad = r.is_not_null() & p.is_null()
            checks.append(
                pl.when(bad).then(pl.lit(f"bad {col.type} in {col.name}: '") + r + pl.lit("'"))
            )
        if col.type.startswith("date"):
            early = p < pl.lit(EARLIEST_DATE)
            late = (p > pl.lit(latest)) if latest else pl.lit(False)
            window = f"{EARLIEST_DATE}..{latest}" if latest else f"from {EARLIEST_DATE}"
            checks.append(
                pl.when(early | late).then(
                    pl.lit(f"implausible date in {col.name}: '")
                    + r
                    + pl.lit(f"' (plausible: {window})")
                )
            )
    return pl.concat_str(checks, separator="; ", ignore_nulls=True)


def parse_bytes(
    data: bytes,
    layout: FileLayout,
    source_file: str,
    latest_date: date | None = None,
    *,
    first_line: int = 1,
    seen: SeenKeys | None = None,
) -> ParseResult:
    """`latest_date`: the latest plausible date in this file (a few days past its partition);
    a date after it, or before 1900, quarantines its row.

    A chunk of a larger file (see chunks.py) passes the number of its first line and the
    keys of the chunks before it, so duplicates are judged across the whole file."""
    cleaned, removed = remove_control_bytes(data, file_start=first_line == 1)
    text, replaced = decode(cleaned)
    _refuse_if_binary(data, removed, replaced, layout, source_file, first_line)
    width = layout.width
    carets = pl.col("raw_line").str.count_matches("^", literal=True)
    trailing = (carets == width) & pl.col("raw_line").str.ends_with("^")
    too_long = (carets >= width) & ~trailing
    # A last line with no line end and fewer fields than the layout is a file cut off
    # mid-line, not a short row: its last field is a fragment, so it is not staged. (Only
    # the file's last chunk can end without a newline: see chunks.py.)
    if text and not text.endswith(("\n", "\r")):
        cut_off = (pl.col("line_no") == first_line + text.count("\n")) & (carets + 1 < width)
    else:
        cut_off = pl.lit(False)
    lf = _lines(text, first_line).lazy().filter(pl.col("raw_line").str.strip_chars() != "")
    lf = lf.with_columns(
        pl.when(too_long)
        .then(
            pl.format(
                "{} fields, layout {} has {}", carets + 1, pl.lit(layout.file_type), pl.lit(width)
            )
        )
        .alias("_long"),
        pl.when(cut_off)
        .then(
            pl.format(
                "truncated: the last line has {} of {} fields and no line end (file cut off?)",
                carets + 1,
                pl.lit(width),
            )
        )
        .alias("_cut"),
        # split_exact drops whatever lies past the layout's width (a trailing caret, or the
        # extra fields of a long row, which is quarantined above).
        pl.col("raw_line").str.split_exact("^", width - 1).alias("_f"),
    )
    raw: dict[str, pl.Expr] = {}
    for i, col in enumerate(layout.columns):
        if not col.skip:
            v = pl.col("_f").struct.field(f"field_{i}").str.strip_chars(" ")
            raw[col.name] = pl.when(v != "").then(v)
    lf = lf.with_columns([e.alias(f"_raw_{n}") for n, e in raw.items()]).drop("_f")
    raw = {n: pl.col(f"_raw_{n}") for n in raw}
    lf = lf.with_columns(
        [PARSERS[c.type](raw[c.name]).cast(POLARS_TYPES[c.type]).alias(c.name) for c in layout.kept]
    )
    reason = pl.coalesce(
        pl.col("_long"),
        pl.col("_cut"),
        _reasons(layout, raw, {c.name: pl.col(c.name) for c in layout.kept}, latest_date),
    )
    names = [c.name for c in layout.kept]
    # One lazy plan, collected once (polars shares the common part): only the columns each
    # output needs are carried through its filters.
    lf = lf.with_columns(pl.when(reason != "").then(reason).alias("_reason"))
    # Among parseable rows, the first line of each key wins. A later line with the same key
    # is a re-sent copy when its text is the same (trailing carets aside): collapsed; when
    # it differs, it is a conflict: quarantined. (Comparing per key is much cheaper than
    # hashing every line, and duplicates are rare.) Trailing carets are all stripped: empty
    # trailing fields, a trailing caret and a short row all mean the same NULLs.
    key = list(layout.key)
    norm = pl.col("raw_line").str.strip_chars_end("^")
    bad_q = lf.filter(pl.col("_reason").is_not_null()).select(
        "line_no", "raw_line", pl.col("_reason").alias("reason")
    )
    stats_q = lf.select(
        pl.len().alias("lines"),
        (pl.col("_long").is_not_null()).sum().alias("long"),
        pl.col("line_no").filter(pl.col("_long").is_not_null()).first().alias("first_long"),
        pl.col("_long").drop_nulls().first().alias("first_long_reason"),
    )
    good = lf.filter(pl.col("_reason").is_null())
    first = pl.col("line_no").first().over(key)
    same = norm == norm.first().over(key)
    hashes: list[str] = []
    if seen is not None:
        # Keys of earlier chunks: their first line wins, compared by a hash of its text.
        hashes = ["_kh", "_nh"]
        good = good.select(
            "line_no",
            "raw_line",
            *names,
            pl.struct(key).hash().alias("_kh"),
            norm.hash().alias("_nh"),
        )
        good_df, bad, stats = pl.collect_all([good, bad_q, stats_q])
        good = good_df.lazy().join(
            seen.hits(good_df["_kh"]).lazy(), on="_kh", how="left", maintain_order="left"
        )  # line order kept: the first line of a key is the one that wins
        earlier = pl.col("_sf").is_not_null()
        first = pl.when(earlier).then(pl.col("_sf")).otherwise(first)
        same = pl.when(earlier).then(pl.col("_nh") == pl.col("_sh")).otherwise(same)
    good = good.with_columns(first.alias("_first"), same.alias("_same"))
    later = pl.col("line_no") != pl.col("_first")
    rows_q = good.filter(~later).select("line_no", *names, *hashes)
    conflicts_q = good.filter(later & ~pl.col("_same")).select(
        "line_no",
        "raw_line",
        pl.format(
            "duplicate key {} with different content (first seen on line {})",
            pl.lit("/".join(layout.key)),
            pl.col("_first"),
        ).alias("reason"),
    )
    repeats_q = good.select((later & pl.col("_same")).sum().alias("repeats"))
    if seen is None:
        rows, conflicts, bad, stats, repeats = pl.collect_all(
            [rows_q, conflicts_q, bad_q, stats_q, repeats_q]
        )
    else:
        rows, conflicts, repeats = pl.collect_all([rows_q, conflicts_q, repeats_q])
        seen.add(rows.select("_kh", pl.col("line_no").alias("_sf"), pl.col("_nh").alias("_sh")))
        rows = rows.drop(hashes)
    st = stats.row(0, named=True)
    if st["lines"] and st["long"] == st["lines"]:
        raise FileUnreadableError(
            f"{source_file}: line {st['first_long']}: {st['first_long_reason']} — every line has "
            f"the wrong "
            f"number of fields; is this the right file or layout?"
        )
    blank_lines = text.count("\n") + (0 if not text or text.endswith("\n") else 1) - st["lines"]
    return ParseResult(
        rows=rows.sort("line_no"),
        quarantine=pl.concat([bad, conflicts]).sort("line_no"),
        lines_read=st["lines"],
        blank_lines=blank_lines,
        duplicates_collapsed=repeats.item(),
        replaced_bytes=replaced,
        control_bytes_removed=removed,
    )


def parse_file(
    path: Path,
    layout: FileLayout,
    source_file: str,
    latest_date: date | None,
    digest: hashlib._Hash,
    chunk_bytes: int,
    *,
    max_line_bytes: int,
) -> Iterator[ParseResult]:
    """The file parsed chunk by chunk (see chunks.py), feeding `digest` with its bytes. A
    file that fits one chunk is parsed exactly as `parse_bytes` parses it. A line longer
    than `max_line_bytes` refuses the file, naming the line and its byte offset."""
    seen = SeenKeys() if path.stat().st_size > chunk_bytes else None
    parsed_any = False
    try:
        for data, first_line in read_chunks(path, chunk_bytes, digest, max_line_bytes):
            parsed_any = True
            yield parse_bytes(
                data, layout, source_file, latest_date, first_line=first_line, seen=seen
            )
    except LineTooLong as exc:
        raise FileUnreadableError(
            f"{source_file}: line {exc.line_no}, byte offset {exc.offset}: longer than "
            f"{exc.limit:,} bytes (FOLIO_MAX_LINE_BYTES) — a file without line breaks is not a "
            f"{layout.file_name} export; refused"
        ) from None
    if not parsed_any:  # an empty file: one empty result, refused like any file with no rows
        yield parse_bytes(b"", layout, source_file, latest_date)
