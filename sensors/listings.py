"""Sensors that turn new data into alert runs: new listings, hot county leads.

Both are cursor-based and give each batch a run_key derived from the batch itself, so a
replayed tick or a daemon restart re-offers the same key and Dagster drops it: a batch
is never scored or matched twice.
"""

from datetime import datetime, timezone

from dagster import (
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from pipelines.alerts.batches import batch_tag
from pipelines.leads.hot import hot_leads_after
from pipelines.listings.scoring import pending_batches
from pipelines.settings import get_settings
from resources.database import FolioDatabase

_s = get_settings()
MAX_BATCHES_PER_TICK = 10


@sensor(
    name="new_listings_sensor",
    job_name="listing_alerts",
    minimum_interval_seconds=_s.listings_sensor_interval_seconds,
    default_status=DefaultSensorStatus.RUNNING,
    description="Batches unscored listing versions (up to FOLIO_LISTING_BATCH_SIZE each) into "
    "listing_alerts "
    "runs; cursor = last change_seq handed on; run_key = listings:<from>-<to>.",
)
def new_listings_sensor(context: SensorEvaluationContext, database: FolioDatabase):
    after = int(context.cursor or 0)
    with database.engine().connect() as conn:
        batches = pending_batches(
            conn, after, get_settings().listing_batch_size, MAX_BATCHES_PER_TICK
        )
    if not batches:
        return SkipReason(f"no unscored listing after change_seq {after}")
    requests = [
        RunRequest(
            run_key=f"listings:{lo}-{hi}",
            tags={**batch_tag("listings", lo, hi), "folio/batch_size": str(n)},
        )
        for lo, hi, n in batches
    ]
    return SensorResult(run_requests=requests, cursor=str(batches[-1][1]))


@sensor(
    name="hot_leads_sensor",
    job_name="hot_lead_alerts",
    minimum_interval_seconds=30,
    default_status=DefaultSensorStatus.RUNNING,
    description="New probate and foreclosure leads go to opted-in subscribers at once (not the "
    "digest); "
    "cursor = last lead id handed on; run_key = leads:<from>-<to>.",
)
def hot_leads_sensor(context: SensorEvaluationContext, database: FolioDatabase):
    after = int(context.cursor or 0)
    hot = hot_leads_after(
        database.engine(), after, get_settings().listing_batch_size, datetime.now(timezone.utc)
    )
    if not hot:
        return SkipReason(f"no hot lead after id {after}")
    hi = hot[-1]["id"]
    return SensorResult(
        run_requests=[
            RunRequest(run_key=f"leads:{after}-{hi}", tags=batch_tag("leads", after, hi))
        ],
        cursor=str(hi),
    )
