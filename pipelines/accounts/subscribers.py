"""A tenant's subscribers (who gets alerts) and their stored criteria."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import available_timezones

from sqlalchemy import Connection, Engine, select

from pipelines import clock
from pipelines.accounts.criteria import Criteria
from pipelines.accounts.tenants import SetupError
from pipelines.db import sequences
from pipelines.db.schema import alert_criteria, subscribers
from pipelines.db.upsert import upsert


def _now() -> datetime:
    return clock.now()


def insert_subscriber(
    conn: Connection,
    tenant_id: int,
    email: str,
    name: str | None = None,
    phone: str | None = None,
    time_zone: str = "America/New_York",
) -> int:
    """Create a subscriber with default criteria, in the caller's transaction."""
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        raise SetupError(f"email {email!r} is not an email address")
    if time_zone not in available_timezones():
        raise SetupError(
            f"time_zone {time_zone!r} is not an IANA time zone (e.g. America/New_York)"
        )
    exists = conn.execute(
        select(subscribers.c.id).where(
            subscribers.c.tenant_id == tenant_id, subscribers.c.email == email.lower()
        )
    ).first()
    if exists:
        raise SetupError(f"subscriber {email} already exists in this tenant (id {exists[0]})")
    sub_id = conn.execute(
        subscribers.insert().values(
            tenant_id=tenant_id,
            name=name,
            email=email.lower(),
            phone=phone,
            time_zone=time_zone,
            active=True,
            created_at=_now(),
        )
    ).inserted_primary_key[0]
    _write_criteria(conn, tenant_id, sub_id, Criteria())
    return sub_id


def _write_criteria(
    conn: Connection, tenant_id: int, subscriber_id: int, criteria: Criteria
) -> None:
    upsert(
        conn,
        alert_criteria,
        [
            {
                "subscriber_id": subscriber_id,
                "tenant_id": tenant_id,
                **criteria.row(),
                "criteria_seq": sequences.take(conn, "criteria")[0],
                "updated_at": _now(),
            }
        ],
        ["subscriber_id"],
        [
            "min_score",
            "max_price",
            "min_roi",
            "cities",
            "zip_codes",
            "listing_types",
            "lead_types",
            "channels",
            "digest_only",
            "delivery",
            "hot_at_once",
            "hot_min_score",
            "criteria_seq",
            "updated_at",
        ],
    )


def set_criteria(engine: Engine, tenant_id: int, subscriber_id: int, criteria: Criteria) -> None:
    with engine.begin() as conn:
        owner = conn.execute(
            select(subscribers.c.tenant_id).where(subscribers.c.id == subscriber_id)
        ).scalar()
        if owner != tenant_id:  # also "no such subscriber": never reveal another tenant's ids
            raise SetupError(f"no subscriber {subscriber_id} in this tenant")
        _write_criteria(conn, tenant_id, subscriber_id, criteria)


def list_subscribers(engine: Engine, tenant_id: int) -> list[dict]:
    q = (
        select(subscribers, alert_criteria)
        .join(alert_criteria, alert_criteria.c.subscriber_id == subscribers.c.id)
        .where(subscribers.c.tenant_id == tenant_id)
        .order_by(subscribers.c.id)
    )
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


def find_subscriber(engine: Engine, tenant_id: int, email: str) -> int | None:
    """The id of the tenant's subscriber with this email, if any."""
    with engine.connect() as conn:
        return conn.execute(
            select(subscribers.c.id).where(
                subscribers.c.tenant_id == tenant_id, subscribers.c.email == email.lower()
            )
        ).scalar()


def account_owner(conn: Connection, tenant_id: int, subscriber_id: int | None = None) -> int | None:
    """Who gets the account's email (receipts, token notices, refused outreach): the
    subscriber named, else the tenant's first active one."""
    s = subscribers.c
    q = select(s.id).where(s.tenant_id == tenant_id, s.active.is_(True))
    if subscriber_id is not None:
        q = q.where(s.id == subscriber_id)
    return conn.execute(q.order_by(s.id).limit(1)).scalar()
