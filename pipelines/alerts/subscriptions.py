"""Subscribing: a new subscriber and their welcome email, in one transaction (both or neither)."""

from __future__ import annotations

from sqlalchemy import Engine

from pipelines.accounts.subscribers import insert_subscriber
from pipelines.notify.queue import queue_welcome


def add_subscriber(
    engine: Engine,
    tenant_id: int,
    email: str,
    name: str | None = None,
    phone: str | None = None,
    time_zone: str = "America/New_York",
) -> int:
    """Create a subscriber with default criteria and queue their welcome email."""
    with engine.begin() as conn:
        sub_id = insert_subscriber(conn, tenant_id, email, name, phone, time_zone)
        queue_welcome(conn, tenant_id, sub_id)
    return sub_id
