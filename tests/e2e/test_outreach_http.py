"""Outreach as clients meet it: 50 concurrent `POST /outreach` against a balance of 100 on
PostgreSQL through a real `folio serve`, delivered by the deliver_outreach job its sensor
launches; Idempotency-Key, 402/422/404 answers, contacts, GET /tokens; Stripe purchases."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import httpx
import pytest
from dagster import DagsterInstance
from fastapi.testclient import TestClient
from sqlalchemy import select

from pipelines.alerts.match import match_leads
from pipelines.billing.ledger import Balance, balance, verify
from pipelines.control.runner import tick_sensor
from pipelines.db.engine import get_engine
from pipelines.db.schema import notifications
from tests.fake_twilio import FakeTwilio, twilio_env
from tests.lead_helpers import add_leads, add_property, daily
from tests.outreach.helpers import all_hours, entries, funded_tenant
from tests.servers import folio_serve, free_port


def drain(sensor: str) -> list:
    instance, runs, cursor = DagsterInstance.get(), [], None
    while True:
        outcome = tick_sensor(instance, sensor, cursor)
        cursor, runs = outcome.cursor, runs + outcome.runs
        if not outcome.runs:
            return runs


@pytest.mark.postgres
def test_50_concurrent_sms_requests_against_100_tokens(pg_url, tmp_path, monkeypatch):
    all_hours(monkeypatch)
    monkeypatch.setenv("FOLIO_DATABASE_URL", pg_url)
    port = free_port()
    monkeypatch.setenv("FOLIO_PUBLIC_BASE_URL", f"http://127.0.0.1:{port}")
    tenant, sub, key = funded_tenant(pg_url, 100)
    with FakeTwilio() as twilio:
        twilio_env(monkeypatch, twilio)
        with folio_serve(pg_url, tmp_path, port=port) as base:
            with httpx.Client(timeout=30) as http, ThreadPoolExecutor(max_workers=50) as pool:
                answers = list(
                    pool.map(
                        lambda i: http.post(
                            f"{base}/outreach",
                            headers={"X-API-Key": key},
                            json={"channel": "sms", "subscriber_id": sub, "to": f"+1305555{i:04d}"},
                        ),
                        range(50),
                    )
                )
            codes = [a.status_code for a in answers]
            assert (codes.count(202), codes.count(402)) == (10, 40), codes
            short = next(a for a in answers if a.status_code == 402).json()
            assert (short["balance"], short["needed"]) == (0, 10)
            assert short["detail"] == "10 tokens needed, 0 available"
            tokens = httpx.get(f"{base}/tokens", headers={"X-API-Key": key}).json()
            assert (tokens["available"], tokens["reserved"]) == (0, 100)
            # the delivery run, then (SMS awaiting their final status) a reconcile sweep
            runs = drain("outreach_outbox_sensor")
            assert runs and all(r.success for r in runs)
            assert len(twilio.creates("sms")) == 10
            engine = get_engine(pg_url)
            assert balance(engine, tenant["id"]) == Balance(0, 100)  # held until delivered
            results = [twilio.callback(sid, "delivered").json() for sid in list(twilio.created)]
            assert results == [{"result": "captured"}] * 10
    assert balance(engine, tenant["id"]) == Balance(0, 0) == verify(engine, tenant["id"])
    assert [e for e in entries(pg_url) if e[0] == "capture"] == [("capture", 10)] * 10
    with engine.connect() as conn:
        states = conn.execute(
            select(notifications.c.state, notifications.c.delivery_status).where(
                notifications.c.channel == "sms"
            )
        ).all()
    assert [tuple(r) for r in states] == [("sent", "delivered")] * 10


def test_idempotency_key_contacts_and_refusals(sqlite_url, monkeypatch):
    from pipelines.http.app import app

    all_hours(monkeypatch)
    monkeypatch.setenv("FOLIO_DATABASE_URL", sqlite_url)
    tenant, sub, key = funded_tenant(sqlite_url, 25)
    _, other_sub, other_key = funded_tenant(sqlite_url, 25, slug="other")
    client, h = TestClient(app), {"X-API-Key": key}
    body = {"channel": "sms", "subscriber_id": sub, "to": "305-555-0150"}
    first = client.post("/outreach", json=body, headers={**h, "Idempotency-Key": "abc-1"})
    again = client.post("/outreach", json=body, headers={**h, "Idempotency-Key": "abc-1"})
    assert first.status_code == again.status_code == 202
    assert first.json() == again.json()
    assert (first.json()["to"], first.json()["tokens_reserved"]) == ("+13055550150", 10)
    assert balance(get_engine(sqlite_url), tenant["id"]) == Balance(15, 10)  # reserved once
    assert client.get(f"/outreach/{first.json()['id']}", headers=h).json()["state"] == "queued"
    assert (
        client.get(f"/outreach/{first.json()['id']}", headers={"X-API-Key": other_key}).status_code
        == 404
    )
    # per-field refusals
    bad = client.post("/outreach", json={**body, "to": "call me"}, headers=h)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "to"]
    both = client.post("/outreach", json={**body, "lead_id": 1}, headers=h)
    assert both.status_code == 422 and "exactly one of to" in both.text
    voice_tpl = client.post("/outreach", json={**body, "template": "lead_call"}, headers=h)
    assert voice_tpl.status_code == 422 and "a sms uses one of lead_intro" in voice_tpl.text
    not_mine = client.post("/outreach", json={**body, "subscriber_id": other_sub}, headers=h)
    assert not_mine.status_code == 422 and not_mine.json()["detail"][0]["loc"] == [
        "body",
        "subscriber_id",
    ]
    # a lead's phone: attached by the tenant whose subscriber the lead matched
    add_property(sqlite_url, "3040120010010")
    day = date.today()
    (lead_id,) = add_leads(sqlite_url, [("foreclosure", 91, day, daily(day))])
    from pipelines.accounts.criteria import Criteria
    from pipelines.accounts.subscribers import set_criteria

    set_criteria(get_engine(sqlite_url), tenant["id"], sub, Criteria(lead_types=["foreclosure"]))
    match_leads(get_engine(sqlite_url), today=day)
    lead_body = {"channel": "voice", "subscriber_id": sub, "lead_id": lead_id}
    no_phone = client.post("/outreach", json=lead_body, headers=h)
    assert no_phone.status_code == 422 and "has no phone" in no_phone.text
    put = client.put(
        f"/leads/{lead_id}/contact", json={"phone": "(305) 555-0177", "name": "Ana"}, headers=h
    )
    assert put.json() == {"lead_id": lead_id, "phone": "+13055550177", "name": "Ana"}
    assert (
        client.put(
            f"/leads/{lead_id}/contact",
            json={"phone": "+13055550100"},
            headers={"X-API-Key": other_key},
        ).status_code
        == 404
    )
    short = client.post("/outreach", json=lead_body, headers=h)  # a call costs 20; 15 left
    assert short.status_code == 402 and short.json()["balance"] == 15
    tokens = client.get("/tokens", headers=h).json()
    assert (tokens["available"], tokens["reserved"], tokens["expiring_soon"]) == (15, 10, [])


def _stripe_event(event_id: str, tenant: str = "acme", tokens: str = "500") -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": "checkout.session.completed",
            "data": {
                "object": {
                    "id": "cs_test_1",
                    "object": "checkout.session",
                    "amount_total": 4900,
                    "currency": "usd",
                    "metadata": {"tenant": tenant, "tokens": tokens},
                }
            },
        }
    ).encode()


def _signed(payload: bytes, secret: str) -> str:
    t = int(time.time())
    # Stripe's scheme: hex HMAC-SHA256 of "<t>.<body>" with the endpoint's signing secret
    sig = hmac.new(secret.encode(), f"{t}.{payload.decode()}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={sig}"


def test_stripe_purchase_grants_once_and_queues_a_receipt(sqlite_url, monkeypatch):
    from pipelines.http.app import app

    secret = "whsec_test_0123456789abcdef"
    monkeypatch.setenv("FOLIO_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", secret)
    tenant, sub, _ = funded_tenant(sqlite_url, 0)
    client = TestClient(app)
    payload = _stripe_event("evt_1")
    bad = client.post(
        "/billing/stripe",
        content=payload,
        headers={"Stripe-Signature": _signed(payload, "whsec_wrong")},
    )
    assert bad.status_code == 400 and "does not match" in bad.text
    ok = client.post(
        "/billing/stripe", content=payload, headers={"Stripe-Signature": _signed(payload, secret)}
    )
    assert ok.json() == {
        "event": "evt_1",
        "granted": True,
        "tokens": 500,
        "outcome": "granted",
        "reason": None,
    }
    replay = client.post(
        "/billing/stripe", content=payload, headers={"Stripe-Signature": _signed(payload, secret)}
    )
    assert (replay.json()["granted"], replay.json()["outcome"]) == (False, "duplicate")
    unknown = _stripe_event("evt_2", tenant="nobody")
    refused = client.post(
        "/billing/stripe", content=unknown, headers={"Stripe-Signature": _signed(unknown, secret)}
    )
    # signed but unusable: 200 (Stripe stops redelivering), recorded in stripe_events
    assert refused.status_code == 200 and refused.json()["outcome"] == "refused"
    assert balance(get_engine(sqlite_url), tenant["id"]) == Balance(500, 0)
    with get_engine(sqlite_url).connect() as conn:
        receipts = conn.execute(
            select(notifications.c.subscriber_id, notifications.c.template).where(
                notifications.c.item_kind == "receipt"
            )
        ).all()
    assert [tuple(r) for r in receipts] == [(sub, "payment_receipt")]
    from pipelines.notify.messages import build_messages
    from pipelines.settings import get_settings

    with get_engine(sqlite_url).connect() as conn:
        nid = conn.execute(
            select(notifications.c.id).where(notifications.c.item_kind == "receipt")
        ).scalar_one()
    msg = build_messages(get_engine(sqlite_url), [nid], get_settings())[nid]
    assert msg.subject == "Folio receipt: 500 tokens added"
    assert "for $49.00" in msg.text and "Balance now: 500 tokens" in msg.text
