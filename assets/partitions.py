"""Partitions per cadence, in the county's time zone. Daily = business days (pipelines/calendar)."""

from __future__ import annotations

from datetime import datetime, time

from dagster import (
    MonthlyPartitionsDefinition,
    TimeWindowPartitionsDefinition,
    WeeklyPartitionsDefinition,
)

from pipelines.calendar import partition_holidays
from pipelines.settings import get_settings

_s = get_settings()

# A window per business day, from its midnight to the next: Friday's partition exists from
# Saturday 00:00 (the weekend already sees it; Monday's 06:00 tick still takes it, as the last
# complete one). Weekends and court holidays are excluded, so they expect no file.
daily_partitions = TimeWindowPartitionsDefinition(
    cron_schedule="0 0 * * *",
    start=_s.daily_start_date.isoformat(),
    fmt="%Y-%m-%d",
    timezone=_s.timezone,
    exclusions=[
        "0 0 * * 6",
        "0 0 * * 0",
        # Dagster reads a datetime exclusion as wall time in the partitions' zone
        *(datetime.combine(day, time()) for day in partition_holidays(_s.daily_start_date)),
    ],
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
