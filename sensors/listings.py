"""Sensors that turn new data into alert runs: new listings, new (or re-scored) county leads.

Both are cursor-based and give each batch a run_key derived from the batch itself, so a
replayed tick or a daemon restart re-offers the same key and Dagster drops it: a batch
is never scored or matched twice.
"""

import json

from dagster import (
    DagsterRunStatus,
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from pipelines import clock
from pipelines.alerts.batches import BATCH_TAG, batch_tag, parse_batch
from pipelines.alerts.match import newest_criteria_written
from pipelines.leads.hot import last_scored_at, new_leads_after
from pipelines.listings.scoring import pending_batches, stale_listings
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
        again = _batches_that_never_started(context, conn)
    if not batches and not again:
        return SkipReason(f"no unscored listing after change_seq {after}")
    requests = [
        RunRequest(
            run_key=f"listings:{lo}-{hi}",
            tags=batch_tag("listings", lo, hi),
        )
        for lo, hi, n in batches
    ] + again
    return SensorResult(
        run_requests=requests, cursor=str(batches[-1][1]) if batches else context.cursor
    )


RECENT_FAILED_RUNS = 50


def _batches_that_never_started(context: SensorEvaluationContext, conn) -> list[RunRequest]:
    """A batch whose run failed before it started (the daemon killed mid-launch: run monitoring
    fails it) is behind the cursor with nothing scored: offered once more, keyed by that run,
    so each such failure brings one new run and no more. A run that started and failed is a
    defect for the dead-letter queue, not retried here."""
    records = context.instance.get_run_records(
        RunsFilter(
            job_name="listing_alerts",
            statuses=[DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED],
        ),
        limit=RECENT_FAILED_RUNS,
    )
    out = []
    for record in records:
        batch = parse_batch(record.dagster_run.tags)
        if record.start_time is not None or not batch or batch[0] != "listings":
            continue
        _, lo, hi = batch
        left = stale_listings(conn, lo, hi)
        if left:
            out.append(
                RunRequest(
                    run_key=f"listings:{lo}-{hi}:after:{record.dagster_run.run_id}",
                    tags=batch_tag("listings", lo, hi),
                )
            )
    return out


def _lead_cursor(raw: str | None) -> dict:
    """{"id": last lead id handed on, "scored": the last scoring time seen}; a bare number (the
    old hot-lead sensor's cursor) is an id."""
    if not raw:
        return {"id": 0, "scored": None}
    if raw.isdigit():
        return {"id": int(raw), "scored": None}
    return json.loads(raw)


@sensor(
    name="lead_alerts_sensor",
    job_name="lead_alerts",
    minimum_interval_seconds=30,
    default_status=DefaultSensorStatus.RUNNING,
    description="New leads of every type (dated within the alert window) are matched to "
    "subscribers' criteria; after the nightly scoring, every alertable lead is matched again "
    "(a higher score can meet a minimum); a new subscriber or changed criteria are matched to "
    "the current leads. Cursor = last lead id, scoring time and criteria number handed on; "
    "run_key = leads:<from>-<to>, rescored:<scoring time> or criteria:<from>-<to>.",
)
def lead_alerts_sensor(context: SensorEvaluationContext, database: FolioDatabase):
    cursor = _lead_cursor(context.cursor)
    engine = database.engine()
    today = clock.today()
    ids = new_leads_after(engine, cursor["id"], get_settings().listing_batch_size, today)
    requests = []
    if ids:
        lo, hi = cursor["id"], ids[-1]
        requests.append(RunRequest(run_key=f"leads:{lo}-{hi}", tags=batch_tag("leads", lo, hi)))
        cursor["id"] = hi
    written = newest_criteria_written(engine)
    if cursor.get("criteria") is None:  # first sight: the leads batches match them anyway
        cursor["criteria"] = written
    elif written > cursor["criteria"]:
        lo, hi = cursor["criteria"], written
        requests.append(
            RunRequest(run_key=f"criteria:{lo}-{hi}", tags=batch_tag("criteria", lo, hi))
        )
        cursor["criteria"] = hi
    scored = last_scored_at(engine)
    if scored is not None and scored != cursor["scored"]:
        if cursor["scored"] is not None:  # the first sight of a scoring is not a change
            requests.append(
                RunRequest(run_key=f"rescored:{scored}", tags={BATCH_TAG: "rescored:0-0"})
            )
        cursor["scored"] = scored
    if not requests:
        # The cursor may still move (a first scoring seen): a SkipReason alone would drop it.
        return SensorResult(
            skip_reason=f"no new alertable lead after id {cursor['id']}, no new scoring and no "
            "new criteria",
            cursor=json.dumps(cursor),
        )
    return SensorResult(run_requests=requests, cursor=json.dumps(cursor))
