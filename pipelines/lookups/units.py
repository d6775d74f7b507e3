"""The daily unit budget of the records API, enforced exactly.

Units are reserved before a call and settled to what the county says it consumed after; a
call that finally fails releases its reservation. Reserving is one conditional UPDATE
(`reserved + consumed + n <= cap`): PostgreSQL's row lock and SQLite's single writer both
make it atomic, so no interleaving of concurrent requests can overspend the cap.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select, update

from pipelines.db.schema import lookup_unit_days
from pipelines.db.upsert import insert_ignore_rows

d = lookup_unit_days.c


def county_day(now: datetime, tz: str) -> date:
    return now.astimezone(ZoneInfo(tz)).date()


def resets_at(day: date, tz: str) -> datetime:
    """When the budget of `day` is replaced by the next day's: county midnight."""
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), ZoneInfo(tz))


def reserve(conn: Connection, day: date, units: int, cap: int) -> bool:
    """Hold `units` of `day`'s budget; False (and nothing held) when that would pass the cap."""
    insert_ignore_rows(
        conn, lookup_unit_days, [{"day": day, "reserved": 0, "consumed": 0}], ["day"]
    )
    stmt = (
        update(lookup_unit_days)
        .where(d.day == day, d.reserved + d.consumed + units <= cap)
        .values(reserved=d.reserved + units)
    )
    return conn.execute(stmt).rowcount == 1


def charge(consumed: int | None, said: str, reserved: int) -> tuple[int, str | None]:
    """What a call the county answered costs: its `UnitsConsumed` when that is a whole number
    from 0 to the units reserved, else the reservation (a negative number would lift the cap,
    a huge one overflow it, and more than reserved was never allowed), with a warning saying
    what the county sent."""
    if consumed is not None and 0 <= consumed <= reserved:
        return consumed, None
    return reserved, (
        f"UnitsConsumed {said} is not a whole number from 0 to {reserved} (the units "
        f"reserved): charged {reserved}"
    )


def settle(conn: Connection, day: date, reserved: int, consumed: int) -> None:
    """The call is done: its reservation becomes what it really consumed."""
    conn.execute(
        update(lookup_unit_days)
        .where(d.day == day)
        .values(reserved=d.reserved - reserved, consumed=d.consumed + consumed)
    )


def release(conn: Connection, day: date, reserved: int) -> None:
    """The call finally failed (or never happened): its units go back to the budget."""
    conn.execute(
        update(lookup_unit_days).where(d.day == day).values(reserved=d.reserved - reserved)
    )


def usage(conn: Connection, day: date) -> tuple[int, int]:
    """(reserved, consumed) of the day's budget."""
    row = conn.execute(select(d.reserved, d.consumed).where(d.day == day)).first()
    return (row.reserved, row.consumed) if row else (0, 0)
