"""Which leads alert, and which of them alert at once (docs/domain.md#lead-delivery).

A lead *alerts* while it is still `new` and the day Folio could first know it is within
the alert window (default 7 days before today). That day is the later of its `lead_date`
and the last day of the partition its source file belongs to: a probate record filed on
the 3rd arrives in the monthly file after the month ends, and alerts for a week from then;
the same file back-filled a month later alerts nobody. Whatever created the row (a
backfill, a re-run, a first start), an old lead never alerts.

A lead is *hot* when it is a probate or foreclosure lead, has `high` priority, or scores
at least `hot_lead_min_score`: hot leads are the ones an urgent-lead SMS goes out for. Email
follows the subscriber's own choice (accounts/criteria.py: `delivery`, `hot_at_once`).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Engine, and_, select

from pipelines.county.partition_keys import CADENCES, last_day
from pipelines.db.schema import leads, listing_seq
from pipelines.settings import get_settings

HOT_PRIORITY = "high"
HOT_LEAD_TYPES = ("probate", "foreclosure")


def window_start(today: date) -> date:
    return today - timedelta(days=get_settings().alert_window_days)


LONGEST_PARTITION_DAYS = 31  # a monthly file: its records can be this much older than its end


def alertable(today: date):
    """SQL prefilter for leads that may still alert on `today` (`alerts_on` decides)."""
    earliest = window_start(today) - timedelta(days=LONGEST_PARTITION_DAYS)
    return and_(leads.c.status == "new", leads.c.lead_date >= earliest)


def known_on(lead_date: date, source_file: str) -> date:
    """The first day Folio could know the lead: its date, or its partition's end if later."""
    cadence, _, rest = source_file.partition("/")
    key = rest.partition("/")[0]
    if cadence not in CADENCES or not key:
        return lead_date
    try:
        return max(lead_date, last_day(cadence, key))
    except ValueError:  # not a partition folder: the lead's own date decides
        return lead_date


def alerts_on(today: date, lead_date: date, source_file: str) -> bool:
    return known_on(lead_date, source_file) >= window_start(today)


def is_hot(lead_type: str, priority: str, score: float) -> bool:
    return (
        lead_type in HOT_LEAD_TYPES
        or priority == HOT_PRIORITY
        or score >= get_settings().hot_lead_min_score
    )


def new_leads_after(engine: Engine, after_id: int, limit: int, today: date) -> list[int]:
    """Ids of alertable leads after `after_id`, in id order (the lead sensor's batches)."""
    q = (
        select(leads.c.id, leads.c.lead_date, leads.c.source_file)
        .where(leads.c.id > after_id, alertable(today))
        .order_by(leads.c.id)
    )
    with engine.connect() as conn:
        ids = [r.id for r in conn.execute(q) if alerts_on(today, r.lead_date, r.source_file)]
    return ids[:limit]


def last_scored_at(engine: Engine) -> str | None:
    """Which nightly scoring ran last (its number, as text), or None before the first: a
    change re-offers every alertable lead, since a higher score can now meet a
    subscriber's minimum. Ingestion runs score too, but only their new leads' matching
    needs doing, and their own `leads:` batch does it."""
    with engine.connect() as conn:
        value = conn.execute(
            select(listing_seq.c.value).where(listing_seq.c.name == "scoring")
        ).scalar()
    return str(value) if value else None
