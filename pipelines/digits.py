"""Numbers as people type them into feeds and forms are ASCII: zips, folios and amounts.

Python's `int()`, `Decimal()` and `str.isdigit()` accept every Unicode digit (`３３１２５`,
`٣٣١٢٥`), and `\\d` in a regex matches them unless ASCII-only: such a value would be stored
as text no ASCII zip ever equals, or silently converted. Validators refuse it instead, with
the character named, so the sender can see what to fix.
"""

from __future__ import annotations

import re
import unicodedata

ASCII_DIGITS = re.compile(r"[0-9]+")


def is_ascii_digits(text: str) -> bool:
    """True for a non-empty run of 0-9 only (`str.isdigit` also says yes to `３` and `²`)."""
    return ASCII_DIGITS.fullmatch(text) is not None


def first_non_ascii(text: str) -> str | None:
    return next((ch for ch in text if not ch.isascii()), None)


def describe(ch: str) -> str:
    """`'３' (U+FF13 FULLWIDTH DIGIT THREE)`."""
    name = unicodedata.name(ch, "")
    return f"{ch!r} (U+{ord(ch):04X}{' ' + name if name else ''})"


def refuse_non_ascii(value):
    """For a pydantic `before` validator on a zip, folio or amount: text must be ASCII, so
    a Unicode digit is refused here rather than converted by `Decimal()`/`int()`."""
    if isinstance(value, str) and (ch := first_non_ascii(value)) is not None:
        raise ValueError(f"must be written with ASCII digits 0-9 (found {describe(ch)})")
    return value
