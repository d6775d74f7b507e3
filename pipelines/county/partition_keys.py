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


def county_today() -> date:
    """Today in the county's time zone: the day partitions are complete by (a machine on UTC
    is already on tomorrow for five hours of the county's evening)."""
    from zoneinfo import ZoneInfo

    from pipelines.settings import get_settings

    return datetime.now(ZoneInfo(get_settings().timezone)).date()


def last_business_day(today: date) -> date:
    """The last complete business day before `today` (Monday's is the Friday before)."""
    d = today - timedelta(days=1)
    while d.weekday() >= 5:
        d -= timedelta(days=1)
    return d


def business_days_back(end: date, days: int) -> date:
    """The business day `days - 1` business days before `end` (so [start, end] holds `days`)."""
    start = end
    for _ in range(days - 1):
        start -= timedelta(days=1)
        while start.weekday() >= 5:
            start -= timedelta(days=1)
    return start


def last_day(cadence: str, key: str) -> date:
    """The last day a partition covers: the day itself, its week's Sunday, its month's end."""
    start = first_day(key)
    if cadence == "weekly":
        return start + timedelta(days=6)
    if cadence == "monthly":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return start
