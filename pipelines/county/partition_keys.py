"""Partition keys, the one place that knows their formats (docs/domain.md#partitions).

- daily: the business day, `YYYY-MM-DD`;
- weekly: the week's Monday, `YYYY-MM-DD`;
- monthly: the month reported, `YYYY-MM`.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

CADENCES = ("daily", "weekly", "monthly")
KEY_FORMATS = {"daily": "%Y-%m-%d", "weekly": "%Y-%m-%d", "monthly": "%Y-%m"}
MONTH_KEY_LENGTH = len("YYYY-MM")


def key_for(cadence: str, day: date) -> str:
    """The partition a date falls in: itself (daily), its week's Monday, its month."""
    if cadence == "weekly":
        day = day - timedelta(days=day.weekday())
    return format_key(cadence, day)


def format_key(cadence: str, start: date | datetime) -> str:
    """The key of the partition that starts at `start`."""
    return start.strftime(KEY_FORMATS[cadence])


def first_day(key: str) -> date:
    """The first day a key covers, whatever its cadence."""
    return date.fromisoformat(key + "-01" if len(key) == MONTH_KEY_LENGTH else key)


def within(key: str, start: date, end: date) -> bool:
    """Whether a key lies in [start, end], compared at the key's own precision (a month key is
    within a range that touches that month)."""
    width = len(key)
    return start.isoformat()[:width] <= key <= end.isoformat()[:width]


def first_day_sql(column: str, dialect: str) -> str:
    """SQL for `first_day` of a partition_key column (a monthly key gets its '-01')."""
    expr = (
        f"CASE WHEN LENGTH({column}) = {MONTH_KEY_LENGTH} THEN {column} || '-01' ELSE {column} END"
    )
    return f"CAST({expr} AS DATE)" if dialect == "postgresql" else expr


def last_day(cadence: str, key: str) -> date:
    """The last day a partition covers: the day itself, its week's Sunday, its month's end."""
    start = first_day(key)
    if cadence == "weekly":
        return start + timedelta(days=6)
    if cadence == "monthly":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return start
