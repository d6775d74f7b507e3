"""`POST /billing/stripe` as Stripe meets it, events signed with the real `stripe` SDK: a
signed event that cannot be used is answered 200 and recorded with its reason, nothing
granted; a usable one grants once with its receipt in the same transaction; a signature
timestamped outside the tolerance, past or future, is refused (400) with nothing written."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import stripe
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from pipelines import clock
from pipelines.billing.ledger import MAX_TOKENS, Balance, balance, grant, verify
from pipelines.db.engine import get_engine
from pipelines.db.schema import notifications, token_ledger
from pipelines.db.schema.billing import stripe_events
from tests.listing_helpers import tenant_with_subscribers

SECRET = "whsec_test_0123456789abcdef"


def _shop(url: str, monkeypatch):
    from pipelines.http.app import app

    monkeypatch.setenv("FOLIO_DATABASE_URL", url)
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", SECRET)
    tenant, subs, _ = tenant_with_subscribers(url, "acme", [{}, {}])
    client = TestClient(app, raise_server_exceptions=False)
    return get_engine(url), tenant["id"], subs, client


@pytest.fixture
def shop(db_url, monkeypatch):
    """A tenant `acme` with two subscribers (the first is the owner), and a client; on
    SQLite and PostgreSQL (where integers past 32 bits used to fail mid-way)."""
    return _shop(db_url, monkeypatch)


@pytest.fixture
def sqlite_shop(sqlite_url, monkeypatch):
    """The same, where the backend makes no difference (the request is refused before any
    query)."""
    return _shop(sqlite_url, monkeypatch)


def event(event_id="evt_1", kind="checkout.session.completed", **metadata) -> dict:
    meta = {"tenant": "acme", "tokens": "500", **metadata}
    return {
        "id": event_id,
        "object": "event",
        "type": kind,
        "data": {
            "object": {
                "id": "cs_test_1",
                "object": "checkout.session",
                "amount_total": 4900,
                "currency": "usd",
                "metadata": {k: v for k, v in meta.items() if v is not None},
            }
        },
    }


def post(client, body, offset: float = 0, secret: str = SECRET):
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    stamp = int(clock.now().timestamp() + offset)
    header = stripe.WebhookSignature.generate_signature_header(payload.decode(), secret, stamp)
    return client.post("/billing/stripe", content=payload, headers={"Stripe-Signature": header})


def written(engine) -> dict:
    with engine.connect() as conn:
        count = lambda t: conn.execute(select(func.count()).select_from(t)).scalar_one()  # noqa: E731
        return {
            "ledger": count(token_ledger),
            "emails": len(receipts(engine)),
            "events": conn.execute(
                select(stripe_events.c.event_id, stripe_events.c.outcome).order_by(
                    stripe_events.c.id
                )
            ).all(),
        }


def receipts(engine) -> list[int]:
    with engine.connect() as conn:
        q = select(notifications.c.subscriber_id).where(notifications.c.item_kind == "receipt")
        return list(conn.execute(q).scalars())


def _event_with(path: str, value) -> dict:
    body = event("evt_bad")
    *parents, last = path.split(".")
    node = body
    for p in parents:
        node = node[p]
    if value is None:
        del node[last]
    else:
        node[last] = value
    return body


# (body, the field the reason names): each is signed and well-formed JSON or not
HOSTILE = [
    (event("evt_bad", tokens="٧"), "data.object.metadata.tokens"),  # Arabic-Indic seven
    (event("evt_bad", tokens="²"), "data.object.metadata.tokens"),
    (event("evt_bad", tokens="1_000"), "data.object.metadata.tokens"),
    (event("evt_bad", tokens=" 5"), "data.object.metadata.tokens"),
    (event("evt_bad", tokens="0"), "data.object.metadata.tokens"),
    (event("evt_bad", tokens="-5"), "data.object.metadata.tokens"),
    (event("evt_bad", tokens=str(2**31)), "data.object.metadata.tokens"),
    (event("evt_bad", tokens="1000001"), "data.object.metadata.tokens"),  # over the cap
    (event("evt_bad", tokens=None), "data.object.metadata.tokens"),
    (event("evt_bad", tokens=True), "data.object.metadata.tokens"),
    (event("evt_bad", tenant="nobody"), "data.object.metadata.tenant"),
    (event("evt_bad", tenant="x" * 5000), "data.object.metadata.tenant"),
    (event("evt_bad", tenant=None), "data.object.metadata.tenant"),
    (_event_with("data.object.metadata", None), "data.object.metadata"),
    (_event_with("data.object.metadata", ["tenant", "acme"]), "data.object.metadata"),
    (_event_with("data.object.amount_total", "4900"), "data.object.amount_total"),
    (_event_with("data.object", None), "data.object"),
    (_event_with("data", None), "data"),
    (_event_with("type", None), "type"),
    (_event_with("type", 7), "type"),
]


def test_signed_events_that_cannot_be_used_are_recorded_and_answered_200(shop):
    engine, t, _, client = shop
    for n, (body, field) in enumerate(HOSTILE):
        body["id"] = f"evt_bad{n}"
        answer = post(client, body)
        assert answer.status_code == 200, (field, answer.text)
        got = answer.json()
        assert (got["event"], got["granted"], got["outcome"]) == (f"evt_bad{n}", False, "refused")
        assert got["reason"].startswith(f"{field}:"), (field, got["reason"])
        assert post(client, body).json()["outcome"] == "duplicate"  # recorded once
    after = written(engine)
    assert (after["ledger"], after["emails"]) == (0, 0)
    assert after["events"] == [(f"evt_bad{n}", "refused") for n in range(len(HOSTILE))]
    assert balance(engine, t) == Balance(0, 0)


def test_a_signed_body_without_a_usable_id_is_recorded_without_one(sqlite_shop):
    engine, _, _, client = sqlite_shop
    cases = [
        (b"[1, 2]", "the body is not a JSON object"),
        (b"not json", "the body is not JSON"),
        (json.dumps(event("evt_" + "x" * 200)).encode(), "id: String should match pattern"),
        (json.dumps({"object": "event"}).encode(), "id: Field required"),
    ]
    for body, reason in cases:
        answer = post(client, body)
        assert answer.status_code == 200
        assert answer.json()["event"] is None and answer.json()["reason"].startswith(reason)
    assert written(engine) == {"ledger": 0, "emails": 0, "events": [(None, "refused")] * 4}


def test_an_event_of_another_type_is_ignored_and_recorded(shop):
    engine, _, _, client = shop
    answer = post(client, event("evt_9", kind="invoice.paid"))
    assert answer.status_code == 200 and answer.json()["outcome"] == "ignored"
    assert written(engine) == {"ledger": 0, "emails": 0, "events": [("evt_9", "ignored")]}


def test_a_subscriber_id_that_names_no_subscriber_still_grants_with_the_receipt_to_the_owner(
    shop,
):
    engine, t, (owner, _), client = shop
    _, (theirs,), _ = tenant_with_subscribers(str(engine.url), "other", [{}])
    named = ["99999999999999999999", "²", "abc", "", "0", str(theirs)]  # theirs: not acme's
    for n, sub in enumerate(named):
        answer = post(client, event(f"evt_{n}", subscriber_id=sub))
        assert answer.status_code == 200
        got = answer.json()
        assert (got["granted"], got["tokens"], got["outcome"]) == (True, 500, "granted")
        assert "subscriber_id is not an active subscriber" in got["reason"]
    assert receipts(engine) == [owner] * len(named)
    assert balance(engine, t) == Balance(500 * len(named), 0) == verify(engine, t)


def test_the_named_subscriber_gets_the_receipt_and_a_redelivery_grants_nothing(shop):
    engine, t, (_, second), client = shop
    first = post(client, event(subscriber_id=str(second)))
    assert first.json() == {
        "event": "evt_1",
        "granted": True,
        "tokens": 500,
        "outcome": "granted",
        "reason": None,
    }
    again = post(client, event(subscriber_id=str(second)))
    assert again.status_code == 200
    assert (again.json()["granted"], again.json()["outcome"]) == (False, "duplicate")
    assert receipts(engine) == [second]
    assert written(engine)["events"] == [("evt_1", "granted")]
    assert balance(engine, t) == Balance(500, 0) == verify(engine, t)


def test_a_signature_timestamped_outside_the_tolerance_is_refused(sqlite_shop):
    engine, _, _, client = sqlite_shop
    for offset in (3600, -3600, 301, -301):
        answer = post(client, event(), offset=offset)
        assert answer.status_code == 400 and "tolerance 300 s" in answer.text
    assert written(engine) == {"ledger": 0, "emails": 0, "events": []}


def test_within_the_tolerance_either_way_is_accepted(sqlite_shop, monkeypatch):
    _, _, _, client = sqlite_shop
    assert post(client, event("evt_a"), offset=290).json()["granted"] is True
    assert post(client, event("evt_b"), offset=-290).json()["granted"] is True
    monkeypatch.setenv("FOLIO_STRIPE_SIGNATURE_TOLERANCE_SECONDS", "60")
    assert post(client, event("evt_c"), offset=-120).status_code == 400


def test_a_wrong_or_missing_signature_is_refused_with_nothing_written(sqlite_shop):
    engine, _, _, client = sqlite_shop
    assert post(client, event(), secret="whsec_wrong").status_code == 400
    assert client.post("/billing/stripe", content=json.dumps(event())).status_code == 400
    garbage = client.post(
        "/billing/stripe", content=b"\xff\xfe", headers={"Stripe-Signature": "t=1,v1=00"}
    )
    assert garbage.status_code == 400
    assert written(engine) == {"ledger": 0, "emails": 0, "events": []}


def test_a_purchase_that_would_overflow_the_balance_is_refused_and_recorded(shop, monkeypatch):
    engine, t, _, client = shop
    grant(engine, t, MAX_TOKENS - 100, "seed")
    answer = post(client, event(tokens="500"))
    assert answer.status_code == 200 and answer.json()["outcome"] == "refused"
    assert "balance would pass" in answer.json()["reason"]
    assert written(engine)["events"] == [("evt_1", "refused")]
    assert balance(engine, t) == Balance(MAX_TOKENS - 100, 0) == verify(engine, t)
    assert receipts(engine) == []


def test_the_grant_and_its_receipt_commit_together(shop):
    """The receipt cannot be queued (the database refuses it): the grant is not kept either,
    so Stripe's redelivery, once the fault is gone, grants it with its receipt."""
    engine, t, (owner, _), client = shop
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(
                text(
                    "CREATE FUNCTION no_receipts() RETURNS trigger AS $$ BEGIN "
                    "RAISE EXCEPTION 'receipt refused'; END $$ LANGUAGE plpgsql"
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER no_receipts BEFORE INSERT ON notifications FOR EACH ROW "
                    "WHEN (NEW.item_kind = 'receipt') EXECUTE FUNCTION no_receipts()"
                )
            )
        else:
            conn.execute(
                text(
                    "CREATE TRIGGER no_receipts BEFORE INSERT ON notifications "
                    "WHEN NEW.item_kind = 'receipt' BEGIN SELECT RAISE(ABORT, 'receipt refused'); "
                    "END"
                )
            )
    assert post(client, event()).status_code == 500  # Stripe will redeliver
    assert written(engine) == {"ledger": 0, "emails": 0, "events": []}
    assert balance(engine, t) == Balance(0, 0)
    with engine.begin() as conn:
        conn.execute(
            text(
                "DROP TRIGGER no_receipts"
                + (" ON notifications" if engine.dialect.name == "postgresql" else "")
            )
        )
    assert post(client, event()).json()["granted"] is True
    assert receipts(engine) == [owner]
    assert balance(engine, t) == Balance(500, 0) == verify(engine, t)


@pytest.mark.postgres
def test_the_same_event_delivered_20_times_at_once_grants_once(pg_url, monkeypatch):
    from pipelines.http.app import app

    monkeypatch.setenv("FOLIO_DATABASE_URL", pg_url)
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", SECRET)
    tenant, (owner,), _ = tenant_with_subscribers(pg_url, "acme", [{}])
    engine, client = get_engine(pg_url), TestClient(app)
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda _: post(client, event()), range(20)))
    assert [a.status_code for a in answers] == [200] * 20
    assert sorted(a.json()["outcome"] for a in answers) == ["duplicate"] * 19 + ["granted"]
    assert receipts(engine) == [owner]
    assert balance(engine, tenant["id"]) == Balance(500, 0) == verify(engine, tenant["id"])
