"""Listings as tenants submit them, refused listing records, and listing scores."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
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
)

from pipelines.db.schema.base import metadata
from pipelines.db.types import Timestamp

# ---- Listings (docs/domain.md#listings). change_seq comes from listing_seq, taken under a row
# lock in the
# writing transaction, so sequence order is commit order: the new-listings sensor's cursor
# can never skip a listing that commits late.
listing_seq = Table(
    "listing_seq",
    metadata,
    Column("name", String(20), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

listings = Table(
    "listings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id"), nullable=False),
    Column("external_id", String(100), nullable=False),
    Column("address", Text, nullable=False),
    Column("city", Text, nullable=False),
    Column("zip", String(5), nullable=False),
    Column("price", Numeric(14, 2), nullable=False),
    Column("listing_type", String(12), nullable=False),
    Column("bedrooms", Integer),
    Column("bathrooms", Float),
    Column("sqft", Integer),
    Column("year_built", Integer),
    Column("estimated_rent", Numeric(12, 2)),
    Column("folio", String(13)),
    Column("listed_at", Timestamp(), nullable=False),
    Column("content_sha256", String(64), nullable=False),
    Column("change_seq", BigInteger, nullable=False),
    Column("source", String(10), nullable=False),  # cli | inbox | http | demo
    Column("source_file", Text),
    Column("source_line", Integer),
    Column("created_at", Timestamp(), nullable=False),
    Column("updated_at", Timestamp(), nullable=False),
    UniqueConstraint("tenant_id", "external_id"),
    Index(None, "change_seq"),
    Index(None, "tenant_id", "zip"),
)

# Listing records refused at intake: file, line and reason (nothing is dropped silently).
listing_quarantine = Table(
    "listing_quarantine",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id"), nullable=False),
    Column("source", String(10), nullable=False),
    Column("source_file", Text),
    Column("source_sha256", String(64)),
    Column("line_no", Integer),
    Column("raw", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", Timestamp(), nullable=False),
    UniqueConstraint("tenant_id", "source_sha256", "line_no"),
)

listing_scores = Table(
    "listing_scores",
    metadata,
    Column("listing_id", Integer, ForeignKey("listings.id"), primary_key=True),
    Column("tenant_id", Integer, nullable=False),
    Column("change_seq", BigInteger, nullable=False),  # the listing version this score is for
    Column("score", Integer, nullable=False),
    Column("roi", Float),
    Column("cap_rate", Float),
    Column("breakdown", Text, nullable=False),  # JSON
    Column("reasoning", Text, nullable=False),
    Column("scorer", String(80), nullable=False),  # rules | the AI model id
    Column("prompt_sha256", String(64)),
    Column("fallback_reason", Text),
    Column("scored_at", Timestamp(), nullable=False),
)
