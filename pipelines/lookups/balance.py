"""Admin alerts when the records API's unit balance runs low: below the warning level
(1,000) and below the critical level (500), each at most once per county day."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, desc, select

from pipelines.db.schema import records_api_alerts, records_api_log
from pipelines.db.upsert import insert_ignore_rows
from pipelines.lookups.units import county_day
from pipelines.settings import Settings
from pipelines.upkeep.admin_alerts import send_admin_alert


def crossed_levels(balance: int, s: Settings) -> list[str]:
    levels = []
    if balance < s.units_warning_balance:
        levels.append("warning")
    if balance < s.units_critical_balance:
        levels.append("critical")
    return levels


def alert_on_balance(engine: Engine, balance: int | None, now: datetime, s: Settings) -> list[str]:
    """Send the alerts this balance calls for that have not gone out today; returns them."""
    if balance is None:
        return []
    day, sent = county_day(now, s.timezone), []
    for level in crossed_levels(balance, s):
        with engine.begin() as conn:
            row = {"day": day, "level": level, "balance": balance, "created_at": now}
            first = insert_ignore_rows(conn, records_api_alerts, [row], ["day", "level"]) == 1
        if first:
            limit = s.units_critical_balance if level == "critical" else s.units_warning_balance
            send_admin_alert(
                f"records API units {level}: balance {balance:,} (below {limit:,})",
                f"The county records API reports {balance:,} units left on {day}.\n"
                f"Lookups stop when the balance or today's cap ({s.lookup_daily_unit_cap:,} units) "
                f"runs out; buy units from the Clerk before then.",
                key=f"records-api-{level}-{day}",
            )
            sent.append(level)
    return sent


def last_balance(engine: Engine) -> tuple[int, datetime] | None:
    """The balance the county reported on the latest call that reported one."""
    log = records_api_log.c
    with engine.connect() as conn:
        row = conn.execute(
            select(log.units_balance, log.created_at)
            .where(log.units_balance.is_not(None))
            .order_by(desc(log.id))
            .limit(1)
        ).first()
    return (row.units_balance, row.created_at) if row else None
