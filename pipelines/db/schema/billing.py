"""The token ledger: one balance row per tenant and the append-only entries behind it."""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from pipelines.db.schema.base import metadata
from pipelines.db.types import Timestamp

# The tenant's balance as two counters, changed only in the same transaction as the ledger
# entry that explains the change. The CHECKs are the last line of defence: a spend that would
# take `available` below zero fails inside the database, whatever the code above it does.
token_accounts = Table(
    "token_accounts",
    metadata,
    Column("tenant_id", Integer, ForeignKey("tenants.id"), primary_key=True),
    Column("available", Integer, nullable=False),  # free to reserve
    Column("reserved", Integer, nullable=False),  # held by open reservations
    Column("updated_at", Timestamp(), nullable=False),
    CheckConstraint("available >= 0", name="ck_token_accounts_available"),
    CheckConstraint("reserved >= 0", name="ck_token_accounts_reserved"),
)

# docs/domain.md#tokens. entry: grant | reserve | capture | release | expire. `tokens` is
# always positive; the entry says which way it moves. A capture or release names its
# reservation (`reservation_id`), an expire names its grant (`grant_id`). The unique
# idempotency key is what makes a replayed step charge or refund nothing twice; a
# reservation's settlement (capture or release) is keyed `settle:<reservation id>`, so a
# reservation can be settled once only, either way.
token_ledger = Table(
    "token_ledger",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id"), nullable=False),
    Column("entry", String(8), nullable=False),
    Column("tokens", Integer, nullable=False),
    Column("idempotency_key", String(120), nullable=False, unique=True),
    Column("grant_kind", String(10)),  # purchase | trial | manual (grants only)
    Column("expires_at", Timestamp()),  # grants only; NULL: never
    Column("reservation_id", Integer),  # capture / release: the reserve entry
    Column("grant_id", Integer),  # expire: the grant entry
    Column("channel", String(8)),  # reserve: what the tokens are for
    Column("notification_id", Integer),  # reserve: the outbox message paying for it
    Column("reason", Text),
    Column("created_at", Timestamp(), nullable=False),
    CheckConstraint("tokens > 0", name="ck_token_ledger_tokens"),
    Index(None, "tenant_id", "id"),
    Index(None, "entry", "expires_at"),
    Index(None, "reservation_id"),
)

# Every signed Stripe event we were sent, once per event id, and what became of it:
# `granted` (the grant's ledger entry is `grant_id`), `refused` (it could not be used:
# `reason` says why, nothing was written but this row) or `ignored` (a type we do not act
# on). Stripe is answered 2xx for all three, so it stops redelivering; an operator reads the
# refusals (`folio tokens purchases`). `event_id` is NULL when the event's own id was
# unusable (then there is nothing to key a redelivery by).
stripe_events = Table(
    "stripe_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(100), unique=True),
    Column("event_type", String(100)),
    Column("outcome", String(8), nullable=False),
    Column("reason", Text),
    Column("tenant_id", Integer),
    Column("tokens", Integer),
    Column("grant_id", Integer),
    Column("received_at", Timestamp(), nullable=False),
    CheckConstraint(
        "outcome IN ('granted', 'refused', 'ignored')", name="ck_stripe_events_outcome"
    ),
    Index(None, "received_at"),
)
