"""Caret-delimited county files → typed rows + quarantined rows (polars).

The quirks handled (SPEC §1.1): cp1252 bytes (undecodable ones replaced, never a
crash), LF or CRLF, blank lines, a trailing `^`, rows shorter than the layout
(padded with NULL) or longer (quarantined), no quoting (`"` is data), empty
string = NULL, exact duplicate rows collapsed, conflicting duplicate keys
quarantined. Each quarantined row keeps file, line number, raw line and reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from pipelines.records.layouts import FileLayout
from pipelines.records.normalize import PARSERS, POLARS_TYPES

QUARANTINE_SCHEMA = {"line_no": pl.Int64, "raw_line": pl.String, "reason": pl.String}


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
    stats: dict = field(default_factory=dict)


def decode(data: bytes) -> tuple[str, int]:
    """cp1252 with replacement: the five undefined bytes become U+FFFD, counted."""
    text = data.decode("cp1252", errors="replace")
    return text, text.count("\ufffd")


def _lines(text: str) -> pl.DataFrame:
    if text.endswith("\n"):  # the final newline ends the last line; it does not start a blank one
        text = text[:-1]
    lines = pl.Series("raw_line", text.split("\n"), dtype=pl.String)  # faster than polars' explode here
    df = lines.to_frame().with_row_index("line_no", offset=1)
    return df.with_columns(
        pl.col("line_no").cast(pl.Int64), pl.col("raw_line").str.strip_suffix("\r")
    )


def _reasons(layout: FileLayout, raw: dict[str, pl.Expr], parsed: dict[str, pl.Expr]) -> pl.Expr:
    checks: list[pl.Expr] = []
    for col in layout.kept:
        r, p = raw[col.name], parsed[col.name]
        if col.required:
            checks.append(pl.when(r.is_null()).then(pl.lit(f"missing required {col.name}")))
        if col.type not in ("text", "folio"):
            bad = r.is_not_null() & p.is_null()
            checks.append(pl.when(bad).then(pl.lit(f"bad {col.type} in {col.name}: '") + r + pl.lit("'")))
    return pl.concat_str(checks, separator="; ", ignore_nulls=True)


def parse_bytes(data: bytes, layout: FileLayout, source_file: str) -> ParseResult:
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise FileUnreadableError(
            f"{source_file}: line {line}: NUL byte — this is a binary file, not a {layout.file_name} export"
        )
    text, replaced = decode(data)
    width = layout.width
    carets = pl.col("raw_line").str.count_matches("^", literal=True)
    trailing = (carets == width) & pl.col("raw_line").str.ends_with("^")
    too_long = (carets >= width) & ~trailing
    lf = _lines(text).lazy().filter(pl.col("raw_line").str.strip_chars() != "")
    lf = lf.with_columns(
        pl.when(too_long)
        .then(pl.format("{} fields, layout {} has {}", carets + 1, pl.lit(layout.file_type), pl.lit(width)))
        .alias("_long"),
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
    reason = pl.coalesce(pl.col("_long"), _reasons(layout, raw, {c.name: pl.col(c.name) for c in layout.kept}))
    df = lf.with_columns(pl.when(reason != "").then(reason).alias("_reason")).collect()
    blank_lines = text.count("\n") + (0 if not text or text.endswith("\n") else 1) - df.height

    is_bad = pl.col("_reason").is_not_null()
    bad = df.filter(is_bad).select("line_no", "raw_line", "_reason", "_long")
    good = df.filter(~is_bad)
    if df.height and bad.height == df.height and bad["_long"].null_count() == 0:
        first = bad.row(0, named=True)
        raise FileUnreadableError(
            f"{source_file}: line {first['line_no']}: {first['_long']} — every line has the wrong "
            f"number of fields; is this the right file or layout?"
        )

    names = [c.name for c in layout.kept]
    good = good.select("line_no", *names)
    before = good.height
    good = good.unique(subset=names, keep="first", maintain_order=True)
    collapsed = before - good.height
    first_line = pl.col("line_no").min().over(list(layout.key))
    conflicts = good.filter(pl.col("line_no") != first_line)
    good = good.filter(pl.col("line_no") == first_line)
    if conflicts.height:
        firsts = good.select(*layout.key, pl.col("line_no").alias("_first"))
        conflicts = conflicts.join(firsts, on=list(layout.key), how="left", nulls_equal=True)
        conflict_rows = df.join(conflicts.select("line_no", "_first"), on="line_no").select(
            "line_no",
            "raw_line",
            pl.format("duplicate key {} with different content (first seen on line {})",
                      pl.lit("/".join(layout.key)), pl.col("_first")).alias("reason"),
        )
    else:
        conflict_rows = pl.DataFrame(schema=QUARANTINE_SCHEMA)

    quarantine = pl.concat(
        [bad.select("line_no", "raw_line", pl.col("_reason").alias("reason")), conflict_rows]
    ).sort("line_no")
    return ParseResult(
        rows=good,
        quarantine=quarantine,
        lines_read=df.height,
        blank_lines=blank_lines,
        duplicates_collapsed=collapsed,
        replaced_bytes=replaced,
    )
