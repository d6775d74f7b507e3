"""SMS and calls through a local fake of Twilio's REST API: what is sent, retries, the
money (captured on success, released on final failure, held while unknown), callbacks
signed the way Twilio signs them, STOP, and the provider's own unsubscribed refusal."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pipelines.billing.ledger import Balance, balance, verify
from pipelines.db.engine import get_engine
from pipelines.db.schema import compliance_blocks, delivery_attempts, opt_outs
from pipelines.notify.paid_delivery import reconcile
from pipelines.notify.phone_senders import open_phone_sender
from tests.fake_twilio import FROM, FakeTwilio, inbound, twilio_env
from tests.outreach.helpers import (
    LEAD_PHONE,
    all_hours,
    ask,
    deliver,
    entries,
    funded_tenant,
    nid_of,
    row,
)
from tests.servers import folio_serve, free_port


@pytest.fixture
def twilio(monkeypatch, tmp_path):
    all_hours(monkeypatch)
    port = free_port()
    monkeypatch.setenv("FOLIO_PUBLIC_BASE_URL", f"http://127.0.0.1:{port}")
    with FakeTwilio() as fake:
        twilio_env(monkeypatch, fake)
        fake.serve_port = port
        yield fake


def _logs(url, channel):
    a = delivery_attempts.c
    with get_engine(url).connect() as conn:
        q = select(a.attempt, a.status).where(a.channel == channel).order_by(a.id)
        return [tuple(r) for r in conn.execute(q)]


def test_an_sms_goes_out_once_and_is_captured_when_delivered(sqlite_url, twilio, monkeypatch):
    from fastapi.testclient import TestClient

    from pipelines.http.app import app

    monkeypatch.setenv("FOLIO_DATABASE_URL", sqlite_url)
    tenant, sub, _ = funded_tenant(sqlite_url)
    asked = ask(sqlite_url, tenant, sub)
    assert (asked["state"], asked["tokens_reserved"]) == ("queued", 10)
    assert balance(get_engine(sqlite_url), tenant["id"]) == Balance(90, 10)
    counts = deliver(sqlite_url)
    assert counts.as_dict() == {
        "sent": 1,
        "failed": 0,
        "unknown": 0,
        "skipped": 0,
        "deferred": 0,
        "blocked": 0,
        "marked_unknown_stale": 0,
    }
    [create] = twilio.creates("sms")
    nid = nid_of(sqlite_url, asked["id"])
    assert create["form"]["To"] == LEAD_PHONE and create["form"]["From"] == FROM
    assert create["form"]["Body"].endswith("Reply STOP to opt out.")
    assert create["form"]["StatusCallback"].endswith(f"/twilio/status?n={nid}")
    assert (row(sqlite_url, nid).state, row(sqlite_url, nid).delivery_status) == (
        "sent",
        "accepted",
    )
    # accepted is not delivered: the tokens are held until Twilio's final status
    assert entries(sqlite_url)[1:] == [("reserve", 10)]
    assert balance(get_engine(sqlite_url), tenant["id"]) == Balance(90, 10)
    assert deliver(sqlite_url).sent == 0 and len(twilio.creates()) == 1  # nothing twice
    [sid] = twilio.created
    client = TestClient(app)
    assert twilio.callback(sid, "sent", client=client).json() == {"result": "recorded"}
    assert twilio.callback(sid, "delivered", client=client).json() == {"result": "captured"}
    assert row(sqlite_url, nid).delivery_status == "delivered"
    assert entries(sqlite_url)[1:] == [("reserve", 10), ("capture", 10)]
    assert balance(get_engine(sqlite_url), tenant["id"]) == Balance(90, 0)


def test_500_then_201_is_retried_and_429_waits_as_told(sqlite_url, twilio):
    tenant, sub, _ = funded_tenant(sqlite_url)
    twilio.script = ["500", "429"]
    ask(sqlite_url, tenant, sub)
    slept: list[float] = []
    assert deliver(sqlite_url, sleep=slept.append).sent == 1
    assert len(twilio.creates()) == 3
    assert _logs(sqlite_url, "sms") == [(1, "retrying"), (2, "retrying"), (3, "sent")]
    assert slept == [pytest.approx(0.05), pytest.approx(0.05)]  # 5 s fixed, ×0.01 in tests
    assert slept[1] >= 1 * 0.01  # the 429's Retry-After: 1 s (scaled), never less


def test_a_budget_of_failures_releases_the_tokens(sqlite_url, twilio):
    tenant, sub, _ = funded_tenant(sqlite_url)
    twilio.script = ["500", "500", "500"]
    asked = ask(sqlite_url, tenant, sub)
    assert deliver(sqlite_url).failed == 1
    assert (
        "3 attempts: Twilio answered 500"
        in row(sqlite_url, nid_of(sqlite_url, asked["id"])).last_error
    )
    assert entries(sqlite_url)[1:] == [("reserve", 10), ("release", 10)]
    assert balance(get_engine(sqlite_url), tenant["id"]) == Balance(100, 0)


def test_a_timeout_after_sending_is_unknown_never_resent_and_the_callback_settles_it(
    sqlite_url, twilio, monkeypatch, tmp_path
):
    monkeypatch.setenv("FOLIO_TWILIO_TIMEOUT_SECONDS", "0.5")
    tenant, sub, _ = funded_tenant(sqlite_url)
    twilio.script = ["timeout"]
    asked = ask(sqlite_url, tenant, sub)
    assert deliver(sqlite_url).unknown == 1
    nid = nid_of(sqlite_url, asked["id"])
    assert row(sqlite_url, nid).state == "unknown"
    assert balance(get_engine(sqlite_url), tenant["id"]) == Balance(90, 10)  # still held
    assert deliver(sqlite_url).sent == 0 and len(twilio.creates()) == 1  # never resent
    [sid] = twilio.created
    with folio_serve(sqlite_url, tmp_path, port=twilio.serve_port):
        assert twilio.callback(sid, "delivered", token="not-the-token").status_code == 403
        assert balance(get_engine(sqlite_url), tenant["id"]) == Balance(90, 10)
        answer = twilio.callback(sid, "delivered")
        assert answer.status_code == 200 and answer.json() == {"result": "captured"}
        assert twilio.callback(sid, "delivered").json() == {"result": "recorded"}  # replay
    assert row(sqlite_url, nid).state == "sent"
    assert entries(sqlite_url)[1:] == [("reserve", 10), ("capture", 10)]


def test_unknown_without_a_callback_is_settled_by_asking_twilio(sqlite_url, twilio, monkeypatch):
    monkeypatch.setenv("FOLIO_TWILIO_TIMEOUT_SECONDS", "0.5")
    tenant, sub, _ = funded_tenant(sqlite_url)
    twilio.script = ["timeout"]
    ask(sqlite_url, tenant, sub)
    deliver(sqlite_url)
    [sid] = twilio.created
    twilio.set_status(sid, "delivered")
    from datetime import timedelta

    assert reconcile(get_engine(sqlite_url), open_phone_sender(), timedelta(0)) == {
        "settled": 1,
        "released": 0,
        "waiting": 0,
    }
    assert entries(sqlite_url)[1:] == [("reserve", 10), ("capture", 10)]
    assert verify(get_engine(sqlite_url), tenant["id"]) == Balance(90, 0)


def test_a_call_is_captured_when_completed_and_released_when_not_answered(
    sqlite_url, twilio, tmp_path
):
    tenant, sub, _ = funded_tenant(sqlite_url)
    first = ask(sqlite_url, tenant, sub, channel="voice")
    second = ask(sqlite_url, tenant, sub, channel="voice", to="+13055550143")
    assert deliver(sqlite_url).sent == 2
    calls = twilio.creates("voice")
    assert [c["form"]["TimeLimit"] for c in calls] == ["180", "180"]
    assert calls[0]["form"]["Twiml"].startswith('<Response><Say voice="alice">Hello')
    assert balance(get_engine(sqlite_url), tenant["id"]) == Balance(60, 40)  # until Twilio says
    sid1, sid2 = list(twilio.created)
    with folio_serve(sqlite_url, tmp_path, port=twilio.serve_port):
        assert twilio.callback(sid1, "completed", duration=95).json() == {"result": "captured"}
        assert twilio.callback(sid2, "no-answer").json() == {"result": "released"}
    assert row(sqlite_url, nid_of(sqlite_url, first["id"])).state == "sent"
    assert row(sqlite_url, nid_of(sqlite_url, second["id"])).last_error == "provider: no-answer"
    assert balance(get_engine(sqlite_url), tenant["id"]) == Balance(80, 0)
    with get_engine(sqlite_url).connect() as conn:
        durations = conn.execute(
            select(delivery_attempts.c.status, delivery_attempts.c.duration_seconds)
            .where(delivery_attempts.c.channel == "voice")
            .order_by(delivery_attempts.c.id)
        ).all()
    assert [tuple(d) for d in durations] == [
        ("sent", None),
        ("sent", None),
        ("completed", 95),
        ("no-answer", None),
    ]


def test_stop_is_honoured_by_the_very_next_message(sqlite_url, twilio, tmp_path):
    tenant, sub, _ = funded_tenant(sqlite_url)
    asked = ask(sqlite_url, tenant, sub)  # queued before the STOP arrives
    public = f"http://127.0.0.1:{twilio.serve_port}"
    with folio_serve(sqlite_url, tmp_path, port=twilio.serve_port) as base:
        assert inbound(base, public, LEAD_PHONE, "stop", token="wrong").status_code == 403
        answer = inbound(base, public, LEAD_PHONE, "STOP")
        assert answer.status_code == 200 and "unsubscribed" in answer.text
    assert deliver(sqlite_url).blocked == 1
    assert twilio.creates() == []
    assert row(sqlite_url, nid_of(sqlite_url, asked["id"])).last_error.startswith(
        "blocked (opt_out)"
    )
    assert entries(sqlite_url)[1:] == [("reserve", 10), ("release", 10)]
    from pipelines.outreach.requests import OutreachError

    with pytest.raises(OutreachError, match="opted out") as refused:
        ask(sqlite_url, tenant, sub)  # a new request is refused at once, naming the rule
    assert (refused.value.status, refused.value.where) == (422, "opt_out")
    with get_engine(sqlite_url).connect() as conn:
        cb = compliance_blocks.c
        blocks = conn.execute(select(cb.rule, cb.action).order_by(cb.id)).all()
    assert [tuple(b) for b in blocks] == [("opt_out", "blocked"), ("opt_out", "refused")]


def test_twilio_s_unsubscribed_refusal_fails_releases_and_opts_the_number_out(sqlite_url, twilio):
    tenant, sub, _ = funded_tenant(sqlite_url)
    twilio.script = ["unsubscribed"]
    ask(sqlite_url, tenant, sub)
    assert deliver(sqlite_url).failed == 1
    assert len(twilio.creates()) == 1  # a 4xx is not retried
    with get_engine(sqlite_url).connect() as conn:
        assert conn.execute(select(opt_outs.c.phone, opt_outs.c.source)).all() == [
            (LEAD_PHONE, "provider")
        ]
    assert balance(get_engine(sqlite_url), tenant["id"]) == Balance(100, 0)


def test_an_operator_settling_an_unknown_sms_settles_its_tokens(sqlite_url, twilio, monkeypatch):
    from pipelines.notify.outbox import resolve_unknown

    monkeypatch.setenv("FOLIO_TWILIO_TIMEOUT_SECONDS", "0.5")
    tenant, sub, _ = funded_tenant(sqlite_url)
    twilio.script = ["timeout", "timeout"]
    first = nid_of(sqlite_url, ask(sqlite_url, tenant, sub)["id"])
    second = nid_of(sqlite_url, ask(sqlite_url, tenant, sub, to="+13055550143")["id"])
    assert deliver(sqlite_url).unknown == 2
    engine = get_engine(sqlite_url)
    assert resolve_unknown(engine, first, "failed") == "failed"
    assert resolve_unknown(engine, second, "sent") == "sent"
    assert resolve_unknown(engine, second, "failed") is None  # no longer unknown
    assert entries(sqlite_url)[1:] == [
        ("reserve", 10),
        ("reserve", 10),
        ("release", 10),
        ("capture", 10),
    ]
    assert balance(engine, tenant["id"]) == Balance(90, 0) == verify(engine, tenant["id"])


def test_an_sms_twilio_still_calls_sent_after_72_hours_is_captured_by_reconcile(
    sqlite_url, twilio, frozen_clock
):
    from datetime import timedelta

    tenant, sub, _ = funded_tenant(sqlite_url)
    nid = nid_of(sqlite_url, ask(sqlite_url, tenant, sub)["id"])
    deliver(sqlite_url)
    [sid] = twilio.created
    twilio.set_status(sid, "sent")  # the carrier never sends a delivery receipt
    engine = get_engine(sqlite_url)
    frozen_clock.shift(timedelta(hours=71))
    assert reconcile(engine, open_phone_sender(), timedelta(0))["waiting"] == 1
    assert balance(engine, tenant["id"]) == Balance(90, 10)
    assert row(sqlite_url, nid).delivery_status == "sent"
    frozen_clock.shift(timedelta(hours=2))
    assert reconcile(engine, open_phone_sender(), timedelta(0))["settled"] == 1
    assert entries(sqlite_url)[1:] == [("reserve", 10), ("capture", 10)]
    assert balance(engine, tenant["id"]) == Balance(90, 0) == verify(engine, tenant["id"])
    assert (row(sqlite_url, nid).state, row(sqlite_url, nid).delivery_status) == ("sent", "sent")
