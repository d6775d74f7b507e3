"""Jobs: what runs together, with its priority, retry budget and max runtime as tags.

Retry budgets and priorities come from settings (SPEC §5); the tags make them visible
in the UI and let dagster.yaml's tag concurrency limits keep one ingestion run per
cadence.
"""

from __future__ import annotations

from dagster import AssetSelection, RetryPolicy, define_asset_job

from pipelines.partitions import daily_partitions
from pipelines.settings import PRIORITY, RetryPolicySpec, get_settings

_s = get_settings()


def retry_policy(spec: RetryPolicySpec) -> RetryPolicy:
    # max_retries counts retries, the spec counts attempts; no backoff = fixed delay.
    return RetryPolicy(max_retries=spec.max_attempts - 1, delay=spec.delay_seconds)


def job_tags(family: str, priority: str, max_runtime_seconds: int, **extra: str) -> dict[str, str]:
    return {
        "dagster/priority": str(PRIORITY[priority]),
        "dagster/max_runtime": str(max_runtime_seconds),
        "folio/family": family,
        "folio/priority": priority,
        **extra,
    }


daily_ingestion_job = define_asset_job(
    "daily_ingestion",
    selection=AssetSelection.groups("daily_ingestion") | AssetSelection.assets("properties", "leads"),
    partitions_def=daily_partitions,
    description="The business day's county files: raw → staged → properties → leads.",
    tags=job_tags("ingestion", _s.daily_priority, _s.daily_max_runtime_seconds, **{"folio/cadence": "daily"}),
    op_retry_policy=retry_policy(_s.daily_retry),
)
