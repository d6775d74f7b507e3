"""Address and owner-name normalisation as polars expressions (USPS-style abbreviations).

Matching joins on the keys these produce, computed once when rows are staged — never a
Python loop over properties. The scalar helpers at the bottom run the same expressions
on single values (for tests and callers).
"""

from __future__ import annotations

import polars as pl

SUFFIXES = {
    "STREET": "ST",
    "STR": "ST",
    "AVENUE": "AVE",
    "AV": "AVE",
    "ROAD": "RD",
    "DRIVE": "DR",
    "BOULEVARD": "BLVD",
    "COURT": "CT",
    "LANE": "LN",
    "PLACE": "PL",
    "TERRACE": "TER",
    "TERR": "TER",
    "CIRCLE": "CIR",
    "HIGHWAY": "HWY",
    "PARKWAY": "PKWY",
    "TRAIL": "TRL",
    "CAUSEWAY": "CSWY",
    "EXPRESSWAY": "EXPY",
    "SQUARE": "SQ",
    "PLAZA": "PLZ",
    "POINT": "PT",
    "ISLAND": "IS",
    "MANOR": "MNR",
    "HEIGHTS": "HTS",
}
DIRECTIONALS = {
    "NORTHWEST": "NW",
    "NORTHEAST": "NE",
    "SOUTHWEST": "SW",
    "SOUTHEAST": "SE",
    "NORTH": "N",
    "SOUTH": "S",
    "EAST": "E",
    "WEST": "W",
}
ORDINALS = {
    "FIRST": "1",
    "SECOND": "2",
    "THIRD": "3",
    "FOURTH": "4",
    "FIFTH": "5",
    "SIXTH": "6",
    "SEVENTH": "7",
    "EIGHTH": "8",
    "NINTH": "9",
    "TENTH": "10",
    "ELEVENTH": "11",
    "TWELFTH": "12",
}
UNIT_MARKERS = r"(?:APARTMENT|APT|UNIT|SUITE|STE|BLDG|#)"
OWNER_NOISE = [
    "ESTATE OF",
    "EST OF",
    "THE",
    "TRUSTEES?",
    "TRUST",
    "TR",
    "REVOCABLE",
    "REV",
    "LIVING",
    "FAMILY",
    "DECEASED",
    "DECD",
    "ET AL",
    "ETAL",
    "ET UX",
    "ETUX",
    "ET VIR",
    "JR",
    "SR",
    "II",
    "III",
    "IV",
    "AS",
    "OF",
]


def _words(expr: pl.Expr, mapping: dict[str, str]) -> pl.Expr:
    for long, short in mapping.items():
        expr = expr.str.replace_all(rf"\b{long}\b", short)
    return expr


def _clean(raw: pl.Expr) -> pl.Expr:
    e = raw.str.to_uppercase().str.replace_all(r"[.']", "")  # N.W. → NW, O'BRIEN → OBRIEN
    e = e.str.replace_all(r"#", " # ").str.replace_all(r"[^A-Z0-9# -]", " ")
    return e.str.replace_all(r"\s+", " ").str.strip_chars()


def street_parts(raw: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(street key, unit) from a street line that may carry a unit (`APT 4`, `#4`, `UNIT B`)."""
    e = _clean(raw)
    unit_re = rf"(?:^| ){UNIT_MARKERS}(?: #)? ?([A-Z0-9-]+)$"
    unit = e.str.extract(unit_re, 1)
    street = e.str.replace(unit_re, "").str.strip_chars()
    street = _words(street, DIRECTIONALS).str.replace_all(r"\b([NS]) ([EW])\b", "${1}${2}")
    street = _words(_words(street, SUFFIXES), ORDINALS).str.replace_all(
        r"\b(\d+)(?:ST|ND|RD|TH)\b", "${1}"
    )  # 5TH → 5
    street = street.str.replace_all(r"\s+", " ").str.strip_chars()
    return pl.when(street != "").then(street), unit_key(unit)


def unit_key(raw: pl.Expr) -> pl.Expr:
    e = _clean(raw).str.replace_all(rf"^{UNIT_MARKERS} ?#? ?", "").str.replace_all(r"[ -]", "")
    e = e.str.replace(r"^0+(\w)", "${1}")
    return pl.when(e != "").then(e)


def owner_key(raw: pl.Expr) -> pl.Expr:
    """Order-free name key: `SMITH JOHN JR` = `John Smith`; estates/trusts noise dropped.
    Fewer than two words left means no key (a surname alone matches too much)."""
    e = _clean(raw).str.replace_all("#", " ").str.replace_all("-", " ")
    e = e.str.replace_all(r"\bL ?L ?C\b", "LLC").str.replace_all(r"\bI ?N ?C\b", "INC")
    for noise in OWNER_NOISE:
        e = e.str.replace_all(rf"\b{noise}\b", " ")
    words = e.str.replace_all(r"\s+", " ").str.strip_chars().str.split(" ")
    words = words.list.eval(pl.element().filter(pl.element() != "")).list.sort()
    return pl.when(words.list.len() >= 2).then(words.list.join(" "))


# --- scalar helpers ----------------------------------------------------------------------


def _one(expr: pl.Expr):
    return pl.select(expr).item()


def normalize_street(street: str | None, unit: str | None = None) -> tuple[str | None, str | None]:
    s, u = street_parts(pl.lit(street, dtype=pl.String))
    got_street, got_unit = _one(s), _one(u)
    if unit:
        got_unit = _one(unit_key(pl.lit(unit, dtype=pl.String)))
    return got_street, got_unit


def normalize_owner(name: str | None) -> str | None:
    return _one(owner_key(pl.lit(name, dtype=pl.String)))
