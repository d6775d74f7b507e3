"""The county's business-day calendar, in one place (docs/domain.md#partitions).

A business day is a weekday that is not a court holiday. A day's daily partition exists once
that day has ended in the county's zone: Friday's at Saturday 00:00, so Saturday and Sunday
already see Friday, and the Monday 06:00 tick still ingests it. Holidays have no partition,
so they never show a "file missing" failure.

Court holidays (FOLIO_COURT_HOLIDAYS) are either a country and subdivision of the `holidays`
package (default `US-FL`: the observed public holidays of Florida, without the commemorations
on which the courts stay open), `none`, or a comma-separated list of ISO dates.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

from pipelines import clock
from pipelines.settings import get_settings

# Days the `holidays` package lists for Florida that are commemorations, not closures.
OPEN_COMMEMORATIONS = frozenset({"Susan B. Anthony Day"})
# Holidays are known this many years past the current one (a long-running daemon's horizon).
YEARS_AHEAD = 2


@lru_cache(maxsize=64)
def _holidays(spec: str, first_year: int, last_year: int) -> frozenset[date]:
    spec = spec.strip()
    if not spec or spec.lower() == "none":
        return frozenset()
    if spec[:1].isdigit():
        try:
            return frozenset(date.fromisoformat(p.strip()) for p in spec.split(",") if p.strip())
        except ValueError as exc:
            raise ValueError(
                f"FOLIO_COURT_HOLIDAYS={spec!r}: a list of dates must be YYYY-MM-DD,… ({exc})"
            ) from None
    import holidays

    country, _, subdiv = spec.partition("-")
    try:
        table = holidays.country_holidays(
            country.upper(),
            subdiv=subdiv.upper() or None,
            years=range(first_year, last_year + 1),
            observed=True,
        )
    except NotImplementedError as exc:
        raise ValueError(
            f"FOLIO_COURT_HOLIDAYS={spec!r}: not a country/subdivision of the holidays "
            f"package (e.g. US-FL), `none`, or a list of dates ({exc})"
        ) from None
    return frozenset(
        day
        for day, names in table.items()
        if not all(n.strip() in OPEN_COMMEMORATIONS for n in names.split(";"))
    )


def holidays_between(first_year: int, last_year: int) -> frozenset[date]:
    """The court holidays of these years (weekend ones included; they change nothing)."""
    return frozenset(
        d
        for d in _holidays(get_settings().court_holidays, first_year, last_year)
        if first_year <= d.year <= last_year
    )


def _is_holiday(day: date) -> bool:
    return day in holidays_between(day.year, day.year)


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and not _is_holiday(day)


def previous_business_day(day: date) -> date:
    """The business day before `day` (Monday's is the Friday before, unless that is a holiday)."""
    d = day - timedelta(days=1)
    while not is_business_day(d):
        d -= timedelta(days=1)
    return d


def last_complete_business_day(at: datetime | None = None) -> date:
    """The latest business day that has ended at `at` (default now) in the county's zone."""
    local_day = clock.local(at).date() if at is not None else clock.today()
    return previous_business_day(local_day)


def business_days_back(end: date, days: int) -> date:
    """The business day `days - 1` business days before `end` (so [start, end] holds `days`)."""
    start = end
    for _ in range(days - 1):
        start = previous_business_day(start)
    return start


def business_days(start: date, end: date) -> list[date]:
    """Every business day in [start, end]."""
    out, d = [], start
    while d <= end:
        if is_business_day(d):
            out.append(d)
        d += timedelta(days=1)
    return out


def partition_holidays(start: date) -> list[date]:
    """The weekday holidays a daily partitions definition starting at `start` leaves out,
    through YEARS_AHEAD years past the current one."""
    last_year = max(start.year, clock.today().year) + YEARS_AHEAD
    return sorted(
        d for d in holidays_between(start.year, last_year) if d >= start and d.weekday() < 5
    )
