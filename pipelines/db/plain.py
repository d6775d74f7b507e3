"""Database values as JSON can carry them."""

from __future__ import annotations


def plain(value):
    """Dates and datetimes as ISO text, Decimal as float, the rest as they are."""
    if value is None or isinstance(value, int | float | str | bool):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return float(value)  # Decimal
