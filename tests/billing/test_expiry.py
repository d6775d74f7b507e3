"""Grants that lapse: the soonest-expiring grant is spent first, only what is left of a grant
expires (never what an open reservation holds), and each reminder email goes out once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from pipelines import clock
from pipelines.billing.expiry import expire_lapsed
from pipelines.billing.ledger import Balance, balance, capture, grant, release, reserve, verify
from pipelines.db.engine import get_engine
from pipelines.db.schema import notifications, token_ledger
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
        "refusal_notices": 0,  # nothing was refused yesterday
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


def _release(engine, rid):
    with engine.begin() as conn:
        return release(conn, rid)


def _expires(engine, t) -> list[tuple[int, int]]:
    """(grant id, tokens) of every expire entry, in order."""
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                select(token_ledger.c.grant_id, token_ledger.c.tokens)
                .where(token_ledger.c.tenant_id == t, token_ledger.c.entry == "expire")
                .order_by(token_ledger.c.id)
            )
        ]


def test_tokens_of_an_expired_trial_released_later_expire_instead_of_coming_back(db_url, now):
    tenant, _, _ = tenant_with_subscribers(db_url, "acme", [{}])
    engine, t = get_engine(db_url), tenant["id"]
    trial, _ = grant(engine, t, 30, "trial", kind="trial", expires_at=now + timedelta(days=1))
    r1, r2 = _spend(engine, t, 12, "held-1"), _spend(engine, t, 8, "held-2")
    assert expire_lapsed(engine, now + timedelta(days=2)) == {trial: 10}
    assert balance(engine, t) == Balance(0, 20)
    assert _release(engine, r1) is True  # after the expiry ran: the 12 expire on the spot
    assert balance(engine, t) == Balance(0, 8) == verify(engine, t)
    assert _release(engine, r2) is True and _release(engine, r2) is False
    assert balance(engine, t) == Balance(0, 0) == verify(engine, t)
    assert expire_lapsed(engine, now + timedelta(days=3)) == {}
    assert _expires(engine, t) == [(trial, 10), (trial, 12), (trial, 8)]


def test_a_release_after_the_deadline_but_before_the_nightly_run_expires_too(
    db_url, now, frozen_clock
):
    tenant, _, _ = tenant_with_subscribers(db_url, "acme", [{}])
    engine, t = get_engine(db_url), tenant["id"]
    grant(engine, t, 100, "buy", kind="purchase")
    trial, _ = grant(engine, t, 30, "trial", kind="trial", expires_at=now + timedelta(hours=1))
    rid = _spend(engine, t, 20, "held")  # from the trial: it expires first
    frozen_clock.move_to(now + timedelta(hours=2))
    _release(engine, rid)
    assert balance(engine, t) == Balance(110, 0) == verify(engine, t)
    assert expire_lapsed(engine, clock.now()) == {trial: 10}
    assert balance(engine, t) == Balance(100, 0) == verify(engine, t)
    assert _expires(engine, t) == [(trial, 20), (trial, 10)]


def test_a_short_call_on_an_expired_trial_expires_what_it_did_not_spend(db_url, now):
    tenant, _, _ = tenant_with_subscribers(db_url, "acme", [{}])
    engine, t = get_engine(db_url), tenant["id"]
    grant(engine, t, 100, "buy", kind="purchase")
    trial, _ = grant(engine, t, 30, "trial", kind="trial", expires_at=now + timedelta(days=1))
    rid = _spend(engine, t, 20, "call")
    assert expire_lapsed(engine, now + timedelta(days=2)) == {trial: 10}
    with engine.begin() as conn:
        capture(conn, rid, tokens=5)  # 5 spent; the 15 it did not use were the trial's
    assert balance(engine, t) == Balance(100, 0) == verify(engine, t)
    assert _expires(engine, t) == [(trial, 10), (trial, 15)]


def test_tokens_held_on_a_trial_are_not_expired_out_of_a_purchase(db_url, now):
    tenant, _, _ = tenant_with_subscribers(db_url, "acme", [{}])
    engine, t = get_engine(db_url), tenant["id"]
    grant(engine, t, 100, "buy", kind="purchase")
    trial, _ = grant(engine, t, 30, "trial", kind="trial", expires_at=now + timedelta(days=1))
    rid = _spend(engine, t, 20, "held")  # the trial's tokens, held while the SMS is in flight
    assert expire_lapsed(engine, now + timedelta(days=2)) == {trial: 10}  # not 30
    with engine.begin() as conn:
        capture(conn, rid)
    assert balance(engine, t) == Balance(100, 0) == verify(engine, t)
