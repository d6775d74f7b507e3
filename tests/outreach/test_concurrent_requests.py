"""`POST /outreach` under concurrency, through the real HTTP app on both backends: the
per-number daily cap and the token balance hold exactly, and one Idempotency-Key queues one
message however many clients race with it."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from pipelines.billing.ledger import Balance, balance, verify
from pipelines.db.engine import get_engine
from pipelines.db.schema import notifications, outreach_requests
from tests.outreach.helpers import all_hours, funded_tenant

NUMBER = "+13055550177"


def _client(url: str, monkeypatch) -> TestClient:
    from pipelines.http.app import app

    all_hours(monkeypatch)
    monkeypatch.setenv("FOLIO_DATABASE_URL", url)
    return TestClient(app)


def _post_all(client: TestClient, bodies: list[dict], headers: list[dict]) -> list:
    with client, ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(
            pool.map(
                lambda bh: client.post("/outreach", json=bh[0], headers=bh[1]),
                zip(bodies, headers, strict=True),
            )
        )


def _queued(url: str) -> Counter:
    n = notifications.c
    with get_engine(url).connect() as conn:
        rows = conn.execute(
            select(n.to_address, func.count())
            .where(n.state == "queued", n.channel == "sms")
            .group_by(n.to_address)
        ).all()
    return Counter({r[0]: r[1] for r in rows})


def test_100_concurrent_requests_to_one_number_queue_exactly_the_cap(db_url, monkeypatch):
    client = _client(db_url, monkeypatch)
    tenant, sub, key = funded_tenant(db_url, 1000)
    body = {"channel": "sms", "subscriber_id": sub, "to": NUMBER}
    answers = _post_all(client, [body] * 100, [{"X-API-Key": key}] * 100)
    codes = Counter(a.status_code for a in answers)
    assert codes == {202: 3, 422: 97}, codes
    refused = {a.json()["detail"][0]["type"] for a in answers if a.status_code == 422}
    assert refused == {"daily_cap"}
    assert _queued(db_url) == {NUMBER: 3}
    engine = get_engine(db_url)
    assert balance(engine, tenant["id"]) == Balance(970, 30) == verify(engine, tenant["id"])
    with engine.connect() as conn:  # a refused request keeps no row
        assert conn.execute(select(func.count()).select_from(outreach_requests)).scalar() == 3


def test_100_concurrent_requests_over_ten_numbers_and_too_few_tokens(db_url, monkeypatch):
    client = _client(db_url, monkeypatch)
    tenant, sub, key = funded_tenant(db_url, 250)  # 25 SMS; the cap would allow 30
    numbers = [f"+1305555{i:04d}" for i in range(100, 110)]
    bodies = [{"channel": "sms", "subscriber_id": sub, "to": numbers[i % 10]} for i in range(100)]
    answers = _post_all(client, bodies, [{"X-API-Key": key}] * 100)
    codes = Counter(a.status_code for a in answers)
    assert codes[202] == 25 and codes[202] + codes[402] + codes[422] == 100, codes
    queued = _queued(db_url)
    assert sum(queued.values()) == 25 and max(queued.values()) <= 3
    engine = get_engine(db_url)
    assert balance(engine, tenant["id"]) == Balance(0, 250) == verify(engine, tenant["id"])


def test_50_clients_racing_one_idempotency_key_queue_one_message(db_url, monkeypatch):
    client = _client(db_url, monkeypatch)
    tenant, sub, key = funded_tenant(db_url, 100)
    body = {"channel": "sms", "subscriber_id": sub, "to": NUMBER}
    other = {**body, "to": "+13055550178"}
    # 40 send the body, 10 send another body under the same key: whichever body wins, the
    # others get its answer (same body) or a 422 naming the key (different body)
    bodies = [body] * 40 + [other] * 10
    headers = [{"X-API-Key": key, "Idempotency-Key": "same-key"}] * 50
    answers = _post_all(client, bodies, headers)
    ok = [a.json() for a in answers if a.status_code == 202]
    clashes = [a for a in answers if a.status_code == 422]
    assert len(ok) + len(clashes) == 50
    assert len({o["id"] for o in ok}) == 1
    winner = ok[0]["to"]
    assert len(ok) == (40 if winner == NUMBER else 10)
    assert all("same-key" in c.text for c in clashes)
    assert sum(_queued(db_url).values()) == 1
    engine = get_engine(db_url)
    assert balance(engine, tenant["id"]) == Balance(90, 10) == verify(engine, tenant["id"])
