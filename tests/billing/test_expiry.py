"""Grants that lapse: the soonest-expiring grant is spent first, only what is left of a grant
expires (never what an open reservation holds), and each reminder email goes out once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from pipelines import clock
from pipelines.billing.expiry import expire_lapsed
from pipelines.billing.ledger import Balance, balance, capture, grant, reserve, verify
from pipelines.db.engine import get_engine
from pipelines.db.schema import notifications
from pipelines.outreach.purchases import run_token_expiry
from tests.listing_helpers import tenant_with_subscribers

pytestmark = pytest.mark.clock_sensitive()


@pytest.fixture
def now():
    """The test clock's instant: grants are made, spent and expired relative to it."""
    return clock.now()


def _spend(engine, t, tokens, key):
    with engine.begin() as conn:
        rid = reserve(conn, t, tokens, key)
    return rid


def test_the_trial_is_spent_first_and_only_its_remainder_expires(db_url, now):
    tenant, _, _ = tenant_with_subscribers(db_url, "acme", [{}])
    engine, t = get_engine(db_url), tenant["id"]
    purchase, _ = grant(engine, t, 100, "buy", kind="purchase")  # never expires
    trial, _ = grant(engine, t, 30, "trial", kind="trial", expires_at=now + timedelta(days=2))
    rid = _spend(engine, t, 20, "s1")
    with engine.begin() as conn:
        capture(conn, rid)  # 20 spent: from the trial, which expires first
    assert expire_lapsed(engine, now) == {}  # not yet
    assert expire_lapsed(engine, now + timedelta(days=3)) == {trial: 10}
    assert expire_lapsed(engine, now + timedelta(days=3)) == {}  # keyed: once
    assert balance(engine, t) == Balance(100, 0) == verify(engine, t)
    assert purchase == 1


def test_tokens_held_by_an_open_reservation_never_expire(db_url, now):
    tenant, _, _ = tenant_with_subscribers(db_url, "acme", [{}])
    engine, t = get_engine(db_url), tenant["id"]
    trial, _ = grant(engine, t, 30, "trial", kind="trial", expires_at=now)
    _spend(engine, t, 25, "held")  # a message in flight holds 25
    assert expire_lapsed(engine, now + timedelta(hours=1)) == {trial: 5}
    assert balance(engine, t) == Balance(0, 25) == verify(engine, t)


def test_reminders_go_out_once_per_grant(db_url, now):
    tenant, (owner, _), _ = tenant_with_subscribers(db_url, "acme", [{}, {}])
    engine, t = get_engine(db_url), tenant["id"]
    trial, _ = grant(engine, t, 30, "trial", kind="trial", expires_at=now + timedelta(days=2))
    bought, _ = grant(engine, t, 50, "b", kind="purchase", expires_at=now + timedelta(days=6))
    grant(engine, t, 50, "later", kind="purchase", expires_at=now + timedelta(days=30))
    first = run_token_expiry(engine, now)
    assert first == {
        "grants_expired": 0,
        "tokens_expired": 0,
        "trial_reminders": 1,
        "expiry_reminders": 1,
    }
    again = run_token_expiry(engine, now + timedelta(hours=1))
    assert again["trial_reminders"] == again["expiry_reminders"] == 0
    with engine.connect() as conn:
        sent = conn.execute(
            select(
                notifications.c.subscriber_id,
                notifications.c.item_kind,
                notifications.c.item_id,
                notifications.c.template,
            ).order_by(notifications.c.id)
        ).all()
    billing = [tuple(r) for r in sent if r.item_kind in ("trial_end", "expiring")]
    assert billing == [
        (owner, "trial_end", trial, "expiring_trial"),
        (owner, "expiring", bought, "tokens_expiring"),
    ]
    lapsed = run_token_expiry(engine, now + timedelta(days=3))
    assert (lapsed["grants_expired"], lapsed["tokens_expired"]) == (1, 30)
    assert balance(engine, t).available == 100


def test_a_trial_spent_to_the_last_token_expires_nothing_and_is_not_counted(sqlite_url, now):
    tenant, _, _ = tenant_with_subscribers(sqlite_url, "acme", [{}])
    engine, t = get_engine(sqlite_url), tenant["id"]
    grant(engine, t, 10, "trial", kind="trial", expires_at=now)
    rid = _spend(engine, t, 10, "all")
    with engine.begin() as conn:
        capture(conn, rid)
    assert expire_lapsed(engine, now + timedelta(days=1)) == {}
    assert run_token_expiry(engine, now + timedelta(days=2))["grants_expired"] == 0
    assert balance(engine, t) == Balance(0, 0) == verify(engine, t)
