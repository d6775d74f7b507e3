"""Tenants (customers), their subscribers and each subscriber's alert criteria.
Every tenant-owned row carries tenant_id."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

from pipelines.db.schema.base import metadata
from pipelines.db.types import Timestamp

# ---- Tenants, subscribers and their alert criteria (docs/domain.md#tenancy: every tenant-owned row
# carries tenant_id).
tenants = Table(
    "tenants",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("slug", String(40), nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("created_at", Timestamp(), nullable=False),
    # Where the webhook channel posts (the tenant's endpoint or a Slack incoming webhook),
    # and the secret its X-Folio-Signature is computed with (shown to the tenant once).
    Column("webhook_url", Text),
    Column("webhook_secret", String(64)),
)

# A tenant's API keys (several: one per program or person, each revocable). The key itself
# is never stored: its sha256 finds the tenant, its first characters tell keys apart in a list.
api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id"), nullable=False),
    Column("key_sha256", String(64), nullable=False, unique=True),
    Column("prefix", String(16)),  # e.g. folio_Ab3d: NULL for keys made before keys were listed
    Column("label", Text, nullable=False),
    Column("created_at", Timestamp(), nullable=False),
    Column("last_used_at", Timestamp()),
    Column("revoked_at", Timestamp()),
)

subscribers = Table(
    "subscribers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id"), nullable=False),
    Column("name", Text),
    Column("email", Text, nullable=False),
    Column("phone", String(20)),
    Column("time_zone", String(40), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", Timestamp(), nullable=False),
    # Set by the unsubscribe link: no alert, digest or report is sent to them after it.
    Column("unsubscribed_at", Timestamp()),
    # Set when the subscriber proves the phone is theirs (a code sent to it, checked), cleared
    # when the phone changes: SMS alerts go only to a verified phone.
    Column("phone_verified_at", Timestamp()),
    UniqueConstraint("tenant_id", "email"),
)

# One per verification started (POST /verify, `folio subscribers verify-phone`): the code is
# never kept, only its keyed hash (pipelines/notify/verify_codes.py); `sealed_code` carries it
# to the outbox's SMS and is erased once that SMS is rendered or the verification ends. A
# `pending` row past `expires_at` is dead already (`expired` is written when a check meets it).
phone_verifications = Table(
    "phone_verifications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id"), nullable=False),
    Column("subscriber_id", Integer, ForeignKey("subscribers.id"), nullable=False),
    Column("phone", String(16), nullable=False),  # E.164, the number the code went to
    Column("salt", String(32), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("sealed_code", String(12)),
    Column("attempts", Integer, nullable=False),  # codes checked, right or wrong
    # pending | verified | failed (attempts used up) | expired | replaced (by a newer one) |
    # cancelled (the phone changed)
    Column("state", String(10), nullable=False),
    Column("notification_id", Integer),
    Column("created_at", Timestamp(), nullable=False),
    Column("expires_at", Timestamp(), nullable=False),
    Column("verified_at", Timestamp()),
    CheckConstraint("attempts >= 0 AND attempts <= 5", name="ck_phone_verifications_attempts"),
    Index(None, "phone", "created_at"),
    Index(None, "subscriber_id", "id"),
)

# One row per subscriber; list-valued criteria are JSON arrays (NULL: any).
alert_criteria = Table(
    "alert_criteria",
    metadata,
    Column("subscriber_id", Integer, ForeignKey("subscribers.id"), primary_key=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id"), nullable=False),
    Column("min_score", Integer, nullable=False),
    Column("max_price", Numeric(14, 2)),
    Column("min_roi", Float),
    Column("cities", Text),
    Column("zip_codes", Text),
    Column("listing_types", Text),
    Column("lead_types", Text),
    Column("channels", Text, nullable=False),
    Column("digest_only", Boolean, nullable=False),  # delivery != instant (read by matching)
    Column("delivery", String(10), nullable=False, server_default="instant"),
    Column("hot_at_once", Boolean, nullable=False, server_default=false()),
    Column("hot_min_score", Integer),  # NULL: FOLIO_HOT_LEAD_MIN_SCORE
    # Taken from the `criteria` counter at every write (pipelines/db/sequences.py): the lead
    # alerts sensor matches the open leads for criteria written past its cursor.
    Column("criteria_seq", BigInteger),
    Column("updated_at", Timestamp(), nullable=False),
)
