"""Every default number of the product, in one place, overridable by environment.

docs/domain.md and docs/operations.md say what each number means.

Each field reads ``FOLIO_<FIELD_NAME_UPPER>`` when set. Nothing here is a secret:
secrets (API keys, passwords inside URLs) are read from the environment by the
resource that needs them and never stored on this object's repr or in logs.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, get_type_hints

# Dagster run priority (`dagster/priority` tag; higher runs first).
# docs/operations.md#priorities-and-retries
PRIORITY = {"URGENT": 10, "HIGH": 5, "NORMAL": 0, "MEDIUM": -5, "LOW": -10}

DEED_DOC_TYPES = ("DEE", "WD", "QCD", "CTI")
# Deeds that make a new homeowner lead (QCD and CTI move title without a sale).
SALE_DEED_DOC_TYPES = ("DEE", "WD")
# Recorded documents that make a lien lead on their folio.
LIEN_DOC_TYPES = ("JUD", "LIE", "FTL", "NTL")


@dataclass(frozen=True)
class RetryPolicySpec:
    """A job family's retry budget: attempts in total and the fixed delay between them."""

    max_attempts: int
    delay_seconds: float
    backoff: str = "fixed"  # fixed | exponential

    def delay_before(self, attempt: int, scale: float = 1.0) -> float:
        """Seconds to wait before attempt number `attempt` (2, 3, …)."""
        steps = attempt - 2 if self.backoff == "exponential" else 0
        return self.delay_seconds * (2**steps) * scale

    def describe(self) -> str:
        return f"{self.max_attempts} attempts, {self.backoff} from {self.delay_seconds:g} s"


# Every retry budget in one table (docs/operations.md#priorities-and-retries). Ingestion jobs
# retry their ops;
# delivery channels and the AI scorer retry each call inside the step, so one bad
# message never re-runs a whole batch. None: no retry (a re-run recomputes).
RETRY_BUDGETS: dict[str, RetryPolicySpec | None] = {
    "daily_ingestion": RetryPolicySpec(3, 300),
    "weekly_ingestion": RetryPolicySpec(3, 600),
    "monthly_ingestion": RetryPolicySpec(3, 900),
    "lead_scoring": None,
    "cleanup": None,  # batched and resumable: the next night finishes the work
    "listing_alerts": None,  # the sensor's next batch picks up anything left unscored
    "lead_alerts": None,  # idempotent: a re-run of the batch adds what is missing
    "daily_digest_emails": None,  # idempotent per (subscriber, day): a re-run sends nothing again
    "weekly_report_emails": None,  # idempotent per (subscriber, week)
    # an unreadable file stays unreadable; fixed files come back as new files
    "listing_intake": None,
    "deliver_email": None,  # the job does not retry: each message retries by the "email" budget
    "email": RetryPolicySpec(6, 1, "exponential"),  # 1 + 5 retries: 1, 2, 4, 8, 16 s
    # an alert's email sent by the run that queued it: one try, then the deliver_email job's
    "email_at_once": RetryPolicySpec(1, 0),
    "sms": RetryPolicySpec(3, 5),
    "voice": RetryPolicySpec(3, 30),
    "webhook": RetryPolicySpec(5, 1, "exponential"),
    # like deliver_email: each SMS, call and webhook retries by its channel's budget
    "deliver_outreach": None,
    "token_expiry": None,  # keyed entries: a re-run expires and reminds nothing twice
    "ai_scorer": RetryPolicySpec(3, 2, "exponential"),  # 2, 4 s between the 3 calls
    "lookups": None,  # the job does not retry: each call retries by the "records_api" budget
    "records_api": RetryPolicySpec(3, 2, "exponential"),  # 2, 4 s; timeouts and 5xx only
    "reports": RetryPolicySpec(2, 5),  # one report per run: 2 attempts, 5 s apart
    "market_report": RetryPolicySpec(2, 5),
}


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("data")
    database_url: str = ""  # empty: sqlite file under data_dir
    source_url: str = ""  # empty: data_dir/source (local folder source)
    archive_url: str = ""  # empty: data_dir/archive (local folder); or s3://bucket/prefix
    reports_url: str = ""  # empty: data_dir/reports (local folder); or s3://bucket/prefix
    timezone: str = "America/New_York"
    # Days the county delivers no daily files (pipelines/calendar.py): a `holidays` package
    # country-subdivision, `none`, or a comma-separated list of YYYY-MM-DD dates
    court_holidays: str = "US-FL"
    # in_process: a run's steps in its own process (no process start per step: measured in
    # docs/performance.md); multiprocess: a process per step; celery: steps on Celery
    # workers (FOLIO_CELERY_BROKER)
    executor: str = "in_process"
    daily_start_date: date = date(2026, 1, 1)

    # Ingestion guarantees (docs/domain.md#parsing-and-quarantine)
    quarantine_max_ratio: float = 0.01
    # A date later than this many days past its partition's end is damage (quarantined).
    future_date_grace_days: int = 7
    doc_tax_per_100: float = 0.60  # deed doc tax implies price: tax / 0.60 * 100

    # Lead rules (docs/domain.md#leads)
    new_homeowner_window_days: int = 30
    base_score_new_homeowner: int = 85
    base_score_foreclosure: int = 90
    base_score_probate: int = 88
    base_score_eviction: int = 75
    base_score_lien: int = 70
    base_score_judgment: int = 65
    lead_expiry_days: int = 180

    # Nightly lead scoring (docs/domain.md#lead-scoring)
    freshness_grace_days: int = 7
    freshness_days_per_point: int = 3
    freshness_max_decay: int = 30
    equity_high_ratio: float = 0.50  # +10
    equity_mid_ratio: float = 0.30  # +5
    engagement_open_points: int = 2
    engagement_open_max: int = 6
    engagement_click_points: int = 5
    engagement_click_max: int = 10
    absentee_bonus: int = 10
    home_state: str = "FL"

    # Health (docs/operations.md#health-and-metrics): `folio health` is unhealthy past these
    health_heartbeat_max_age_seconds: int = 180
    health_schedule_grace_seconds: int = 600
    health_failure_rate_max: float = 0.25
    health_failure_rate_min_runs: int = 4
    queue_metrics_interval_seconds: int = 300

    # Cleanup (docs/domain.md#retention)
    retention_days: int = 90
    cleanup_batch_rows: int = 5_000

    # Listings and alerts (docs/domain.md#listings, #alerts, #outbox)
    listing_batch_size: int = 5_000  # listings per scoring run (one sensor run request)
    listings_sensor_interval_seconds: int = 5
    outbox_sensor_interval_seconds: int = 5
    inbox_sensor_interval_seconds: int = 15
    default_min_score: int = 70
    # Lead delivery (docs/domain.md#lead-delivery)
    alert_window_days: int = 7  # a lead dated earlier than this never alerts (nor is digested)
    hot_lead_min_score: int = 90  # any lead scoring this much is hot, whatever its type
    alert_group_threshold: int = 10  # more immediate alerts than this in one run: one email
    group_email_items: int = 50  # a group email lists this many, highest score first
    digest_size: int = 20  # leads per daily digest, best first
    weekly_report_top: int = 10
    link_ttl_days: int = 30  # links in emails (lead pages, clicks, unsubscribe) expire after
    rent_expense_ratio: float = 0.35  # cap rate = rent × 12 × (1 − this) / price
    cap_rate_full_marks: float = 0.10
    ppsf_discount_full_marks: float = 0.20  # 20% below the zip median → full marks
    active_listing_days: int = 90  # listings this recent count toward a zip's median price/sqft
    age_full_marks_years: int = 10  # age/condition: full marks up to this age …
    age_zero_marks_years: int = 60  # … falling linearly to none at this age
    ai_model: str = "claude-sonnet-4-5"
    ai_timeout_seconds: float = 30.0
    ai_concurrency: int = 4
    retry_delay_scale: float = 1.0  # tests shrink every in-step backoff with this
    email_from: str = "alerts@folio.local"
    email_timeout_seconds: float = 10.0
    email_provider: str = ""  # empty: SendGrid when SENDGRID_API_KEY is set, else the file outbox
    sendgrid_base_url: str = "https://api.sendgrid.com"
    public_base_url: str = "http://127.0.0.1:8000"  # links in emails
    sending_stale_seconds: int = 900  # a message `sending` this long died mid-call: unknown

    # Tokens and paid outreach (docs/domain.md#tokens, #compliance)
    sms_tokens: int = 10  # reserved per SMS
    voice_tokens: int = 20  # reserved per call (a call of up to voice_max_seconds)
    voice_max_seconds: int = 180
    outreach_allowed_from: str = "08:00"  # recipient's local time; outside it messages wait
    outreach_allowed_until: str = "21:00"
    sms_daily_cap_per_number: int = 3  # SMS + calls to one number per recipient day
    outreach_provider: str = ""  # empty: Twilio when TWILIO_ACCOUNT_SID is set, else files
    twilio_base_url: str = "https://api.twilio.com"
    twilio_from: str = ""  # FOLIO_TWILIO_FROM: our number, E.164
    twilio_timeout_seconds: float = 10.0
    # an SMS or call still unsettled this long after it was handed on is looked up at Twilio
    reconcile_after_seconds: int = 120
    webhook_timeout_seconds: float = 10.0
    trial_reminder_days: int = 3  # `expiring_trial` email this many days before a trial ends
    tokens_reminder_days: int = 7  # "tokens expire" email this many days before a grant ends
    token_expiry_cron: str = "0 1 * * *"
    # A Stripe-Signature timestamp further than this from our clock (past or future) is refused
    stripe_signature_tolerance_seconds: int = 300
    stripe_max_tokens: int = 1_000_000  # a purchase naming more is refused (recorded, not granted)

    # On-demand lookups through the county's records API (docs/domain.md#lookups)
    records_api_url: str = ""  # base URL; the key is FOLIO_RECORDS_API_KEY (environment only)
    records_api_timeout_seconds: float = 30.0
    lookup_cache_days: int = 30  # a property updated this recently is answered from our data
    lookup_daily_unit_cap: int = 500  # units per county day, across all lookups and tenants
    lookup_expected_units: int = 1  # reserved before a call, settled to UnitsConsumed after
    units_warning_balance: int = 1_000  # UnitsBalance below this: a warning admin alert
    units_critical_balance: int = 500  # below this: a critical alert, and `folio health` fails
    lookup_wait_max_seconds: int = 30  # POST /lookups?wait= holds the answer at most this long
    lookups_sensor_interval_seconds: int = 2
    lookup_max_runtime_seconds: int = 5 * 60  # run monitoring fails a lookup run past this

    # Reports (docs/domain.md#reports)
    report_max_runtime_seconds: int = 60  # run monitoring fails a report run past this
    reports_sensor_interval_seconds: int = 2
    market_report_top: int = 20

    # Bulk paths
    sqlite_batch_rows: int = 5_000
    # A county file is parsed and written this many bytes at a time (docs/performance.md):
    # bounds staging's memory at a few chunks whatever the file's size.
    stage_chunk_bytes: int = 8 << 20
    # Partitions of a range run staged at once on PostgreSQL (SQLite has one writer).
    stage_workers: int = 2
    # Hostile county files (docs/domain.md#files). A line longer than this refuses its file
    # (real lines are a few hundred bytes): reading stops there, memory stays bounded.
    max_line_bytes: int = 1 << 20
    # A zip's members may expand to at most this much in all (a 10M-line file is ~1.5 GB)...
    zip_max_total_bytes: int = 2 << 30
    # ...and each member past its first MiB to at most this many times its compressed size
    # (county text deflates 5-20:1; a zip bomb of zeros ~1000:1). Checked while streaming.
    zip_max_ratio: int = 200

    # Schedules (docs/operations.md#schedules): daily ingestion Mon–Fri 06:00, HIGH priority,
    # 3 attempts fixed 5 min.
    schedules: str = "running"  # "stopped": every schedule starts off (turn on in the UI)
    daily_cron: str = "0 6 * * 1-5"
    daily_priority: str = "HIGH"
    daily_max_runtime_seconds: int = 2 * 60 * 60
    weekly_start_date: date = date(2026, 1, 5)  # a Monday
    monthly_start_date: date = date(2026, 1, 1)
    weekly_cron: str = "0 7 * * 1"
    monthly_cron: str = "0 8 1 * *"
    scoring_cron: str = "0 2 * * *"
    cleanup_cron: str = "0 3 * * *"
    digest_cron: str = "30 7 * * 1-5"  # after the 06:00 ingestion
    market_report_cron: str = "15 7 * * 1-5"
    weekly_report_cron: str = "0 8 * * 1"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'folio.db').resolve()}"

    @property
    def resolved_source_url(self) -> str:
        return self.source_url or str((self.data_dir / "source").resolve())

    @property
    def resolved_reports_url(self) -> str:
        return self.reports_url or str((self.data_dir / "reports").resolve())

    @property
    def resolved_archive_url(self) -> str:
        return self.archive_url or str((self.data_dir / "archive").resolve())

    @property
    def landing_dir(self) -> Path:
        return (self.data_dir / "landing").resolve()


def _coerce(value: str, typ: Any) -> Any:
    if typ is int:
        return int(value)
    if typ is float:
        return float(value)
    if typ is Path:
        return Path(value)
    if typ is date:
        return date.fromisoformat(value)
    return value


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Settings with `FOLIO_*` environment overrides applied (simple fields only)."""
    env = dict(os.environ if env is None else env)
    hints = get_type_hints(Settings)
    overrides: dict[str, Any] = {}
    for f in dataclasses.fields(Settings):
        raw = env.get(f"FOLIO_{f.name.upper()}")
        if raw is None:
            continue
        try:
            overrides[f.name] = _coerce(raw, hints[f.name])
        except ValueError as exc:
            raise ValueError(
                f"FOLIO_{f.name.upper()}={raw!r} is not a valid {hints[f.name].__name__}"
            ) from exc
    return Settings(**overrides)


def get_settings() -> Settings:
    return load_settings()
