"""The one clock: every "now" in Folio is read here, and every time shown or typed by a person
is in the county's zone unless it names its own offset (docs/domain.md#time).

Instants are zone-aware datetimes, kept and compared in UTC. Tests freeze or shift this clock
with `time-machine` (and child processes with libfaketime); nothing else reads the system clock.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from pipelines.settings import get_settings

UTC = timezone.utc


def now() -> datetime:
    """The current instant, in UTC."""
    return datetime.now(UTC)


def zone() -> ZoneInfo:
    """The county's time zone (FOLIO_TIMEZONE): its days are the partitions' days."""
    return ZoneInfo(get_settings().timezone)


def local_now() -> datetime:
    """The current instant on the county's wall clock."""
    return now().astimezone(zone())


def today() -> date:
    """Today in the county (a UTC machine is already on tomorrow for hours of its evening)."""
    return local_now().date()


def as_utc(value: datetime) -> datetime:
    """An instant in UTC; a naive value is taken as UTC (how rows written before timestamps
    carried their offset read back)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def local(value: datetime) -> datetime:
    """An instant on the county's wall clock."""
    return as_utc(value).astimezone(zone())


def parse_local(text: str) -> datetime:
    """A person's ISO date-time: `2026-12-04T12:00` is noon in the county's zone;
    `…+00:00` or `…Z` names its own offset. A bare date is its midnight in the county.
    Raises ValueError with the accepted forms."""
    raw = text.strip()
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(
            f"{text!r} is not a date-time: use YYYY-MM-DDTHH:MM (the county's time, "
            f"{get_settings().timezone}) or add an offset such as +00:00"
        ) from None
    if value.tzinfo is None:
        # fold=0: in the hour the autumn change repeats, the first (daylight) one is meant
        value = value.replace(tzinfo=zone())
    return value.astimezone(UTC)


def show(value: datetime | None, seconds: bool = False) -> str:
    """An instant as a person reads it: the county's wall time and the zone's name
    (`2026-12-04 12:00 EST`); empty for None."""
    if value is None:
        return ""
    t = local(value)
    return t.strftime("%Y-%m-%d %H:%M:%S %Z" if seconds else "%Y-%m-%d %H:%M %Z")


def show_date(value: datetime | date | None) -> str:
    """The county's calendar date of an instant (a date is shown as it is)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local(value).date()
    return value.isoformat()
