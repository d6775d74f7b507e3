"""Partitions per cadence. Daily = business days (Mon–Fri) in the county's time zone."""

from __future__ import annotations

from dagster import TimeWindowPartitionsDefinition

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

PARTITIONS_BY_CADENCE = {"daily": daily_partitions}
