"""The compliance screen before every SMS and call (docs/domain.md#compliance).

Three rules, checked when a message is queued and again just before it is sent:
- the opt-out list (a STOP to our number, or an operator): never sent;
- quiet hours: only 08:00–21:00 in the recipient's time zone; outside them the message
  waits (`not_before`) for the next allowed minute, it is not dropped;
- a per-number daily cap (3 by default, the recipient's day): over it, the message waits
  for the next day's first allowed minute.
Every refusal, block and deferral is a `compliance_blocks` row naming its rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, delete, func, select

from pipelines import clock
from pipelines.db.schema import compliance_blocks, notifications, opt_outs
from pipelines.db.upsert import insert_ignore_rows
from pipelines.notify.phones import time_zone
from pipelines.settings import get_settings

PAID_CHANNELS = ("sms", "voice")
STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"}
START_WORDS = {"START", "YES", "UNSTOP"}


@dataclass(frozen=True)
class Verdict:
    action: str  # send | defer | block
    rule: str | None = None  # opt_out | quiet_hours | daily_cap
    detail: str = ""
    not_before: datetime | None = None


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


def _local_day_bounds(now: datetime, zone: str) -> tuple[datetime, datetime]:
    tz = ZoneInfo(zone)
    day = now.astimezone(tz).date()
    lo = datetime.combine(day, time(0), tzinfo=tz)
    hi = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return lo.astimezone(timezone.utc), hi.astimezone(timezone.utc)


def is_opted_out(conn: Connection, phone: str) -> bool:
    return (
        conn.execute(select(opt_outs.c.phone).where(opt_outs.c.phone == phone)).first() is not None
    )


def sent_today(
    conn: Connection,
    phone: str,
    now: datetime,
    zone: str,
    but: int | None = None,
    queued_too: bool = False,
) -> int:
    """SMS and calls to `phone` that went out (or may have) in the recipient's day; with
    `queued_too`, also those queued today that are still waiting to go."""
    lo, hi = _local_day_bounds(now, zone)
    n = notifications.c
    went = n.state.in_(("sending", "sent", "unknown")) & (n.sent_at >= lo) & (n.sent_at < hi)
    if queued_too:
        went = went | ((n.state == "queued") & (n.created_at >= lo) & (n.created_at < hi))
    q = select(func.count()).where(n.to_address == phone, n.channel.in_(PAID_CHANNELS), went)
    if but is not None:
        q = q.where(n.id != but)
    return conn.execute(q).scalar_one()


def screen(
    conn: Connection,
    phone: str,
    now: datetime,
    zip_code: str | None = None,
    notification_id: int | None = None,
    queued_too: bool = False,
) -> Verdict:
    """What may happen to a message to `phone` now. When queueing (`queued_too`), messages
    already queued for that number today count toward the cap as well."""
    settings = get_settings()
    if is_opted_out(conn, phone):
        return Verdict("block", "opt_out", "the recipient opted out (STOP)")
    zone = time_zone(phone, zip_code, settings.timezone)
    sent = sent_today(conn, phone, now, zone, but=notification_id, queued_too=queued_too)
    if sent >= settings.sms_daily_cap_per_number:
        start, _ = _settings_window()
        tomorrow = now.astimezone(ZoneInfo(zone)).date() + timedelta(days=1)
        when = datetime.combine(tomorrow, start, tzinfo=ZoneInfo(zone)).astimezone(timezone.utc)
        return Verdict(
            "defer",
            "daily_cap",
            f"{sent} messages to this number today (cap {settings.sms_daily_cap_per_number})",
            when,
        )
    if (when := next_allowed(now, zone)) is not None:
        local = when.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")
        return Verdict("defer", "quiet_hours", f"quiet hours in {zone}: waits until {local}", when)
    return Verdict("send")


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


def inbound_keyword(body: str) -> str | None:
    """'stop' / 'start' for the carrier keywords (first word, any case), else None."""
    word = (body or "").strip().split(maxsplit=1)
    first = word[0].upper().strip(".!") if word else ""
    return "stop" if first in STOP_WORDS else "start" if first in START_WORDS else None
