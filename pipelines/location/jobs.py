"""Jobs: what runs together, with its priority, max runtime, family and retry budget.

Retry budgets and priorities come from settings (docs/operations.md#priorities-and-retries).
Run tags carry only what something reads: Dagster's `dagster/priority` and
`dagster/max_runtime`, and `folio/family` plus `folio/cadence` or `folio/channel` (dagster.yaml's
tag concurrency limits, the dead-letter queue, the jobs API). What is only for a person to
read (the retry budget, the priority's name) is the job's metadata, shown on its page in the
UI, so a run carries at most two `folio/*` tags of its job's (docs/decisions.md#run-tags).
The module is loaded whole by the code location: every job defined here is in it.
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


# The `folio/*` run tags a job may set besides its family: each is read by dagster.yaml's
# tag concurrency limits (one ingestion run per cadence; email and outreach delivery limits).
JOB_TAG_KEYS = ("folio/cadence", "folio/channel")


def job_tags(family: str, priority: str, max_runtime_seconds: int, **extra: str) -> dict[str, str]:
    """The run tags every job carries: Dagster's priority and max runtime, the job's family,
    and at most one of JOB_TAG_KEYS."""
    assert set(extra) <= set(JOB_TAG_KEYS) and len(extra) <= 1, extra
    return {
        "dagster/priority": str(PRIORITY[priority]),
        "dagster/max_runtime": str(max_runtime_seconds),
        "folio/family": family,
        **extra,
    }


def job_metadata(priority: str, retry: str | None = None) -> dict[str, str]:
    """What the job's page shows and no code reads: the priority's name and the retry budget
    (from RETRY_BUDGETS; "none" when the job has none)."""
    spec = RETRY_BUDGETS.get(retry) if retry else None
    return {"priority": priority, "retry": spec.describe() if spec else "none"}


def _ingestion_job(cadence: str, leads_asset: str, priority: str, description: str):
    name = f"{cadence}_ingestion"
    return define_asset_job(
        name,
        selection=AssetSelection.groups(f"{cadence}_ingestion")
        | AssetSelection.assets(*leads_asset.split(",")),
        description=description,
        tags=job_tags(
            "ingestion", priority, _s.daily_max_runtime_seconds, **{"folio/cadence": cadence}
        ),
        metadata=job_metadata(priority, name),
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
    tags=job_tags("scoring", "NORMAL", 60 * 60),
    metadata=job_metadata("NORMAL", "lead_scoring"),
)


@job(
    name="cleanup",
    tags=job_tags("maintenance", "LOW", 2 * 60 * 60),
    metadata=job_metadata("LOW", "cleanup"),
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
    tags=job_tags("alerts", "HIGH", 30 * 60),
    metadata=job_metadata("HIGH", "listing_alerts"),
)
lead_alerts_job = define_asset_job(
    "lead_alerts",
    selection=AssetSelection.assets("alert_matches", "notifications"),
    description="New (or re-scored) county leads of every type matched to subscribers' criteria; "
    "hot leads and non-digest subscribers' matches queued at once.",
    tags=job_tags("alerts", "HIGH", 30 * 60),
    metadata=job_metadata("HIGH", "lead_alerts"),
)
daily_digest_job = define_asset_job(
    "daily_digest_emails",
    selection=AssetSelection.assets("daily_digest"),
    description="The business day's digest email per subscriber (07:30, after ingestion).",
    tags=job_tags("alerts", "NORMAL", 30 * 60),
    metadata=job_metadata("NORMAL", "daily_digest_emails"),
)
weekly_report_job = define_asset_job(
    "weekly_report_emails",
    selection=AssetSelection.assets("weekly_subscriber_report", "weekly_report"),
    description="The week's PDF per tenant, then the report email per subscriber (Mondays 08:00).",
    tags=job_tags("alerts", "NORMAL", 30 * 60),
    metadata=job_metadata("NORMAL", "weekly_report_emails"),
)


# Side effects are op jobs, launched by their sensors (see docs/architecture.md).
@job(
    name="deliver_email",
    tags=job_tags("delivery", "NORMAL", 60 * 60, **{"folio/channel": "email"}),
    metadata=job_metadata("NORMAL", "email"),
    description="Email delivery from the outbox.",
)
def deliver_email_job():
    send_queued_email()


@job(
    name="deliver_outreach",
    tags=job_tags("delivery", "HIGH", 30 * 60, **{"folio/channel": "outreach"}),
    metadata=job_metadata("HIGH", "deliver_outreach"),
    description="SMS, call and webhook delivery from the outbox, paid from the token ledger.",
)
def deliver_outreach_job():
    send_queued_outreach()


@job(
    name="token_expiry",
    tags=job_tags("billing", "LOW", 10 * 60),
    metadata=job_metadata("LOW", "token_expiry"),
    description="Nightly: lapsed token grants expire; trial and expiry reminders queued.",
)
def token_expiry_job():
    expire_tokens()


@job(
    name="listing_intake",
    tags=job_tags("intake", "NORMAL", 30 * 60),
    metadata=job_metadata("NORMAL", "listing_intake"),
    description="One inbox file's listings in.",
)
def listing_intake_job():
    take_in_inbox_file()


@job(
    name="lookups",
    tags=job_tags("lookups", "URGENT", _s.lookup_max_runtime_seconds),
    metadata=job_metadata("URGENT", "lookups"),
    description="One on-demand property lookup through the county records API.",
)
def lookups_job():
    perform_records_lookup()


@job(
    name="reports",
    tags=job_tags("reports", "NORMAL", _s.report_max_runtime_seconds),
    metadata=job_metadata("NORMAL", "reports"),
    op_retry_policy=retry_policy("reports"),
    description="One requested report (listing PDF or leads export): built, stored, emailed.",
)
def reports_job():
    build_requested_report()


market_report_job = define_asset_job(
    "market_report",
    selection=AssetSelection.assets("daily_market_report"),
    description="The business day's market report PDF (07:15, after ingestion).",
    tags=job_tags("reports", "NORMAL", 10 * 60),
    metadata=job_metadata("NORMAL", "market_report"),
    op_retry_policy=retry_policy("market_report"),
)
