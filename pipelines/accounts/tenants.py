"""Tenants (customers): each owns its listings, subscribers and API keys.

A tenant is made with its first API key (pipelines/accounts/api_keys.py), shown once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select

from pipelines import clock
from pipelines.accounts.api_keys import issue_key
from pipelines.db.schema import tenants


class SetupError(ValueError):
    """A set-up request that cannot be honoured; the message says which value and why."""


def _now() -> datetime:
    return clock.now()


def add_tenant(engine: Engine, slug: str, name: str) -> tuple[int, str]:
    """Create a tenant with its first API key; returns (id, api_key). The key is not stored
    and cannot be shown again (`folio tenants key issue` makes another)."""
    if not slug or not all(c.isalnum() or c in "-_" for c in slug) or len(slug) > 40:
        raise SetupError(f"slug {slug!r}: use 1–40 letters, digits, '-' or '_'")
    with engine.begin() as conn:
        if conn.execute(select(tenants.c.id).where(tenants.c.slug == slug)).first():
            raise SetupError(f"tenant {slug!r} already exists")
        tenant_id = conn.execute(
            tenants.insert().values(slug=slug, name=name or slug, created_at=_now())
        ).inserted_primary_key[0]
        _, api_key = issue_key(conn, tenant_id, "first key")
    return tenant_id, api_key


def get_tenant(engine: Engine, slug: str) -> dict:
    with engine.connect() as conn:
        row = conn.execute(
            select(tenants.c.id, tenants.c.slug, tenants.c.name).where(tenants.c.slug == slug)
        ).first()
    if row is None:
        raise SetupError(f"no tenant {slug!r} (create it with `folio tenants add {slug}`)")
    return dict(row._mapping)


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
