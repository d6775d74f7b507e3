"""The token ledger: two-phase spending, idempotent entries, a balance that never goes below
zero (under 50 concurrent spenders on SQLite and PostgreSQL), and a balance row that always
equals what the entries say."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from pipelines.accounts.tenants import add_tenant, get_tenant
from pipelines.billing.ledger import (
    Balance,
    InsufficientTokens,
    balance,
    capture,
    grant,
    history,
    release,
    reserve,
    verify,
)
from pipelines.db.engine import get_engine
from pipelines.db.migrate import upgrade
from pipelines.db.schema import token_ledger


def _tenant(url: str, slug: str = "acme") -> tuple:
    engine = get_engine(url)
    add_tenant(engine, slug, slug.title())
    return engine, get_tenant(engine, slug)["id"]


def _reserve(engine, tenant, tokens, key):
    with engine.begin() as conn:
        return reserve(conn, tenant, tokens, key, channel="sms")


def test_reserve_then_capture_or_release_moves_the_balance_once(db_url):
    engine, t = _tenant(db_url)
    assert grant(engine, t, 100, "g1", reason="test") == (1, True)
    assert grant(engine, t, 100, "g1") == (1, False)  # the same key grants nothing again
    r1, r2, r3 = (_reserve(engine, t, 10, f"r{i}") for i in (1, 2, 3))
    assert _reserve(engine, t, 10, "r1") == r1  # a replayed reserve holds nothing more
    assert balance(engine, t) == Balance(available=70, reserved=30)
    with engine.begin() as conn:
        assert capture(conn, r1) is True
        assert capture(conn, r1) is False and release(conn, r1) is False  # settled once only
        assert release(conn, r2, reason="provider refused") is True
        assert capture(conn, r3, tokens=4) is True  # a short call: 4 kept, 6 back
    assert balance(engine, t) == Balance(available=86, reserved=0)
    assert verify(engine, t) == balance(engine, t)
    entries = [(e["entry"], e["tokens"]) for e in reversed(history(engine, t))]
    assert entries == [
        ("grant", 100),
        ("reserve", 10),
        ("reserve", 10),
        ("reserve", 10),
        ("capture", 10),
        ("release", 10),
        ("capture", 4),
    ]
    with engine.connect() as conn:
        usage = conn.execute(text("SELECT action, tokens FROM token_usage_logs ORDER BY id")).all()
    assert [tuple(u) for u in usage] == entries[1:]


def test_a_spend_that_cannot_be_paid_holds_nothing(db_url):
    engine, t = _tenant(db_url)
    grant(engine, t, 15, "g")
    _reserve(engine, t, 10, "ok")
    with pytest.raises(InsufficientTokens, match="10 tokens needed, 5 available"):
        _reserve(engine, t, 10, "short")
    assert balance(engine, t) == Balance(5, 10)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(token_ledger)).scalar() == 2


def test_the_database_refuses_a_negative_balance_whatever_the_code_does(db_url):
    engine, t = _tenant(db_url)
    grant(engine, t, 5, "g")
    with pytest.raises(Exception, match="(?i)check"), engine.begin() as conn:
        conn.execute(text("UPDATE token_accounts SET available = available - 6"))
    assert balance(engine, t) == Balance(5, 0)


def test_bad_grants_are_refused_naming_the_field(sqlite_url):
    engine, t = _tenant(sqlite_url)
    with pytest.raises(ValueError, match="tokens: must be a positive"):
        grant(engine, t, 0, "g0")
    with pytest.raises(ValueError, match="kind: must be one of purchase, trial, manual"):
        grant(engine, t, 5, "g1", kind="gift")


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_50_concurrent_spends_of_10_against_100_exactly_10_win(backend, request):
    url = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "pg_url")
    engine, t = _tenant(url)
    grant(engine, t, 100, "g")

    def spend(i: int) -> bool:
        try:
            _reserve(engine, t, 10, f"spend-{i}")
            return True
        except InsufficientTokens:
            return False

    with ThreadPoolExecutor(max_workers=50) as pool:
        won = list(pool.map(spend, range(50)))
    assert won.count(True) == 10
    assert balance(engine, t) == Balance(0, 100) == verify(engine, t)


OPS = st.lists(
    st.tuples(
        st.sampled_from(["grant", "reserve", "capture", "release", "partial", "replay"]),
        st.integers(min_value=1, max_value=40),
    ),
    max_size=40,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=OPS)
def test_any_sequence_keeps_the_row_equal_to_the_entries_and_never_negative(tmp_path_factory, ops):
    url = f"sqlite:///{tmp_path_factory.mktemp('ledger') / 'l.db'}"
    upgrade(url)
    engine, t = _tenant(url)
    held: list[int] = []
    model_available, model_reserved = 0, 0
    for n, (op, amount) in enumerate(ops):
        if op == "grant":
            grant(engine, t, amount, f"g{n}")
            model_available += amount
        elif op == "reserve" or (op == "replay" and not held):
            try:
                held.append(_reserve(engine, t, amount, f"r{n}"))
                model_available -= amount
                model_reserved += amount
            except InsufficientTokens:
                assert amount > model_available
        elif op == "replay":
            key = f"r{held[-1]}"
            with engine.connect() as conn:
                key = conn.execute(
                    select(token_ledger.c.idempotency_key).where(token_ledger.c.id == held[-1])
                ).scalar_one()
            assert _reserve(engine, t, amount, key) == held[-1]  # nothing held twice
        elif held:
            rid = held.pop(0)
            with engine.connect() as conn:
                res = conn.execute(
                    select(token_ledger.c.tokens).where(token_ledger.c.id == rid)
                ).scalar_one()
            with engine.begin() as conn:
                if op == "capture":
                    capture(conn, rid)
                elif op == "release":
                    release(conn, rid)
                    model_available += res
                else:
                    kept = min(amount, res)
                    capture(conn, rid, tokens=kept)
                    model_available += res - kept
            model_reserved -= res
        now = balance(engine, t)
        assert now.available >= 0 and now.reserved >= 0
        assert now == Balance(model_available, model_reserved) == verify(engine, t)
    get_engine.cache_clear()
