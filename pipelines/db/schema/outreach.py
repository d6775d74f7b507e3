"""SMS, voice and webhook outreach: phones attached to leads, the opt-out list, outreach
requests, compliance blocks and the log of every provider attempt per channel."""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from pipelines.db.schema.base import metadata
from pipelines.db.types import Timestamp

# A phone a tenant attached to a lead (CSV import or PUT /leads/{id}/contact).
lead_contacts = Table(
    "lead_contacts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id"), nullable=False),
    Column("lead_id", Integer, nullable=False),
    Column("name", Text),
    Column("phone", String(16), nullable=False),  # E.164
    Column("updated_at", Timestamp(), nullable=False),
    UniqueConstraint("tenant_id", "lead_id"),
)

# Numbers that said STOP (or were added by an operator). Global: a STOP to our number
# applies to every tenant's messages.
opt_outs = Table(
    "opt_outs",
    metadata,
    Column("phone", String(16), primary_key=True),
    Column("source", String(10), nullable=False),  # inbound | operator
    Column("created_at", Timestamp(), nullable=False),
)

# The per-number daily cap (docs/domain.md#compliance): how many SMS and calls are planned
# for a number on one of its recipient's days. A message takes its slot with one conditional
# UPDATE (`used < cap`) in the transaction that queues it, so concurrent requests cannot
# pass the cap together (PostgreSQL row-locks and re-checks; SQLite has one writer).
outreach_daily_counts = Table(
    "outreach_daily_counts",
    metadata,
    Column("phone", String(16), primary_key=True),
    Column("day", Date, primary_key=True),  # the recipient's local date
    Column("used", Integer, nullable=False),
    CheckConstraint("used >= 0", name="ck_outreach_daily_counts_used"),
)

# A subscriber-initiated SMS or call. The idempotency key (the client's Idempotency-Key
# header) is unique per tenant, beside the SHA-256 of the request's canonical body: a replay
# of the same body gets the first answer again, another body under the key is refused.
outreach_requests = Table(
    "outreach_requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id"), nullable=False),
    Column("subscriber_id", Integer, nullable=False),
    Column("channel", String(8), nullable=False),
    Column("to_phone", String(16), nullable=False),
    Column("lead_id", Integer),
    Column("template", String(40), nullable=False),
    Column("idempotency_key", String(120)),
    Column("body_sha256", String(64)),
    Column("notification_id", Integer),
    Column("created_at", Timestamp(), nullable=False),
    UniqueConstraint("tenant_id", "idempotency_key"),
)

# Every message the compliance screen stopped or deferred, with the rule.
compliance_blocks = Table(
    "compliance_blocks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", Integer, nullable=False),
    Column("notification_id", Integer),
    Column("channel", String(8), nullable=False),
    Column("to_phone", String(16), nullable=False),
    Column("rule", String(20), nullable=False),  # opt_out | quiet_hours | daily_cap | tokens
    Column("action", String(10), nullable=False),  # refused | deferred | blocked
    Column("detail", Text, nullable=False),
    Column("created_at", Timestamp(), nullable=False),
    Index(None, "tenant_id", "id"),
)
