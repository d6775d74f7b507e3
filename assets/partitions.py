"""Partitions per cadence. Daily = business days (Mon–Fri) in the county's time zone."""

from __future__ import annotations

from dagster import (
    MonthlyPartitionsDefinition,
    TimeWindowPartitionsDefinition,
    WeeklyPartitionsDefinition,
)

from pipelines.settings import get_settings

_s = get_settings()

# A window per business day: Friday's window runs to Monday 00:00, so the Monday
# 06:00 tick finds Friday as the last complete partition.
daily_partitions = TimeWindowPartitionsDefinition(
    cron_schedule="0 0 * * 1-5",
    start=_s.daily_start_date.isoformat(),
    fmt="%Y-%m-%d",
    timezone=_s.timezone,
)

# Weeks start on Monday (the partition key is the Monday); months are keyed YYYY-MM.
weekly_partitions = WeeklyPartitionsDefinition(
    start_date=_s.weekly_start_date.isoformat(), day_offset=1, timezone=_s.timezone
)
monthly_partitions = MonthlyPartitionsDefinition(
    start_date=_s.monthly_start_date.strftime("%Y-%m"), fmt="%Y-%m", timezone=_s.timezone
)

PARTITIONS_BY_CADENCE = {
    "daily": daily_partitions,
    "weekly": weekly_partitions,
    "monthly": monthly_partitions,
}
