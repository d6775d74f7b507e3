"""A tenant's API keys: several per tenant, each labelled, listed by its first characters,
revocable, with the time it was last used (docs/domain.md#tenancy).

A key is shown once, when it is issued, and stored only as its sha256: a database that
leaks gives no working key.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import Connection, Engine, or_, select, update

from pipelines import clock
from pipelines.db.schema import api_keys, tenants

PREFIX = "folio_"
SHOWN = len(PREFIX) + 4  # the characters a list shows: enough to tell keys apart
# A key's last use is written at most this often (a busy program would write every request).
LAST_USED_EVERY = timedelta(minutes=1)


class UnknownKey(LookupError):
    """No such key for this tenant (or it is revoked already); the message says which."""


def key_hash(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def issue_key(conn: Connection, tenant_id: int, label: str) -> tuple[int, str]:
    """A new key for the tenant: (its id, the key, shown this once)."""
    api_key = PREFIX + secrets.token_urlsafe(24)
    key_id = conn.execute(
        api_keys.insert().values(
            tenant_id=tenant_id,
            key_sha256=key_hash(api_key),
            prefix=api_key[:SHOWN],
            label=label.strip() or "unlabelled",
            created_at=clock.now(),
        )
    ).inserted_primary_key[0]
    return key_id, api_key


def list_keys(engine: Engine, tenant_id: int) -> list[dict]:
    k = api_keys.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(k.id, k.prefix, k.label, k.created_at, k.last_used_at, k.revoked_at)
            .where(k.tenant_id == tenant_id)
            .order_by(k.id)
        ).mappings()
        return [dict(r) for r in rows]


def revoke_key(engine: Engine, tenant_id: int, key_id: int) -> None:
    """Revoke one of the tenant's keys: it stops working at once. Raises UnknownKey when the
    tenant has no such key, or it is revoked already."""
    k = api_keys.c
    with engine.begin() as conn:
        done = conn.execute(
            update(api_keys)
            .where(k.id == key_id, k.tenant_id == tenant_id, k.revoked_at.is_(None))
            .values(revoked_at=clock.now())
        ).rowcount
    if not done:
        raise UnknownKey(f"no key {key_id} in use for this tenant (see `folio tenants key list`)")


def tenant_for_key(engine: Engine, api_key: str) -> dict | None:
    """The tenant an unrevoked key belongs to (None otherwise), noting the key's use."""
    k, now = api_keys.c, clock.now()
    with engine.connect() as conn:
        row = conn.execute(
            select(tenants.c.id, tenants.c.slug, k.id.label("key_id"), k.last_used_at)
            .join(tenants, tenants.c.id == k.tenant_id)
            .where(k.key_sha256 == key_hash(api_key), k.revoked_at.is_(None))
        ).first()
    if row is None:
        return None
    last = row.last_used_at
    if last is not None and last.tzinfo is None:  # SQLite returns naive UTC
        last = last.replace(tzinfo=now.tzinfo)
    if last is None or now - last >= LAST_USED_EVERY:
        with engine.begin() as conn:
            conn.execute(
                update(api_keys)
                .where(
                    k.id == row.key_id,
                    or_(k.last_used_at.is_(None), k.last_used_at <= now - LAST_USED_EVERY),
                )
                .values(last_used_at=now)
            )
    return {"id": row.id, "slug": row.slug}
