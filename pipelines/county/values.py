"""Value normalisers as polars expressions: folio, dates, money, integers.

Each returns the parsed expression; the parser compares it with the raw value to
tell "empty" (NULL, fine) from "present but unparseable" (quarantine). The scalar
helpers at the bottom run the same expressions on one value, for callers and tests.

Digits are `[0-9]`, never `\\d`: the regex engine's `\\d` also matches `３` or `٣`, which
would pass a full-width folio through as text no other folio equals.
"""

from __future__ import annotations

from datetime import date

import polars as pl

FOLIO_DIGITS = 13
# Plausible values (docs/decisions.md#county-files-merge-and-leads): a value outside these
# is damage, quarantined with the reason, never staged to pin a property for ever.
EARLIEST_DATE = date(1900, 1, 1)
MAX_AMOUNT = 10**12  # NUMERIC(14, 2) holds up to 999,999,999,999.99


def folio_expr(raw: pl.Expr) -> pl.Expr:
    """13-digit folio or NULL: dashes/spaces/dots removed, a lost leading zero restored;
    all-zero, non-numeric or any other length is NULL (the row is kept)."""
    digits = raw.str.replace_all(r"[\s.\-]", "")
    ok = digits.str.contains(r"^[0-9]{12,13}$")
    padded = digits.str.zfill(FOLIO_DIGITS)
    return pl.when(ok & ~padded.str.contains(r"^0+$")).then(padded).otherwise(None)


def int_expr(raw: pl.Expr) -> pl.Expr:
    """Whole numbers ≥ 0 (every county count, sequence and year is one)."""
    return pl.when(raw.str.contains(r"^\+?[0-9]{1,18}$")).then(raw.cast(pl.Int64, strict=False))


# `$` first if at all; commas only between groups of three digits; at most two decimals.
MONEY = r"^\$?\s*([0-9]{1,3}(,[0-9]{3})+|[0-9]+)?(\.[0-9]{1,2})?$"


def money_expr(raw: pl.Expr) -> pl.Expr:
    """`$1,234.50` → 1234.5. Negative amounts, misplaced separators (`1,00,0.0`) and amounts
    NUMERIC(14, 2) cannot hold are unparseable (quarantined)."""
    ok = raw.str.contains(MONEY) & raw.str.contains(r"[0-9]")
    value = raw.str.replace_all(r"[$,\s]", "").cast(pl.Float64, strict=False).round(2)
    return pl.when(ok & (value < MAX_AMOUNT)).then(value)


def date_ymd_expr(raw: pl.Expr) -> pl.Expr:
    ok = raw.str.contains(r"^[0-9]{8}$")
    return pl.when(ok).then(raw.str.strptime(pl.Date, "%Y%m%d", strict=False))


def date_mdy_expr(raw: pl.Expr) -> pl.Expr:
    """MM/DD/YYYY; single-digit month/day accepted (the county is not consistent)."""
    ok = raw.str.contains(r"^[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}$")
    return pl.when(ok).then(raw.str.strptime(pl.Date, "%m/%d/%Y", strict=False))


def text_expr(raw: pl.Expr) -> pl.Expr:
    return raw


PARSERS = {
    "text": text_expr,
    "int": int_expr,
    "money": money_expr,
    "folio": folio_expr,
    "date_ymd": date_ymd_expr,
    "date_mdy": date_mdy_expr,
}

POLARS_TYPES = {
    "text": pl.String,
    "int": pl.Int64,
    "money": pl.Float64,
    "folio": pl.String,
    "date_ymd": pl.Date,
    "date_mdy": pl.Date,
}


def _one(kind: str, value: str | None):
    return pl.select(PARSERS[kind](pl.lit(value, dtype=pl.String))).item()


def normalize_folio(value: str | None) -> str | None:
    return _one("folio", value)


def parse_money(value: str | None) -> float | None:
    return _one("money", value)


def parse_date(value: str | None, kind: str = "date_ymd"):
    return _one(kind, value)
