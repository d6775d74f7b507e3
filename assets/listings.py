"""Listing and lead alerting as assets: `listing_scores` → `alert_matches` → `notifications`.

Runs are launched by sensors with a batch tag (`folio/batch` = `listings:<from>-<to>`,
a change_seq range, `leads:<from>-<to>`, a lead id range, or `rescored:0-0`: every alertable
lead after the nightly scoring). Materialised by hand from
the UI (no tag), they take whatever is pending. Every step is idempotent: scores are per
listing version, matches and outbox rows have unique keys, so a re-run or a replayed
sensor adds nothing. `notifications` sends the emails it just queued, one try each (an alert
is worth most when new; waiting for the outbox sensor's own run added a sensor tick and a run
start, about 5 s); anything that try could not deliver for a passing reason, and every other
message, is the `deliver_email` job's, with the full retry budget.
"""

from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    MaterializeResult,
    MetadataValue,
    asset,
)

from pipelines.alerts.batches import parse_batch
from pipelines.alerts.checks import (
    alerts_below_min_score,
    matches_below_min_score,
    matches_outside_tenant,
    newest_match_id,
)
from pipelines.alerts.match import match_leads, match_listings
from pipelines.alerts.queue import queue_match_notifications
from pipelines.listings.scoring import score_listings
from pipelines.notify.delivery import deliver_email, newest_notification_id
from pipelines.settings import get_settings
from pipelines.upkeep.delivery_alerts import alert_undelivered
from resources.database import FolioDatabase
from resources.email import EmailResource
from resources.scoring import ListingScorerResource


def batch_of(context: AssetExecutionContext) -> tuple[str, int, int] | None:
    return parse_batch(context.run.tags)


@asset(
    group_name="alerts",
    kinds={"python", "sql"},
    description="Investment score 0–100 per listing version with its breakdown (cap rate 40, "
    "price/sqft "
    "vs zip median 30, age 20, type 10), roi, cap_rate, reasoning, scorer and prompt hash. "
    "Rules by default; Claude when ANTHROPIC_API_KEY is set, falling back to rules.",
)
def listing_scores(
    context: AssetExecutionContext, database: FolioDatabase, scorer: ListingScorerResource
) -> MaterializeResult:
    batch = batch_of(context)
    lo, hi = (batch[1], batch[2]) if batch and batch[0] == "listings" else (0, None)
    counts = score_listings(database.engine(), scorer.scorer(), get_settings(), lo, hi)
    context.log.info(
        f"scored {counts.scored} listing(s) by {counts.by_scorer}, {counts.fallbacks} fallback(s)"
    )
    return MaterializeResult(
        metadata={
            "listings_scored": counts.scored,
            "by_scorer": MetadataValue.json(counts.by_scorer),
            "fallbacks_to_rules": counts.fallbacks,
            "mean_score": counts.mean_score if counts.mean_score is not None else 0.0,
            "change_seq_range": str(counts.seq_range or "none"),
        }
    )


@asset(
    deps=[listing_scores, AssetKey("leads"), AssetKey("probate_and_judgment_leads")],
    group_name="alerts",
    check_specs=[
        AssetCheckSpec(
            "matches_meet_min_score",
            asset="alert_matches",
            description="no match made by the run scores below its subscriber's min score",
        ),
        AssetCheckSpec(
            "matches_stay_in_tenant",
            asset="alert_matches",
            description="every match made by the run is its subscriber's tenant's, and a "
            "listing reaches only its own tenant's subscribers",
        ),
    ],
    kinds={"python", "sql"},
    description="Which subscribers a scored listing (same tenant only) or a county lead dated "
    "within the alert window (opted-in subscribers of any tenant) meets: one row per "
    "(subscriber, item) with the reasons, waiting for the digest or immediate.",
)
def alert_matches(context: AssetExecutionContext, database: FolioDatabase) -> MaterializeResult:
    batch = batch_of(context)
    engine = database.engine()
    with engine.connect() as conn:
        before = newest_match_id(conn)
    if batch and batch[0] == "leads":
        counts = {"leads": match_leads(engine, batch[1], batch[2])}
    elif batch and batch[0] == "rescored":  # after the nightly scoring: every alertable lead
        counts = {"leads": match_leads(engine)}
    elif batch and batch[0] == "criteria":  # new or changed criteria: the current leads
        counts = {"leads": match_leads(engine, criteria_written=(batch[1], batch[2]))}
    else:
        lo, hi = (batch[1], batch[2]) if batch else (0, None)
        counts = {"listings": match_listings(engine, lo, hi)}
    context.log.info(f"matches: {counts}")
    with engine.connect() as conn:
        below, crossing = (
            matches_below_min_score(conn, before),
            matches_outside_tenant(conn, before),
        )
    return MaterializeResult(
        metadata={"counts": MetadataValue.json(counts)},
        check_results=[
            AssetCheckResult(
                check_name="matches_meet_min_score",
                passed=below == 0,
                metadata={"matches_below_min_score": below},
            ),
            AssetCheckResult(
                check_name="matches_stay_in_tenant",
                passed=crossing == 0,
                metadata={"matches_across_tenants": crossing},
            ),
        ],
    )


@asset(
    deps=[alert_matches],
    group_name="alerts",
    check_specs=[
        AssetCheckSpec(
            "no_alert_below_min_score",
            asset="notifications",
            description="no message queued by the run carries a match below its subscriber's "
            "min score",
        )
    ],
    kinds={"sql"},
    description="The outbox: one queued message per (subscriber, item, channel) for every "
    "immediate match, or one grouped email for a subscriber with more than "
    "FOLIO_ALERT_GROUP_THRESHOLD at once; digest-only matches wait for daily_digest. Unique "
    "keys: a re-run queues nothing twice. The emails queued here are sent at once (one try); "
    "the rest, and retries, are the deliver_email job's.",
)
def notifications(
    context: AssetExecutionContext, database: FolioDatabase, email: EmailResource
) -> MaterializeResult:
    engine = database.engine()
    before = newest_notification_id(engine)
    with engine.begin() as conn:
        counts = queue_match_notifications(conn)
    sent = deliver_email(engine, email.sender(), after_id=before, at_once=True)
    alert_undelivered("email", sent.problems)
    context.log.info(f"outbox: {counts}; emails sent at once: {sent.as_dict()}")
    with engine.connect() as conn:
        below = alerts_below_min_score(conn, before)
    return MaterializeResult(
        metadata={
            **counts,
            "emails_sent_at_once": sent.sent,
            "emails_not_sent": len(sent.problems),
        },
        check_results=[
            AssetCheckResult(
                check_name="no_alert_below_min_score",
                passed=below == 0,
                metadata={"alerts_below_min_score": below},
            )
        ],
    )
