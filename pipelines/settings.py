"""Every setting of the product, typed, in one place: pydantic-settings models per domain.

Each field reads `FOLIO_<FIELD_NAME_UPPER>` (the provider keys keep their providers' own
names: SENDGRID_API_KEY, TWILIO_*, ANTHROPIC_*, STRIPE_WEBHOOK_SECRET), from the environment
or from a `.env` file in the working directory (the environment wins). A choice is a
`Literal` (a typo is refused), a number has its bounds, a secret is a `SecretStr` (its
value never appears in a repr, a log or an error). An invalid value fails with one line
naming the variable (`SettingsError`).

`Settings` is every domain model at once (flat attributes: `get_settings().retention_days`);
each domain model also loads alone. The documented table of every variable
(docs/operations.md#configuration) is generated from these models:
`python -m pipelines.settings --markdown` prints it, `--write-docs` rewrites it, and
tests/test_settings.py fails when the two disagree. docs/domain.md and docs/operations.md
say what each number means.
"""

from __future__ import annotations

import os
import sys
import threading
import types
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from annotated_types import Ge, Gt, Le
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, DotEnvSettingsSource, SettingsConfigDict

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
    backoff: Literal["fixed", "exponential"] = "fixed"

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


# ---------------------------------------------------------------------------------------------
# The models. Every domain model reads the flat FOLIO_<FIELD> names (no nesting delimiter, so
# no variable is renamed by the grouping).

ENV_PREFIX = "FOLIO_"
ENV_FILE = ".env"  # in the working directory

Executor = Literal["in_process", "multiprocess", "celery"]
ScheduleState = Literal["running", "stopped"]
Priority = Literal["URGENT", "HIGH", "NORMAL", "MEDIUM", "LOW"]
# "": the legacy choice by key (docs/decisions.md, "Providers are chosen by name").
EmailProvider = Literal["", "file", "sendgrid"]
OutreachProvider = Literal["", "file", "twilio"]
ListingScorerKind = Literal["auto", "rules", "ai"]

Count = Annotated[int, Ge(1)]  # a size, a batch, a limit: zero makes no sense
NonNegative = Annotated[int, Ge(0)]
Seconds = Annotated[float, Gt(0)]  # a timeout
Ratio = Annotated[float, Ge(0), Le(1)]
Score = Annotated[int, Ge(0), Le(100)]


def _field(default: Any, doc: str, **kw: Any) -> Any:
    return Field(default, description=doc, **kw)


def _secret(doc: str, env: str | None = None) -> Any:
    """A secret: empty when unset; `env` keeps a provider's own variable name."""
    return Field(SecretStr(""), description=doc, validation_alias=env)


# Set while `load_settings(env)` reads a given mapping alone (no environment, no `.env`).
_GIVEN_ONLY: ContextVar[bool] = ContextVar("settings_given_only", default=False)


class _Group(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=ENV_FILE,
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
        populate_by_name=True,
    )

    @classmethod
    def settings_customise_sources(
        cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings
    ):
        """Arguments, then the environment, then `.env` (the first that has a value wins).
        ENV_FILE is read at each load (tests point it away from a developer's own `.env`)."""
        if _GIVEN_ONLY.get():
            return (init_settings,)
        return (init_settings, env_settings, DotEnvSettingsSource(settings_cls, env_file=ENV_FILE))


class StorageSettings(_Group):
    """Where data lives: the database, the county's files, archives, reports."""

    data_dir: Path = _field(
        Path("data"), "SQLite file, landing area, sample source, outboxes, Dagster home (CLI)"
    )
    database_url: str = _field(
        "",
        "product database; empty: `sqlite:///<data_dir>/folio.db`; e.g. "
        "`postgresql://user@host/db` (psycopg 3; `postgresql+psycopg://` and "
        "`postgresql+psycopg2://` work too)",
        repr=False,
    )
    source_url: str = _field(
        "",
        "where county files come from; empty: `<data_dir>/source` (a folder holding "
        "`daily/YYYY-MM-DD/*.exp`), `sftp://user@host:port/root`, or an https URL template",
        repr=False,
    )
    archive_url: str = _field(
        "", "where every landed file is kept; empty: `<data_dir>/archive`; or `s3://bucket/prefix`"
    )
    reports_url: str = _field(
        "", "where built reports are kept; empty: `<data_dir>/reports`; or `s3://bucket/prefix`"
    )
    s3_endpoint_url: str = _field(
        "", "S3-compatible endpoint (MinIO, moto…); empty: AWS; credentials from `AWS_*`"
    )
    layouts_file: str = _field(
        "", "column layouts of the county files; empty: `pipelines/db/schema/layouts.toml`"
    )
    sqlite_batch_rows: Count = _field(5_000, "rows per batched insert on SQLite")

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


class CountySettings(_Group):
    """The county: its zone and calendar, its sources' credentials, how its files are read."""

    timezone: str = _field(
        "America/New_York",
        "the county's zone: partitions' days, schedules, \"today\", times typed and shown",
    )
    court_holidays: str = _field(
        "US-FL",
        "days without daily files and partitions: a `holidays` country(-subdivision), `none`, "
        "or `YYYY-MM-DD,…` (restart the daemon and UI after changing it)",
    )
    daily_start_date: date = _field(
        date(2026, 1, 1),
        "first daily partition (a backfill reaching before it is refused; restart the daemon "
        "and UI after changing it)",
    )
    weekly_start_date: date = _field(date(2026, 1, 5), "first weekly partition (a Monday)")
    monthly_start_date: date = _field(date(2026, 1, 1), "first monthly partition")
    source_auth_key: SecretStr = _secret("HTTPS source API key")
    source_auth_param: str = _field("authKey", "the query parameter the HTTPS source key goes in")
    sftp_key_file: str = _field("", "SFTP private key file")
    sftp_password: SecretStr = _secret("SFTP password")
    sftp_key_passphrase: SecretStr = _secret("SFTP private key passphrase")
    sftp_known_hosts: str = _field(
        "",
        "host keys the SFTP server must match (unknown or changed keys are refused); "
        "empty: `~/.ssh/known_hosts`",
    )
    # Ingestion guarantees (docs/domain.md#parsing-and-quarantine)
    quarantine_max_ratio: Ratio = _field(
        0.01, "the `quarantine_ratio` check (error, not blocking) fails above this share of rows"
    )
    future_date_grace_days: NonNegative = _field(
        7, "a date later than this many days past its partition's end is damage (quarantined)"
    )
    doc_tax_per_100: Annotated[float, Gt(0)] = _field(
        0.60, "deed doc tax per $100: implies the price (tax / 0.60 × 100)"
    )
    # Bulk paths (docs/performance.md)
    stage_chunk_bytes: Count = _field(
        8 << 20,
        "a county file is parsed and written this many bytes at a time (staging's memory is "
        "a few chunks)",
    )
    stage_workers: Count = _field(
        2, "partitions of a range run staged at once on PostgreSQL (SQLite has one writer)"
    )
    # Hostile county files (docs/domain.md#files)
    max_line_bytes: Count = _field(
        1 << 20, "a county line longer than this refuses its file, naming line and byte offset"
    )
    zip_max_total_bytes: Count = _field(
        2 << 30, "what a zip's members may expand to in all (declared and while inflating)"
    )
    zip_max_ratio: Count = _field(
        200, "how many times its compressed size a zip member may expand past its first MiB"
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("not a time zone (an IANA name like America/New_York)") from None
        return value


class LeadSettings(_Group):
    """Lead rules and nightly lead scoring (docs/domain.md#leads, #lead-scoring)."""

    new_homeowner_window_days: Count = _field(30, "a sale this recent makes a new-homeowner lead")
    # The score is the sum of its parts (docs/domain.md#lead-scoring); their maxima add to
    # at most 100, so no part is ever clamped away.
    base_score_new_homeowner: Score = _field(12, "points for a new-homeowner record")
    base_score_foreclosure: Score = _field(30, "points for a foreclosure record")
    base_score_probate: Score = _field(30, "points for a probate record")
    base_score_eviction: Score = _field(22, "points for an eviction record")
    base_score_lien: Score = _field(12, "points for a lien record")
    base_score_judgment: Score = _field(16, "points for a judgment record")
    lead_expiry_days: Count = _field(
        180, "new or sent leads older than this many days become `expired`"
    )
    stacking_points: NonNegative = _field(
        10, "points per other kind of distress open on the same property"
    )
    stacking_max: NonNegative = _field(15, "at most this many points from stacked distress")
    equity_points: NonNegative = _field(
        15, "points at 100% estimated equity (pro rata, rounded down)"
    )
    ownership_years_per_point: Count = _field(2, "a point per this many full years owned")
    ownership_max: NonNegative = _field(10, "at most this many points from years owned")
    freshness_points: NonNegative = _field(15, "points of a lead within its grace days")
    freshness_grace_days: NonNegative = _field(3, "days a lead keeps its full freshness points")
    freshness_days_per_point: Count = _field(
        2, "after the grace, one freshness point lost per this many days"
    )
    engagement_open_points: NonNegative = _field(1, "points per email open")
    engagement_open_max: NonNegative = _field(2, "at most this many points from opens")
    engagement_click_points: NonNegative = _field(2, "points per click")
    engagement_click_max: NonNegative = _field(3, "at most this many points from clicks")
    absentee_bonus: NonNegative = _field(
        10, "points when the owner's mailing state is known and not `home_state`"
    )
    non_homestead_bonus: NonNegative = _field(
        5, "points when the owner mails in-state but the parcel is not their homestead"
    )
    home_state: str = _field("FL", "the county's state (an owner mailing elsewhere is absentee)")

    @model_validator(mode="after")
    def _parts_fit_in_100(self):
        most = self.most_points()
        if most > 100:
            raise ValueError(
                f"the lead score's parts can add to {most}: their maxima (the highest "
                "base_score_*, stacking_max, equity_points, ownership_max, freshness_points, "
                "engagement_open_max + engagement_click_max, the larger of absentee_bonus and "
                "non_homestead_bonus) must add to at "
                "most 100"
            )
        return self

    def most_points(self) -> int:
        """The highest score the parts can add to."""
        base = max(getattr(self, f) for f in type(self).model_fields if f.startswith("base_score_"))
        return (
            base
            + self.stacking_max
            + self.equity_points
            + self.ownership_max
            + self.freshness_points
            + self.engagement_open_max
            + self.engagement_click_max
            + max(self.absentee_bonus, self.non_homestead_bonus)
        )


class ListingSettings(_Group):
    """Listings and their scoring (docs/domain.md#listings)."""

    listing_batch_size: Count = _field(
        5_000, "listings (and new leads) per alert run (one sensor run request)"
    )
    rent_expense_ratio: Ratio = _field(0.35, "cap rate = rent × 12 × (1 − this) / price")
    cap_rate_full_marks: Annotated[float, Gt(0)] = _field(0.10, "the cap rate worth full marks")
    ppsf_discount_full_marks: Annotated[float, Gt(0), Le(1)] = _field(
        0.20, "a price/sqft this far below the zip's median is worth full marks"
    )
    active_listing_days: Count = _field(
        90, "listings this recent count toward a zip's median price/sqft"
    )
    age_full_marks_years: NonNegative = _field(10, "age/condition: full marks up to this age…")
    age_zero_marks_years: Count = _field(60, "…falling linearly to none at this age")
    listing_scorer: ListingScorerKind = _field(
        "auto",
        "`rules`, `ai` (Anthropic Claude: needs `ANTHROPIC_API_KEY`), or `auto`: AI when "
        "`ANTHROPIC_API_KEY` is set, else rules",
    )
    anthropic_api_key: SecretStr = _secret("Anthropic API key (the AI scorer)", "ANTHROPIC_API_KEY")
    anthropic_base_url: str = _field(
        "", "Anthropic API base URL; empty: Anthropic's", validation_alias="ANTHROPIC_BASE_URL"
    )
    ai_model: str = _field("claude-sonnet-4-5", "the AI scorer's model")
    ai_timeout_seconds: Seconds = _field(30.0, "the AI scorer's timeout per call")
    ai_concurrency: Count = _field(4, "AI scorer calls at once")

    @property
    def resolved_listing_scorer(self) -> Literal["rules", "ai"]:
        if self.listing_scorer != "auto":
            return self.listing_scorer
        return "ai" if self.anthropic_api_key.get_secret_value() else "rules"


class AlertSettings(_Group):
    """Lead delivery: alerts, digests, reports' emails, links (docs/domain.md#lead-delivery)."""

    default_min_score: Score = _field(70, "a subscriber's minimum score when none is set")
    alert_window_days: Count = _field(
        7, "how long a lead may alert (or be digested) after Folio could first know it"
    )
    hot_lead_min_score: Score = _field(90, "any lead scoring this much is hot, whatever its type")
    alert_group_threshold: Count = _field(
        10, "more immediate alerts than this in one run: one grouped email"
    )
    group_email_items: Count = _field(
        50, "matches a grouped email lists (highest score first; it counts the rest)"
    )
    digest_size: Count = _field(20, "leads per daily digest, best first")
    weekly_report_top: Count = _field(10, "top leads in the weekly report")
    link_ttl_days: Count = _field(
        30, "links in emails (lead pages, clicks, unsubscribe) expire after this many days"
    )
    link_secret: SecretStr = _secret(
        "the key that signs email links (changing it voids every link sent); empty: a random "
        "key kept in `<data_dir>/link_secret`"
    )
    public_base_url: str = _field(
        "http://127.0.0.1:8000", "the base of links in emails (the address subscribers reach)"
    )


class EmailSettings(_Group):
    """The email channel (docs/domain.md#outbox)."""

    email_provider: EmailProvider = _field(
        "",
        "`file` (the outbox folder `<data_dir>/outbox/email`) or `sendgrid` (needs "
        "`SENDGRID_API_KEY`); empty: SendGrid when `SENDGRID_API_KEY` is set, else file",
    )
    sendgrid_api_key: SecretStr = _secret("SendGrid API key", "SENDGRID_API_KEY")
    sendgrid_base_url: str = _field("https://api.sendgrid.com", "SendGrid API base URL")
    email_from: str = _field("alerts@folio.local", "sender address")
    email_timeout_seconds: Seconds = _field(10.0, "SendGrid timeout per call")
    sending_stale_seconds: NonNegative = _field(
        900, "a message `sending` this long died mid-call: its outcome is unknown"
    )
    retry_delay_scale: Annotated[float, Ge(0)] = _field(
        1.0, "every in-step retry delay is multiplied by this (tests shrink them)"
    )

    @property
    def resolved_email_provider(self) -> Literal["file", "sendgrid"]:
        if self.email_provider:
            return self.email_provider
        return "sendgrid" if self.sendgrid_api_key.get_secret_value() else "file"


class OutreachSettings(_Group):
    """Paid outreach: SMS, calls, tenant webhooks (docs/domain.md#tokens, #compliance)."""

    outreach_provider: OutreachProvider = _field(
        "",
        "`file` (JSON files under `<data_dir>/outbox/sms|voice`) or `twilio` (needs "
        "`TWILIO_ACCOUNT_SID`, `TWILIO_AUTH_TOKEN`, `FOLIO_TWILIO_FROM`); empty: Twilio when "
        "`TWILIO_ACCOUNT_SID` is set, else file",
    )
    twilio_account_sid: str = _field(
        "",
        "Twilio account SID (an identifier, not a secret)",
        validation_alias="TWILIO_ACCOUNT_SID",
    )
    twilio_auth_token: SecretStr = _secret(
        "Twilio auth token (also checks Twilio's callbacks' signatures)", "TWILIO_AUTH_TOKEN"
    )
    twilio_from: str = _field("", "our number, E.164")
    twilio_base_url: str = _field("https://api.twilio.com", "Twilio API base URL")
    twilio_timeout_seconds: Seconds = _field(10.0, "Twilio timeout per call")
    reconcile_after_seconds: NonNegative = _field(
        120, "an SMS or call still unsettled this long after it was handed on is looked up"
    )
    sms_tokens: NonNegative = _field(10, "tokens reserved per SMS")
    voice_tokens: NonNegative = _field(
        20, "tokens reserved per call (a call of up to voice_max_seconds)"
    )
    voice_max_seconds: Count = _field(180, "a call's time limit")
    outreach_allowed_from: str = _field(
        "08:00", "SMS and calls go from this time (recipient's local time; outside it they wait)"
    )
    outreach_allowed_until: str = _field("21:00", "…until this time")
    sms_daily_cap_per_number: Count = _field(3, "SMS + calls to one number per recipient day")
    webhook_timeout_seconds: Seconds = _field(10.0, "a tenant webhook's timeout")

    @field_validator("outreach_allowed_from", "outreach_allowed_until")
    @classmethod
    def _time_of_day(cls, value: str) -> str:
        try:
            time.fromisoformat(value)
        except ValueError:
            raise ValueError("not a time of day (HH:MM, HH:MM:SS or HH:MM:SS.ffffff)") from None
        return value

    @property
    def resolved_outreach_provider(self) -> Literal["file", "twilio"]:
        if self.outreach_provider:
            return self.outreach_provider
        return "twilio" if self.twilio_account_sid else "file"


class BillingSettings(_Group):
    """Tokens, grants and Stripe purchases (docs/domain.md#tokens)."""

    trial_reminder_days: NonNegative = _field(
        3, "`expiring_trial` email this many days before a trial ends"
    )
    tokens_reminder_days: NonNegative = _field(
        7, "`tokens_expiring` email this many days before a grant ends"
    )
    stripe_webhook_secret: SecretStr = _secret(
        "verifies `POST /billing/stripe`; unset: purchases are refused with 503",
        "STRIPE_WEBHOOK_SECRET",
    )
    stripe_signature_tolerance_seconds: Count = _field(
        300, "a Stripe-Signature timestamp further than this from our clock is a 400"
    )
    buy_tokens_url: str = _field(
        "", "where a tenant buys tokens (e.g. a Stripe Payment Link), shown in token emails"
    )
    stripe_max_tokens: Count = _field(
        1_000_000, "a purchase naming more tokens is refused (recorded, not granted)"
    )


class LookupSettings(_Group):
    """On-demand lookups through the county's records API (docs/domain.md#lookups)."""

    records_api_url: str = _field("", "the county's Official Records API base URL", repr=False)
    records_api_key: SecretStr = _secret("the county's Official Records API key")
    records_api_timeout_seconds: Seconds = _field(30.0, "records API timeout per call")
    lookup_cache_days: NonNegative = _field(
        30, "a property updated this recently is answered from our data"
    )
    lookup_daily_unit_cap: NonNegative = _field(
        500, "units per county day, across all lookups and tenants"
    )
    lookup_expected_units: NonNegative = _field(
        1, "units reserved before a call, settled to UnitsConsumed after"
    )
    units_warning_balance: NonNegative = _field(1_000, "UnitsBalance below this: a warning alert")
    units_critical_balance: NonNegative = _field(
        500, "below this: a critical alert, and `folio health` fails"
    )
    lookup_wait_max_seconds: NonNegative = _field(
        30, "`POST /lookups?wait=` holds the answer at most this long"
    )
    lookup_max_runtime_seconds: Count = _field(
        5 * 60, "run monitoring fails a lookup run past this"
    )


class ReportSettings(_Group):
    """Reports (docs/domain.md#reports)."""

    report_max_runtime_seconds: Count = _field(60, "run monitoring fails a report run past this")
    market_report_top: Count = _field(20, "top new leads the market report lists")


class AdminSettings(_Group):
    """Operators: the admin API, admin alerts, health, retention."""

    admin_api_key: SecretStr = _secret(
        "turns on the admin API and `/admin` page in `folio serve` (`X-Admin-Key` header or "
        "the HTTP Basic password)"
    )
    admin_email: str = _field("", "admin alerts also go to this address by email")
    admin_webhook_url: SecretStr = _secret(
        "admin alerts also go to this Slack-style webhook (its URL is its credential)"
    )
    webhook_secret: SecretStr = _secret(
        "signs admin alerts' webhook posts (`X-Folio-Signature`, the admin-alert scheme)"
    )
    health_heartbeat_max_age_seconds: Count = _field(
        180, "`folio health` fails when the daemon's heartbeat is older"
    )
    health_schedule_grace_seconds: NonNegative = _field(
        600, "a running schedule's tick this late is missed"
    )
    health_failure_rate_max: Ratio = _field(0.25, "run failure rate over the last hour that fails")
    health_failure_rate_min_runs: Count = _field(4, "…counted from this many runs")
    queue_metrics_interval_seconds: Count = _field(300, "a `queue_metrics` row per job this often")
    retention_days: Count = _field(90, "cleanup deletes what is older (docs/domain.md#retention)")
    cleanup_batch_rows: Count = _field(5_000, "rows cleanup deletes per batch")


class RunSettings(_Group):
    """How Dagster runs the work: executor, schedules, sensors, priorities (docs/operations.md)."""

    executor: Executor = _field(
        "in_process",
        "where a run's steps execute: `in_process` (no process start per step), "
        "`multiprocess` (a process per step), or `celery` workers (needs `FOLIO_CELERY_BROKER`)",
    )
    celery_broker: SecretStr = _secret(
        "the Celery broker URL (`pyamqp://…`, `redis://…`; may carry a password; Dagster reads "
        "it from the process environment)"
    )
    celery_queue: str = _field("dagster", "the Celery queue steps go to")
    run_in_process: bool = _field(
        False,
        "`folio run`, `backfill` and retries execute in the command's process even when a "
        "dagster-daemon serves the instance (by default they are submitted to its run queue)",
    )
    schedules: ScheduleState = _field(
        "running", "`stopped`: every schedule starts off (turn them on in the UI)"
    )
    daily_cron: str = _field("0 6 * * 1-5", "daily ingestion (the last complete business day)")
    daily_priority: Priority = _field("HIGH", "daily ingestion's run priority")
    daily_max_runtime_seconds: Count = _field(
        2 * 60 * 60, "run monitoring fails a daily ingestion run past this"
    )
    weekly_cron: str = _field("0 7 * * 1", "weekly ingestion (the week that ended)")
    monthly_cron: str = _field("0 8 1 * *", "monthly ingestion (the previous month)")
    scoring_cron: str = _field("0 2 * * *", "nightly lead scoring")
    cleanup_cron: str = _field("0 3 * * *", "nightly cleanup")
    digest_cron: str = _field("30 7 * * 1-5", "the daily digest (after the 06:00 ingestion)")
    market_report_cron: str = _field("15 7 * * 1-5", "the market report PDF")
    weekly_report_cron: str = _field("0 8 * * 1", "the weekly report")
    token_expiry_cron: str = _field(
        "0 1 * * *", "token expiry, reminders and the notice of the day's refused outreach"
    )
    listings_sensor_interval_seconds: Count = _field(5, "the listings sensor's interval")
    outbox_sensor_interval_seconds: Count = _field(5, "the outbox sensors' interval")
    inbox_sensor_interval_seconds: Count = _field(15, "the listing inbox sensor's interval")
    lookups_sensor_interval_seconds: Count = _field(2, "the lookups sensor's interval")
    reports_sensor_interval_seconds: Count = _field(2, "the reports sensor's interval")


# The domains, in the order the documented table lists them.
GROUPS: tuple[type[_Group], ...] = (
    StorageSettings,
    CountySettings,
    LeadSettings,
    ListingSettings,
    AlertSettings,
    EmailSettings,
    OutreachSettings,
    BillingSettings,
    LookupSettings,
    ReportSettings,
    AdminSettings,
    RunSettings,
)


class Settings(
    RunSettings,
    AdminSettings,
    ReportSettings,
    LookupSettings,
    BillingSettings,
    OutreachSettings,
    EmailSettings,
    AlertSettings,
    ListingSettings,
    LeadSettings,
    CountySettings,
    StorageSettings,
):
    """Every domain's settings at once: what `get_settings()` returns."""

    def require_providers(self) -> None:
        """Each provider chosen by name has what it needs, else a SettingsError naming the
        missing variables (the default file outboxes need nothing)."""
        if self.email_provider == "sendgrid":
            _require("FOLIO_EMAIL_PROVIDER=sendgrid", sendgrid_api_key=self.sendgrid_api_key)
        if self.outreach_provider == "twilio":
            _require(
                "FOLIO_OUTREACH_PROVIDER=twilio",
                twilio_account_sid=self.twilio_account_sid,
                twilio_auth_token=self.twilio_auth_token,
                twilio_from=self.twilio_from,
            )
        if self.listing_scorer == "ai":
            _require("FOLIO_LISTING_SCORER=ai", anthropic_api_key=self.anthropic_api_key)
        if self.executor == "celery":
            _require("FOLIO_EXECUTOR=celery", celery_broker=self.celery_broker)


# ---------------------------------------------------------------------------------------------
# Loading


class SettingsError(ValueError):
    """A setting is invalid or missing: one line naming the variable(s), never a secret."""


def env_name(field: str) -> str:
    """The variable a field reads: FOLIO_<FIELD>, or the provider's own name."""
    alias = Settings.model_fields[field].validation_alias
    return alias if isinstance(alias, str) else ENV_PREFIX + field.upper()


ENV_NAMES: dict[str, str] = {f: env_name(f) for f in Settings.model_fields}
SECRET_FIELDS = frozenset(
    f for f, info in Settings.model_fields.items() if info.annotation in (SecretStr, "SecretStr")
)


def _require(why: str, **values: SecretStr | str) -> None:
    missing = [
        ENV_NAMES[name]
        for name, value in values.items()
        if not (value.get_secret_value() if isinstance(value, SecretStr) else value)
    ]
    if missing:
        raise SettingsError(f"{why} needs {' and '.join(missing)} (not set)")


def _explain(exc: ValidationError) -> SettingsError:
    """A pydantic error as one line per variable: its name, its value (never a secret's)
    and what it must be."""
    by_alias = {env_name(f): f for f in Settings.model_fields}
    parts = []
    for err in exc.errors(include_url=False):
        key = str(err["loc"][0]) if err["loc"] else ""
        field = by_alias.get(key, key)
        name = ENV_NAMES.get(field, key)
        shown = "" if field in SECRET_FIELDS else f"={err['input']!r}"
        if err["type"] == "literal_error":
            why = f"must be one of {err['ctx']['expected']}"
        else:
            why = err["msg"].removeprefix("Value error, ").replace("Input should be", "must be")
            why = why[:1].lower() + why[1:]
        parts.append(f"{name}{shown}: {why}" if key else why)  # no key: a rule over several
    return SettingsError("; ".join(parts))


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Settings from `env` alone (a mapping of variable names: tests), or, when None, from
    the process environment and the `.env` file in the working directory (the environment
    wins). Raises SettingsError (one line naming the variable) when a value is invalid or a
    chosen provider lacks its key."""
    try:
        if env is None:
            settings = Settings()
        else:
            upper = {k.upper(): v for k, v in env.items()}
            given = {f: upper[n.upper()] for f, n in ENV_NAMES.items() if n.upper() in upper}
            token = _GIVEN_ONLY.set(True)
            try:
                settings = Settings(**given)
            finally:
                _GIVEN_ONLY.reset(token)
    except ValidationError as exc:
        raise _explain(exc) from None
    settings.require_providers()
    return settings


_ALIASES = frozenset(n.upper() for n in ENV_NAMES.values() if not n.startswith(ENV_PREFIX))
_cache: tuple[Any, Settings] | None = None
_cache_lock = threading.Lock()


def _fingerprint() -> tuple:
    """What the settings are read from: the variables they may read and the `.env` file."""
    env = tuple(
        sorted(
            (k, v)
            for k, v in os.environ.items()
            if k[:6].upper() == ENV_PREFIX or k.upper() in _ALIASES
        )
    )
    try:
        st = os.stat(ENV_FILE)
        dotenv = (os.getcwd(), st.st_mtime_ns, st.st_size, st.st_ino)
    except OSError:
        dotenv = None
    return env, dotenv


def get_settings() -> Settings:
    """The settings now: reloaded whenever a variable they read (or `.env`) changed."""
    global _cache
    key = _fingerprint()
    cached = _cache
    if cached is not None and cached[0] == key:
        return cached[1]
    with _cache_lock:
        settings = load_settings()
        _cache = (key, settings)
    return settings


# ---------------------------------------------------------------------------------------------
# The documented table (docs/operations.md#configuration), generated from the models.

DOCS_FILE = Path(__file__).resolve().parent.parent / "docs" / "operations.md"
TABLE_START = "<!-- settings-table: generated by `python -m pipelines.settings --write-docs` -->"
TABLE_END = "<!-- /settings-table -->"


def _type_text(annotation: Any, metadata: list) -> str:
    if annotation is SecretStr:
        return "secret"
    origin = get_origin(annotation)
    if origin is Literal:
        return " \\| ".join(f"`{a}`" if a else "(empty)" for a in get_args(annotation))
    if origin in (Union, types.UnionType):
        return " or ".join(_type_text(a, []) for a in get_args(annotation))
    name = {int: "int", float: "float", str: "text", Path: "path", date: "date"}.get(
        annotation, getattr(annotation, "__name__", str(annotation))
    )
    bounds = []
    for m in metadata:
        for attr, sign in (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<")):
            if getattr(m, attr, None) is not None:
                bounds.append(f"{sign} {getattr(m, attr):g}")
    return name + (f" {', '.join(bounds)}" if bounds else "")


def _default_text(value: Any) -> str:
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if value in ("", None):
        return "—"
    if isinstance(value, date):
        return f"`{value.isoformat()}`"
    return f"`{value}`"


def markdown_table() -> str:
    """Every variable the models read: name, group, type or choices, default, meaning."""
    rows = [
        "| variable | group | type | default | meaning |",
        "|---|---|---|---|---|",
    ]
    for group in GROUPS:
        label = group.__name__.removesuffix("Settings").lower()
        for field, info in group.model_fields.items():
            if field not in group.__annotations__:
                continue  # declared by another group
            cells = [
                f"`{ENV_NAMES[field]}`",
                label,
                _type_text(info.annotation, info.metadata),
                _default_text(info.default),
                (info.description or "").replace("|", "\\|"),
            ]
            rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"


def docs_table(text: str) -> str:
    """The generated table as it stands in a docs page (between its markers)."""
    start = text.index(TABLE_START) + len(TABLE_START)
    return text[start : text.index(TABLE_END)].strip("\n") + "\n"


def write_docs(path: Path = DOCS_FILE) -> bool:
    """Rewrite the table in docs/operations.md from the models; whether it changed."""
    text = path.read_text()
    start = text.index(TABLE_START) + len(TABLE_START)
    new = text[:start] + "\n" + markdown_table() + text[text.index(TABLE_END) :]
    if new != text:
        path.write_text(new)
    return new != text


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args == ["--markdown"]:
        sys.stdout.write(markdown_table())
        return 0
    if args == ["--write-docs"]:
        print(f"{DOCS_FILE}: {'rewritten' if write_docs() else 'already up to date'}")
        return 0
    if args == ["--check"]:
        try:
            load_settings()
        except SettingsError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print("settings are valid")
        return 0
    print(
        "usage: python -m pipelines.settings --markdown | --write-docs | --check", file=sys.stderr
    )
    return 2


if __name__ == "__main__":
    sys.exit(main())
