"""Small helpers for materialisation metadata a person reads in the UI."""

from __future__ import annotations

import polars as pl
from dagster import MetadataValue


def markdown_table(df: pl.DataFrame, max_rows: int = 5, max_cols: int = 8) -> MetadataValue:
    df = df.head(max_rows).select(df.columns[:max_cols])
    if df.height == 0:
        return MetadataValue.md("_no rows_")
    esc = lambda v: "" if v is None else str(v).replace("|", "\\|")
    lines = ["| " + " | ".join(df.columns) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(esc(v) for v in row) + " |" for row in df.iter_rows()]
    return MetadataValue.md("\n".join(lines))


def partition_label(keys: list[str]) -> str:
    return keys[0] if len(keys) == 1 else f"{keys[0]}..{keys[-1]} ({len(keys)} partitions)"


def rows_frame(rows: list[dict]) -> pl.DataFrame:
    """Rows as dicts (what the core's preview functions return) → a frame for `markdown_table`."""
    if not rows:
        return pl.DataFrame()
    return pl.DataFrame(rows, schema=list(rows[0]), orient="row", infer_schema_length=None)
