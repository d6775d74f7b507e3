"""Tenants, their subscribers and alert criteria: the set-up a paying customer does once.

A tenant's API key is shown once at creation and stored only as its sha256; the HTTP
intake finds the tenant by hashing the key it is given. Criteria are validated with
pydantic so a bad value is refused with the field's name, never stored.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime, timezone
from decimal import Decimal
from typing import Literal
from zoneinfo import available_timezones

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import Connection, Engine, select

from pipelines.settings import get_settings
from pipelines.store.tables import alert_criteria, subscribers, tenants
from pipelines.store.upsert import upsert

LISTING_TYPES = ("sale", "rent", "auction", "foreclosure")
LEAD_TYPES = ("new_homeowner", "foreclosure", "probate", "eviction", "lien", "judgment")
CHANNELS = ("email", "sms", "voice", "webhook")


class SetupError(ValueError):
    """A set-up request that cannot be honoured; the message says which value and why."""


def _now() -> datetime:
    return datetime.now(timezone.utc)


def key_hash(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def add_tenant(engine: Engine, slug: str, name: str) -> tuple[int, str]:
    """Create a tenant; returns (id, api_key). The key is not stored and cannot be shown again."""
    if not slug or not all(c.isalnum() or c in "-_" for c in slug) or len(slug) > 40:
        raise SetupError(f"slug {slug!r}: use 1–40 letters, digits, '-' or '_'")
    api_key = "folio_" + secrets.token_urlsafe(24)
    with engine.begin() as conn:
        if conn.execute(select(tenants.c.id).where(tenants.c.slug == slug)).first():
            raise SetupError(f"tenant {slug!r} already exists")
        tenant_id = conn.execute(tenants.insert().values(
            slug=slug, name=name or slug, api_key_sha256=key_hash(api_key), created_at=_now())).inserted_primary_key[0]
    return tenant_id, api_key


def get_tenant(engine: Engine, slug: str) -> dict:
    with engine.connect() as conn:
        row = conn.execute(select(tenants.c.id, tenants.c.slug, tenants.c.name).where(tenants.c.slug == slug)).first()
    if row is None:
        raise SetupError(f"no tenant {slug!r} (create it with `folio tenants add {slug}`)")
    return dict(row._mapping)


def tenant_for_key(engine: Engine, api_key: str) -> dict | None:
    with engine.connect() as conn:
        row = conn.execute(select(tenants.c.id, tenants.c.slug)
                           .where(tenants.c.api_key_sha256 == key_hash(api_key))).first()
    return dict(row._mapping) if row else None


class Criteria(BaseModel):
    """A subscriber's alert criteria (SPEC §2). Lists left empty mean "any"; county leads
    are opt-in: a subscriber only hears about them once `lead_types` names some."""

    model_config = ConfigDict(extra="forbid")

    min_score: int = Field(default_factory=lambda: get_settings().default_min_score, ge=0, le=100)
    max_price: Decimal | None = Field(default=None, gt=0)
    min_roi: float | None = Field(default=None, ge=0, le=100)
    cities: list[str] | None = None
    zip_codes: list[str] | None = None
    listing_types: list[Literal["sale", "rent", "auction", "foreclosure"]] | None = None
    lead_types: list[Literal["new_homeowner", "foreclosure", "probate", "eviction", "lien", "judgment"]] | None = None
    channels: list[Literal["email", "sms", "voice", "webhook"]] = Field(default_factory=lambda: ["email"], min_length=1)
    digest_only: bool = False

    @field_validator("cities")
    @classmethod
    def _upper(cls, v):
        if v is None:
            return None
        return sorted({c.strip().upper() for c in v if c.strip()}) or None

    @field_validator("zip_codes")
    @classmethod
    def _zips(cls, v):
        if v is None:
            return None
        bad = [z for z in v if not (len(z) == 5 and z.isdigit())]
        if bad:
            raise ValueError(f"zip codes are 5 digits: {bad}")
        return sorted(set(v)) or None

    def row(self) -> dict:
        def js(v):
            return json.dumps(sorted(v)) if v else None

        return {"min_score": self.min_score, "max_price": self.max_price, "min_roi": self.min_roi,
                "cities": js(self.cities), "zip_codes": js(self.zip_codes),
                "listing_types": js(self.listing_types), "lead_types": js(self.lead_types),
                "channels": json.dumps(sorted(set(self.channels))), "digest_only": self.digest_only}

    @classmethod
    def from_row(cls, row: dict) -> Criteria:
        def lst(v):
            return json.loads(v) if v else None

        return cls(min_score=row["min_score"], max_price=row["max_price"], min_roi=row["min_roi"],
                   cities=lst(row["cities"]), zip_codes=lst(row["zip_codes"]),
                   listing_types=lst(row["listing_types"]), lead_types=lst(row["lead_types"]),
                   channels=json.loads(row["channels"]), digest_only=bool(row["digest_only"]))


def add_subscriber(engine: Engine, tenant_id: int, email: str, name: str | None = None,
                   phone: str | None = None, time_zone: str = "America/New_York") -> int:
    """Create a subscriber with default criteria and queue their welcome email."""
    from pipelines.notify.queue import queue_welcome

    if "@" not in email or email.startswith("@") or email.endswith("@"):
        raise SetupError(f"email {email!r} is not an email address")
    if time_zone not in available_timezones():
        raise SetupError(f"time_zone {time_zone!r} is not an IANA time zone (e.g. America/New_York)")
    with engine.begin() as conn:
        exists = conn.execute(select(subscribers.c.id).where(
            subscribers.c.tenant_id == tenant_id, subscribers.c.email == email.lower())).first()
        if exists:
            raise SetupError(f"subscriber {email} already exists in this tenant (id {exists[0]})")
        sub_id = conn.execute(subscribers.insert().values(
            tenant_id=tenant_id, name=name, email=email.lower(), phone=phone, time_zone=time_zone,
            active=True, created_at=_now())).inserted_primary_key[0]
        _write_criteria(conn, tenant_id, sub_id, Criteria())
        queue_welcome(conn, tenant_id, sub_id)
    return sub_id


def _write_criteria(conn: Connection, tenant_id: int, subscriber_id: int, criteria: Criteria) -> None:
    upsert(conn, alert_criteria, [{"subscriber_id": subscriber_id, "tenant_id": tenant_id, **criteria.row(),
                                   "updated_at": _now()}], ["subscriber_id"],
           ["min_score", "max_price", "min_roi", "cities", "zip_codes", "listing_types", "lead_types",
            "channels", "digest_only", "updated_at"])


def set_criteria(engine: Engine, tenant_id: int, subscriber_id: int, criteria: Criteria) -> None:
    with engine.begin() as conn:
        owner = conn.execute(select(subscribers.c.tenant_id).where(subscribers.c.id == subscriber_id)).scalar()
        if owner != tenant_id:  # also "no such subscriber": never reveal another tenant's ids
            raise SetupError(f"no subscriber {subscriber_id} in this tenant")
        _write_criteria(conn, tenant_id, subscriber_id, criteria)


def list_subscribers(engine: Engine, tenant_id: int) -> list[dict]:
    q = (select(subscribers, alert_criteria).join(alert_criteria, alert_criteria.c.subscriber_id == subscribers.c.id)
         .where(subscribers.c.tenant_id == tenant_id).order_by(subscribers.c.id))
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]
