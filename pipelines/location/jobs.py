"""Jobs: what runs together, with its priority, retry budget and max runtime as tags.

Retry budgets and priorities come from settings (docs/operations.md#priorities-and-retries);
the tags make them visible in the UI and let dagster.yaml's tag concurrency limits keep one
ingestion run per cadence. The module is loaded whole by the code location: every job
defined here is in it.
"""

from __future__ import annotations

from dagster import AssetSelection, Backoff, RetryPolicy, define_asset_job, job

from pipelines.location.ops.cleanup import cleanup_old_rows
from pipelines.location.ops.delivery import send_queued_email
from pipelines.location.ops.intake import take_in_inbox_file
from pipelines.location.ops.lookups import perform_records_lookup
from pipelines.location.ops.outreach import expire_tokens, send_queued_outreach
from pipelines.location.ops.reports import build_requested_report
from pipelines.settings import PRIORITY, RETRY_BUDGETS, get_settings

_s = get_settings()


def retry_policy(job_name: str) -> RetryPolicy | None:
    spec = RETRY_BUDGETS[job_name]
    if spec is None:
        return None
    # max_retries counts retries, the table counts attempts; no backoff = fixed delay.
    backoff = Backoff.EXPONENTIAL if spec.backoff == "exponential" else None
    return RetryPolicy(max_retries=spec.max_attempts - 1, delay=spec.delay_seconds, backoff=backoff)


def job_tags(
    family: str, priority: str, max_runtime_seconds: int, retry: str | None = None, **extra: str
) -> dict[str, str]:
    """The tags every job carries: priority, max runtime, family, and its retry budget
    (`folio/retry`, from RETRY_BUDGETS) so the UI shows it next to the run."""
    spec = RETRY_BUDGETS.get(retry) if retry else None
    return {
        "dagster/priority": str(PRIORITY[priority]),
        "dagster/max_runtime": str(max_runtime_seconds),
        "folio/family": family,
        "folio/priority": priority,
        "folio/retry": spec.describe() if spec else "none",
        **extra,
    }


def _ingestion_job(cadence: str, leads_asset: str, priority: str, description: str):
    name = f"{cadence}_ingestion"
    return define_asset_job(
        name,
        selection=AssetSelection.groups(f"{cadence}_ingestion")
        | AssetSelection.assets(*leads_asset.split(",")),
        description=description,
        tags=job_tags(
            "ingestion", priority, _s.daily_max_runtime_seconds, name, **{"folio/cadence": cadence}
        ),
        op_retry_policy=retry_policy(name),
    )


daily_ingestion_job = _ingestion_job(
    "daily",
    "properties,leads",
    _s.daily_priority,
    "The business day's county files: raw → staged → properties → leads.",
)
weekly_ingestion_job = _ingestion_job(
    "weekly",
    "eviction_and_lien_leads",
    "MEDIUM",
    "The week's Evictions and Indebtedness: raw → staged → matched → eviction and lien leads.",
)
monthly_ingestion_job = _ingestion_job(
    "monthly",
    "probate_and_judgment_leads",
    "MEDIUM",
    "The month's Probate and Verdicts: raw → staged → matched → probate and judgment leads.",
)

# Scoring has no retry: a re-run recomputes everything.
lead_scoring_job = define_asset_job(
    "lead_scoring",
    selection=AssetSelection.assets("lead_scores"),
    description="Nightly re-score of every open lead (02:00).",
    tags=job_tags("scoring", "NORMAL", 60 * 60, "lead_scoring"),
)


@job(
    name="cleanup",
    tags=job_tags("maintenance", "LOW", 2 * 60 * 60, "cleanup"),
    description="90-day retention (03:00, LOW priority).",
)
def cleanup_job():
    cleanup_old_rows()


# Alerting: sensors launch these in batches (HIGH: a fresh listing is worth most when new).
listing_alerts_job = define_asset_job(
    "listing_alerts",
    selection=AssetSelection.assets("listing_scores", "alert_matches", "notifications"),
    description="A batch of new or changed listings: scored, matched to criteria, queued in the "
    "outbox.",
    tags=job_tags("alerts", "HIGH", 30 * 60, "listing_alerts"),
)
lead_alerts_job = define_asset_job(
    "lead_alerts",
    selection=AssetSelection.assets("alert_matches", "notifications"),
    description="New (or re-scored) county leads of every type matched to subscribers' criteria; "
    "hot leads and non-digest subscribers' matches queued at once.",
    tags=job_tags("alerts", "HIGH", 30 * 60, "lead_alerts"),
)
daily_digest_job = define_asset_job(
    "daily_digest_emails",
    selection=AssetSelection.assets("daily_digest"),
    description="The business day's digest email per subscriber (07:30, after ingestion).",
    tags=job_tags("alerts", "NORMAL", 30 * 60, "daily_digest_emails"),
)
weekly_report_job = define_asset_job(
    "weekly_report_emails",
    selection=AssetSelection.assets("weekly_subscriber_report", "weekly_report"),
    description="The week's PDF per tenant, then the report email per subscriber (Mondays 08:00).",
    tags=job_tags("alerts", "NORMAL", 30 * 60, "weekly_report_emails"),
)


# Side effects are op jobs, launched by their sensors (see docs/architecture.md).
@job(
    name="deliver_email",
    tags=job_tags("delivery", "NORMAL", 60 * 60, "email", **{"folio/channel": "email"}),
    description="Email delivery from the outbox.",
)
def deliver_email_job():
    send_queued_email()


@job(
    name="deliver_outreach",
    tags=job_tags("delivery", "HIGH", 30 * 60, "deliver_outreach", **{"folio/channel": "outreach"}),
    description="SMS, call and webhook delivery from the outbox, paid from the token ledger.",
)
def deliver_outreach_job():
    send_queued_outreach()


@job(
    name="token_expiry",
    tags=job_tags("billing", "LOW", 10 * 60, "token_expiry"),
    description="Nightly: lapsed token grants expire; trial and expiry reminders queued.",
)
def token_expiry_job():
    expire_tokens()


@job(
    name="listing_intake",
    tags=job_tags("intake", "NORMAL", 30 * 60, "listing_intake"),
    description="One inbox file's listings in.",
)
def listing_intake_job():
    take_in_inbox_file()


@job(
    name="lookups",
    tags=job_tags("lookups", "URGENT", _s.lookup_max_runtime_seconds, "lookups"),
    description="One on-demand property lookup through the county records API.",
)
def lookups_job():
    perform_records_lookup()


@job(
    name="reports",
    tags=job_tags("reports", "NORMAL", _s.report_max_runtime_seconds, "reports"),
    op_retry_policy=retry_policy("reports"),
    description="One requested report (listing PDF or leads export): built, stored, emailed.",
)
def reports_job():
    build_requested_report()


market_report_job = define_asset_job(
    "market_report",
    selection=AssetSelection.assets("daily_market_report"),
    description="The business day's market report PDF (07:15, after ingestion).",
    tags=job_tags("reports", "NORMAL", 10 * 60, "market_report"),
    op_retry_policy=retry_policy("market_report"),
)
