"""The compliance screen before every SMS and call (docs/domain.md#compliance).

Three rules, checked when a message is queued and again just before it is sent:
- the opt-out list (a STOP to our number, or an operator): never sent;
- quiet hours: only 08:00–21:00 in the recipient's time zone; outside them the message
  waits (`not_before`) for the next allowed minute, it is not dropped;
- a per-number daily cap (3 by default, the recipient's day): each message holds a slot on
  the recipient's day it is planned to go (`notifications.cap_day`), taken from that day's
  counter row (`outreach_daily_counts`) by one conditional UPDATE in the transaction that
  queues it. Concurrent requests queue on that row (PostgreSQL locks it and re-checks
  `used < cap` for the second writer; SQLite has one writer), so the cap holds exactly.
  A message that goes on another day than planned takes that day's slot then and gives the
  old one back; one that never reaches the provider gives its slot back.
Every refusal, block and deferral is a `compliance_blocks` row naming its rule.

Inbound replies are read the way carriers and Twilio read them: NFKC-folded (a full-width
`ＳＴＯＰ` is STOP), invisible format characters (zero-width spaces and joiners, word
joiners, byte-order marks) dropped, any case.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, delete, select, update

from pipelines import clock
from pipelines.db.schema import compliance_blocks, opt_outs
from pipelines.db.schema.outreach import outreach_daily_counts
from pipelines.db.upsert import insert_ignore_rows
from pipelines.notify.phones import time_zone
from pipelines.settings import get_settings

# Twilio's standard opt-out and opt-in keywords (and the two it added later).
STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
START_WORDS = {"START", "YES", "UNSTOP", "OPTIN"}
# How far ahead a message looks for a day with a free slot before it stops looking.
MAX_DAYS_AHEAD = 31
_COUNTS = outreach_daily_counts.c


@dataclass(frozen=True)
class Verdict:
    action: str  # send | defer | block
    rule: str | None = None  # opt_out | quiet_hours | daily_cap
    detail: str = ""
    not_before: datetime | None = None
    day: date | None = None  # the recipient's day whose slot the message holds (admit)


def _settings_window() -> tuple[time, time]:
    s = get_settings()
    return time.fromisoformat(s.outreach_allowed_from), time.fromisoformat(s.outreach_allowed_until)


def next_allowed(now: datetime, zone: str) -> datetime | None:
    """None when `now` is inside the allowed hours, else the next allowed minute (UTC)."""
    start, end = _settings_window()
    tz = ZoneInfo(zone)
    local = now.astimezone(tz)
    if start <= local.time() < end:
        return None
    day = local.date() if local.time() < start else local.date() + timedelta(days=1)
    return datetime.combine(day, start, tzinfo=tz).astimezone(timezone.utc)


def _first_allowed(day: date, zone: str) -> datetime:
    start, _ = _settings_window()
    return datetime.combine(day, start, tzinfo=ZoneInfo(zone)).astimezone(timezone.utc)


def _day_of(at: datetime, zone: str) -> date:
    return at.astimezone(ZoneInfo(zone)).date()


def is_opted_out(conn: Connection, phone: str) -> bool:
    return (
        conn.execute(select(opt_outs.c.phone).where(opt_outs.c.phone == phone)).first() is not None
    )


def used_on(conn: Connection, phone: str, day: date) -> int:
    """Slots taken on `phone`'s day `day` (SMS and calls queued, sent or going that day)."""
    used = conn.execute(
        select(_COUNTS.used).where(_COUNTS.phone == phone, _COUNTS.day == day)
    ).scalar()
    return used or 0


def claim_slot(conn: Connection, phone: str, day: date, cap: int) -> bool:
    """Take one of `phone`'s `cap` slots on `day`, inside the caller's transaction; False
    when they are all taken. The conditional UPDATE is the concurrency guard (module doc)."""
    insert_ignore_rows(
        conn, outreach_daily_counts, [{"phone": phone, "day": day, "used": 0}], ["phone", "day"]
    )
    taken = conn.execute(
        update(outreach_daily_counts)
        .where(_COUNTS.phone == phone, _COUNTS.day == day, _COUNTS.used < cap)
        .values(used=_COUNTS.used + 1)
    )
    return taken.rowcount == 1


def release_slot(conn: Connection, phone: str, day: date | None) -> None:
    """Give a slot back (a message that will not go that day after all)."""
    if day is None:
        return
    conn.execute(
        update(outreach_daily_counts)
        .where(_COUNTS.phone == phone, _COUNTS.day == day, _COUNTS.used > 0)
        .values(used=_COUNTS.used - 1)
    )


def _cap_detail(used: int, cap: int, day: date, today: date) -> str:
    when = "today" if day == today else f"on {day.isoformat()}"
    return f"{used} messages to this number {when} (cap {cap})"


def _quiet_detail(when: datetime, zone: str) -> str:
    local = when.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")
    return f"quiet hours in {zone}: waits until {local}"


def admit(
    conn: Connection,
    phone: str,
    now: datetime,
    zip_code: str | None = None,
    holding: date | None = None,
    wait: bool = True,
) -> Verdict:
    """The compliance screen: what happens to a message to `phone` now, holding its
    daily-cap slot, inside the caller's transaction (roll it back, or `release_slot`, if the
    message is not kept).

    `holding` is the day whose slot the message holds already (None: none yet). The message
    goes at the first allowed minute from `now` whose day has a slot for it: now (send), or
    later (defer with `not_before`; `day` is the slot it holds, and a slot it held on another
    day is given back). Without `wait` (a request someone is waiting on) a full day is not
    skipped: the verdict is a daily_cap deferral holding no new slot, for the caller to
    refuse."""
    settings = get_settings()
    if is_opted_out(conn, phone):
        return Verdict("block", "opt_out", "the recipient opted out (STOP)")
    zone = time_zone(phone, zip_code, settings.timezone)
    cap = settings.sms_daily_cap_per_number
    today = _day_of(now, zone)
    at = next_allowed(now, zone) or now
    full_detail = None  # the first full day met, said to the person
    for _ in range(MAX_DAYS_AHEAD):
        day = _day_of(at, zone)
        if day == holding or claim_slot(conn, phone, day, cap):
            break
        full_detail = full_detail or _cap_detail(used_on(conn, phone, day), cap, day, today)
        at = _first_allowed(day + timedelta(days=1), zone)
        if not wait:
            return Verdict("defer", "daily_cap", full_detail, at)
    else:  # every day of the window is full: it waits past it, holding nothing, and looks again
        release_slot(conn, phone, holding)
        return Verdict("defer", "daily_cap", full_detail or "", at)
    if holding is not None and day != holding:
        release_slot(conn, phone, holding)
    if at == now:
        return Verdict("send", day=day)
    if full_detail is not None:
        return Verdict("defer", "daily_cap", full_detail, at, day)
    return Verdict("defer", "quiet_hours", _quiet_detail(at, zone), at, day)


def record_block(
    conn: Connection,
    tenant_id: int,
    channel: str,
    phone: str,
    rule: str,
    action: str,
    detail: str,
    notification_id: int | None = None,
) -> None:
    conn.execute(
        compliance_blocks.insert().values(
            tenant_id=tenant_id,
            notification_id=notification_id,
            channel=channel,
            to_phone=phone,
            rule=rule,
            action=action,
            detail=detail,
            created_at=clock.now(),
        )
    )


def opt_out(conn: Connection, phone: str, source: str) -> bool:
    row = {"phone": phone, "source": source, "created_at": clock.now()}
    return insert_ignore_rows(conn, opt_outs, [row], ["phone"]) == 1


def opt_in(conn: Connection, phone: str) -> bool:
    return conn.execute(delete(opt_outs).where(opt_outs.c.phone == phone)).rowcount == 1


def _plain(body: str) -> str:
    """An inbound body as a carrier reads it: NFKC-folded, invisible format characters
    (category Cf: zero-width space/joiners U+200B–U+200D, word joiner U+2060, BOM U+FEFF,
    direction marks…) removed."""
    folded = unicodedata.normalize("NFKC", body or "")
    return "".join(c for c in folded if unicodedata.category(c) != "Cf")


_WORDS = re.compile(r"[^\W\d_]+")


def inbound_keyword(body: str) -> str | None:
    """'stop' / 'start' for the carrier keywords (the first word, any case, punctuation
    around it ignored; "opt out" / "opt-in" as one word), else None."""
    words = _WORDS.findall(_plain(body).strip().upper())
    if not words:
        return None
    first = words[0]
    if first == "OPT" and len(words) > 1 and words[1] in ("OUT", "IN"):
        first += words[1]
    return "stop" if first in STOP_WORDS else "start" if first in START_WORDS else None
