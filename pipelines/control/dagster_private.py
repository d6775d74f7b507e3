"""The few private Dagster names Folio needs, in one place.

Checked against dagster 1.13.27. Everything else in Folio uses Dagster's public API. Why
each is here:
- run tag names: Dagster sets and reads these tags itself (partition, partition range, run
  key, sensor name) but exports no public constants for them; the strings are part of its
  stored data and stable across releases.
- InstigatorStatus / InstigatorType: `folio health` reads the stored state of schedules
  (running or stopped) with `DagsterInstance.all_instigator_state`, whose filter takes
  them; there is no public type for it.
- reverse_cron_string_iterator: the last tick a schedule was due at, computed exactly as
  the scheduler computes it (time zone and DST included), so "missed tick" means what the
  daemon means.
- the instance's cursor table (`run_storage.get/set_cursor_values`, what Dagster's own
  daemons keep their cursors in): `folio tick` keeps each sensor's cursor there, so
  cursors live with the instance, not in a file or in memory.
If a Dagster upgrade moves one of these, this module is the only place to change.
"""

from __future__ import annotations

from dagster._core.scheduler.instigation import InstigatorStatus, InstigatorType
from dagster._utils.schedules import reverse_cron_string_iterator

PARTITION_TAG = "dagster/partition"
PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"
RUN_KEY_TAG = "dagster/run_key"
SENSOR_NAME_TAG = "dagster/sensor_name"


def load_cursors(instance, keys: set[str]) -> dict[str, str]:
    return dict(instance.run_storage.get_cursor_values(keys))


def save_cursors(instance, pairs: dict[str, str]) -> None:
    if pairs:
        instance.run_storage.set_cursor_values(pairs)


__all__ = [
    "load_cursors",
    "save_cursors",
    "PARTITION_RANGE_END_TAG",
    "PARTITION_RANGE_START_TAG",
    "PARTITION_TAG",
    "RUN_KEY_TAG",
    "SENSOR_NAME_TAG",
    "InstigatorStatus",
    "InstigatorType",
    "reverse_cron_string_iterator",
]
