"""Tenants (customers): each owns its listings, subscribers and API key.

A tenant's API key is shown once at creation and stored only as its sha256; the HTTP
intake finds the tenant by hashing the key it is given.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import Engine, select

from pipelines import clock
from pipelines.db.schema import tenants


class SetupError(ValueError):
    """A set-up request that cannot be honoured; the message says which value and why."""


def _now() -> datetime:
    return clock.now()


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
        tenant_id = conn.execute(
            tenants.insert().values(
                slug=slug, name=name or slug, api_key_sha256=key_hash(api_key), created_at=_now()
            )
        ).inserted_primary_key[0]
    return tenant_id, api_key


def get_tenant(engine: Engine, slug: str) -> dict:
    with engine.connect() as conn:
        row = conn.execute(
            select(tenants.c.id, tenants.c.slug, tenants.c.name).where(tenants.c.slug == slug)
        ).first()
    if row is None:
        raise SetupError(f"no tenant {slug!r} (create it with `folio tenants add {slug}`)")
    return dict(row._mapping)


def tenant_for_key(engine: Engine, api_key: str) -> dict | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(tenants.c.id, tenants.c.slug).where(
                tenants.c.api_key_sha256 == key_hash(api_key)
            )
        ).first()
    return dict(row._mapping) if row else None


def list_tenants(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        rows = (
            conn.execute(
                select(tenants.c.id, tenants.c.slug, tenants.c.name, tenants.c.created_at).order_by(
                    tenants.c.id
                )
            )
            .mappings()
            .all()
        )
    return [dict(r) for r in rows]
