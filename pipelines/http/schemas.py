"""What every API route answers, as pydantic models: the `response_model`s and the documented
error bodies of /openapi.json.

The models describe the bodies the handlers have always returned, key for key: a view with a
key the model does not name is refused (`extra="forbid"`: a 500 in tests, not a key silently
dropped), and a key that is sometimes absent is declared so (never sent as null). Timestamps
the views already turned into text stay `str`; raw database rows (dead letters, scheduled
jobs) keep `datetime`, serialised as before.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- errors (documented only: the handlers answer them with HTTPException / JSONResponse) ---


class Problem(Body):
    detail: str


class FieldError(BaseModel):
    """One bad field, as FastAPI reports it (`input`, `ctx` and `url` may come too)."""

    model_config = ConfigDict(extra="allow")
    loc: list[str | int]
    type: str
    msg: str


class FieldProblems(Body):
    detail: list[FieldError]


class ShortOfTokens(Body):
    detail: str
    balance: int
    needed: int


def _doc(model: type[BaseModel], description: str) -> dict:
    return {"model": model, "description": description}


TENANT_KEY = {401: _doc(Problem, "missing, unknown or revoked X-API-Key")}
ADMIN_KEY = {
    401: _doc(Problem, "missing or wrong admin key (X-Admin-Key, or the HTTP Basic password)"),
    503: _doc(Problem, "FOLIO_ADMIN_API_KEY is not set: admin is off"),
}
TOO_LARGE = {413: _doc(Problem, "request body over the 1,000,000-byte limit")}
INVALID = {422: _doc(FieldProblems, "a field is invalid (one entry per bad field)")}


def not_found(what: str) -> dict:
    return {404: _doc(Problem, f"no such {what} (another tenant's is the same as none)")}


# --- health, listings ---


class Health(Body):
    status: Literal["ok", "unhealthy"]
    database: str = Field(description='"ok", or why the database cannot be reached')


class ListingSaved(Body):
    id: int
    external_id: str
    status: str = Field(description="created (201), or updated / unchanged (200)")


class ListingScore(Body):
    score: int
    roi: float | None
    cap_rate: float | None
    breakdown: dict[str, Any]
    reasoning: str
    scorer: str
    fallback_reason: str | None
    current: bool = Field(description="scored for the listing as it is now")
    scored_at: str


class ListingAlert(Body):
    subscriber_id: int
    channel: str
    state: str
    attempts: int
    sent_at: str | None


class Listing(Body):
    id: int
    external_id: str
    address: str
    city: str
    zip: str
    price: float
    listing_type: str
    bedrooms: int | None
    bathrooms: float | None
    sqft: int | None
    year_built: int | None
    estimated_rent: float | None
    folio: str | None
    listed_at: str
    change_seq: int
    source: str
    source_file: str | None
    source_line: int | None
    created_at: str
    updated_at: str
    score: ListingScore | None
    alerts: list[ListingAlert]


# --- leads ---


class LeadProperty(Body):
    address: str | None
    city: str | None
    zip: str | None
    owner_name: str | None
    last_sale_date: str | None
    last_sale_price: float | None


class LeadSource(Body):
    asset: str
    document: str
    file: str
    line: int


class LeadScoreBreakdown(Body):
    """The parts of the lead's score; they add up to it."""

    base_score: int
    stacking_bonus: int
    equity_bonus: int
    ownership_bonus: int
    freshness_bonus: int
    engagement_bonus: int
    absentee_bonus: int
    scored_on: str


class LeadBaseScore(Body):
    """A lead not rescored yet: its base score only."""

    base_score: int


class Lead(Body):
    id: int
    folio: str
    lead_type: str
    product: str
    score: float
    priority: str
    status: str
    lead_date: str
    case_number: str | None
    contact_name: str | None
    contact_address: str | None
    property: LeadProperty
    source: LeadSource
    breakdown: LeadScoreBreakdown | LeadBaseScore


class Leads(Body):
    leads: list[Lead]
    count: int


# --- lookups ---


class Property(BaseModel):
    """A property as our data has it (stored with the lookup: older answers may carry more)."""

    model_config = ConfigDict(extra="allow")
    folio: str
    address: str | None
    city: str | None
    zip: str | None
    owner_name: str | None
    last_sale_date: str | None
    last_sale_price: float | None
    last_transaction_type: str | None
    last_transaction_date: str | None
    first_seen_at: str
    updated_at: str


class LookupQueryShown(Body):
    kind: str
    value: str


class Lookup(Body):
    id: int
    state: str = Field(description="queued, running, done, failed or refused")
    query: LookupQueryShown
    progress: int
    attempts: int
    result: Property | None
    error: str | None
    created_at: str
    finished_at: str | None


class LookupQueued(Body):
    id: int
    state: Literal["queued"]


class LookupCached(Body):
    source: Literal["cache"]
    property: Property


class LookupAnswered(Body):
    """A lookup finished within `?wait=`: the request, and its property (null: none found)."""

    source: Literal["records_api"]
    id: int
    state: str = Field(description="done or failed")
    query: LookupQueryShown
    progress: int
    attempts: int
    result: Property | None
    error: str | None
    created_at: str
    finished_at: str | None
    property: Property | None


class LookupRefused(Body):
    id: int
    state: Literal["refused"]
    detail: str
    resets_at: str


# --- reports ---


class ReportQueued(Body):
    id: int
    state: Literal["queued"]


class ReportRequest(Body):
    id: int
    kind: str
    format: str
    params: dict[str, Any]
    state: str
    progress: int
    attempts: int
    error: str | None
    report_id: int | None
    sha256: str | None
    bytes: int | None
    url: str | None = Field(description="the signed download link, once ready")


# --- tokens, outreach, contacts, verification ---


class ExpiringTokens(Body):
    tokens: int
    expires_at: str
    kind: str


class Tokens(Body):
    available: int
    reserved: int
    expiring_soon: list[ExpiringTokens]


class OutreachAttempt(Body):
    attempt: int
    status: str
    error: str | None
    at: str


class Outreach(Body):
    id: int
    channel: str
    to: str
    lead_id: int | None
    template: str
    state: str
    delivery_status: str | None
    tokens_reserved: int | None
    not_before: str | None
    error: str | None
    attempts: list[OutreachAttempt]


class OutreachListed(Body):
    kind: str = Field(description="request (polled at /outreach/{id}) or refusal")
    id: int
    state: str = Field(description="the message's state; refused: it never went")
    channel: str
    to: str = Field(description="the number, masked")
    lead_id: int | None = None
    rule: str | None = Field(
        default=None, description="why it was refused: tokens, opt_out, quiet_hours, …"
    )
    detail: str | None
    at: str


class OutreachList(Body):
    outreach: list[OutreachListed]
    count: int


class Contact(Body):
    lead_id: int
    phone: str
    name: str | None


class VerificationStarted(Body):
    verification_id: int
    to: str = Field(description="the number, masked")
    expires_at: str
    attempts_left: int
    tokens_reserved: int


class VerificationChecked(Body):
    verification_id: int
    verified: bool
    attempts_left: int
    phone_verified_at: str | None


class WrongCode(VerificationChecked):
    detail: list[FieldError]

    model_config = ConfigDict(extra="forbid")


# --- provider callbacks (outside the schema: signed by the provider, not by a key) ---


class StripeOutcome(Body):
    event: str | None
    granted: bool
    tokens: int
    outcome: str
    reason: str | None


class TwilioStatusResult(Body):
    result: str


# --- admin ---


class QueueStats(Body):
    waiting: int
    active: int
    delayed: int
    succeeded_1h: int
    failed_1h: int
    failed_rate_1h: float | None
    p50_seconds_1h: float | None
    p95_seconds_1h: float | None
    succeeded_24h: int
    failed_24h: int
    failed_rate_24h: float | None
    p50_seconds_24h: float | None
    p95_seconds_24h: float | None


class Queues(Body):
    queues: dict[str, QueueStats] = Field(description="per job name")


class JobProgress(Body):
    unit: Literal["steps", "partitions"]
    done: int
    total: int


class Job(Body):
    run_id: str
    job: str
    state: str = Field(description="waiting, active, completed, failed or canceled")
    status: str = Field(description="Dagster's run status")
    partition: str
    progress: JobProgress
    attempts: int
    max_attempts: int
    failure: str | None
    started_at: float | None = Field(description="Unix time")
    ended_at: float | None = Field(description="Unix time")
    retry_of: str | None


class RetryQueued(Body):
    retry_of: str
    run_id: str
    state: Literal["queued"]
    # Only when no dagster-daemon serves the instance: absent, never null.
    waiting: str | SkipJsonSchema[None] = None


class DeadLetterRetryQueued(Body):
    id: int
    retry_of: str
    run_id: str
    state: Literal["queued"]
    waiting: str | SkipJsonSchema[None] = None


class JobCanceled(Body):
    run_id: str
    state: str = Field(description="CANCELED or CANCELING")


class DeadLetter(Body):
    id: int
    run_id: str
    job_name: str
    partition_key: str | None
    tags: str = Field(description="the run's tags, as JSON text")
    error_class: str | None
    error_message: str | None
    attempts: int
    first_failure_at: datetime
    last_failure_at: datetime
    status: str
    retry_run_id: str | None
    resolved_run_id: str | None
    resolved_at: datetime | None
    discard_reason: str | None
    alerted: bool


class DeadLetters(Body):
    entries: list[DeadLetter]


class Discarded(Body):
    id: int
    status: Literal["discarded"]
    why: str


class ScheduledJob(Body):
    id: int
    job_name: str
    run_at: datetime
    run_config: dict[str, Any]
    partition_key: str | None
    status: str
    run_key: str | None
    created_at: datetime
    launched_at: datetime | None


class Scheduled(Body):
    scheduled: list[ScheduledJob]


class ScheduledCanceled(Body):
    id: int
    status: Literal["canceled"]
