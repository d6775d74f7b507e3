"""What a hostile or careless client, or a replaying provider, sends: look-alike digits past
the opt-out list, disguised STOPs, Twilio callbacks out of order or with absurd values, an
Idempotency-Key re-used for another request, provider errors that repeat our secrets."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select

from pipelines.billing.ledger import Balance, balance, verify
from pipelines.cli import main
from pipelines.db.engine import get_engine
from pipelines.db.schema import delivery_attempts as delivery_attempts
from pipelines.db.schema import notifications, opt_outs
from tests.fake_twilio import TOKEN, FakeTwilio, inbound, signed_post, twilio_env
from tests.outreach.helpers import LEAD_PHONE, all_hours, ask, deliver, entries, funded_tenant

PUBLIC = "http://folio.test"


@pytest.fixture
def twilio(monkeypatch):
    all_hours(monkeypatch)
    monkeypatch.setenv("FOLIO_PUBLIC_BASE_URL", PUBLIC)
    with FakeTwilio() as fake:
        twilio_env(monkeypatch, fake)
        yield fake


def _app(url: str, monkeypatch) -> TestClient:
    from pipelines.http.app import app

    monkeypatch.setenv("FOLIO_DATABASE_URL", url)
    return TestClient(app)


def _sent_sms(url: str, twilio: FakeTwilio):
    """A funded tenant's SMS, delivered to the fake: (tenant, notification id, sid)."""
    tenant, sub, _ = funded_tenant(url)
    ask(url, tenant, sub)
    assert deliver(url).sent == 1
    [sid] = twilio.created
    with get_engine(url).connect() as conn:
        nid = conn.execute(
            select(notifications.c.id).where(notifications.c.channel == "sms")
        ).scalar_one()
    return tenant, nid, sid


def _state(url: str, nid: int):
    with get_engine(url).connect() as conn:
        r = conn.execute(select(notifications).where(notifications.c.id == nid)).one()
    return r.state, r.delivery_status


def _log(url: str) -> list[str]:
    with get_engine(url).connect() as conn:
        return list(
            conn.execute(
                select(delivery_attempts.c.status).order_by(delivery_attempts.c.id)
            ).scalars()
        )


# -- finding 3: look-alike digits ----------------------------------------------------------


def test_full_width_and_arabic_indic_digits_cannot_slip_past_the_opt_out_list(db_url, monkeypatch):
    all_hours(monkeypatch)
    client = _app(db_url, monkeypatch)
    tenant, sub, key = funded_tenant(db_url)
    added = CliRunner().invoke(main, ["optout", "add", "+13055550177"])
    assert added.exit_code == 0, added.output
    refused_cli = CliRunner().invoke(main, ["optout", "add", "+1305555017\uff17"])
    assert refused_cli.exit_code != 0 and "only ASCII digits" in refused_cli.output
    for to in ("+1305555017\uff17", "+1305555017\u0667", "+1\u0663\u0660\u0665 555 0177"):
        answer = client.post(
            "/outreach",
            json={"channel": "sms", "subscriber_id": sub, "to": to},
            headers={"X-API-Key": key},
        )
        assert answer.status_code == 422, answer.text
        assert answer.json()["detail"][0]["loc"] == ["body", "to"]
        assert "only ASCII digits" in answer.json()["detail"][0]["msg"]
    plain = client.post(
        "/outreach",
        json={"channel": "sms", "subscriber_id": sub, "to": "(305) 555-0177"},
        headers={"X-API-Key": key},
    )
    assert plain.status_code == 422 and plain.json()["detail"][0]["type"] == "opt_out"
    assert balance(get_engine(db_url), tenant["id"]) == Balance(100, 0)
    contact = client.put(
        "/leads/1/contact", json={"phone": "+1305555017\uff17"}, headers={"X-API-Key": key}
    )
    assert contact.status_code in (404, 422)  # no lead 1 here; never a stored look-alike


# -- finding 4: STOP however it is spelled --------------------------------------------------


@pytest.mark.parametrize(
    "body",
    ["STOP\u200b", "\uff33\uff34\uff2f\uff30", "\ufeffstop", "S\u200dTOP", "Revoke", "OPTOUT"],
)
def test_disguised_stop_replies_opt_the_number_out(sqlite_url, twilio, monkeypatch, body):
    client = _app(sqlite_url, monkeypatch)
    answer = inbound("", PUBLIC, LEAD_PHONE, body, client=client)
    assert answer.status_code == 200 and "unsubscribed" in answer.text
    with get_engine(sqlite_url).connect() as conn:
        assert conn.execute(select(opt_outs.c.phone, opt_outs.c.source)).all() == [
            (LEAD_PHONE, "inbound")
        ]
    again = inbound("", PUBLIC, LEAD_PHONE, "\uff33\uff34\uff21\uff32\uff34", client=client)
    assert "resubscribed" in again.text
    with get_engine(sqlite_url).connect() as conn:
        assert conn.execute(select(opt_outs.c.phone)).all() == []


# -- finding 6: callbacks out of order -----------------------------------------------------


def test_undelivered_then_a_late_delivered_stays_failed_and_released(db_url, twilio, monkeypatch):
    client = _app(db_url, monkeypatch)
    tenant, nid, sid = _sent_sms(db_url, twilio)
    assert _state(db_url, nid) == ("sent", "accepted")
    assert balance(get_engine(db_url), tenant["id"]) == Balance(90, 10)  # until Twilio says
    first = twilio.callback(
        sid,
        "undelivered",
        client=client,
        extra={"ErrorCode": "30003", "ErrorMessage": f"Unreachable (token={TOKEN})"},
    )
    assert first.json() == {"result": "released"}
    late = twilio.callback(sid, "delivered", client=client)
    assert late.status_code == 200 and late.json() == {"result": "recorded"}
    assert _state(db_url, nid) == ("failed", "undelivered")
    assert _log(db_url) == ["sent", "undelivered", "delivered"]
    assert entries(db_url)[1:] == [("reserve", 10), ("release", 10)]
    engine = get_engine(db_url)
    assert balance(engine, tenant["id"]) == Balance(100, 0) == verify(engine, tenant["id"])
    with engine.connect() as conn:
        error = conn.execute(
            select(notifications.c.last_error).where(notifications.c.id == nid)
        ).scalar_one()
        logged = " ".join(
            e or "" for e in conn.execute(select(delivery_attempts.c.error)).scalars()
        )
    assert "30003" in error and TOKEN not in error and TOKEN not in logged


def test_delivered_then_a_late_failed_stays_sent_and_captured(db_url, twilio, monkeypatch):
    client = _app(db_url, monkeypatch)
    tenant, nid, sid = _sent_sms(db_url, twilio)
    assert twilio.callback(sid, "delivered", client=client).json() == {"result": "captured"}
    assert twilio.callback(sid, "failed", client=client).json() == {"result": "recorded"}
    assert twilio.callback(sid, "sent", client=client).json() == {"result": "recorded"}
    assert _state(db_url, nid) == ("sent", "delivered")
    assert _log(db_url) == ["sent", "delivered", "failed", "sent"]
    assert entries(db_url)[1:] == [("reserve", 10), ("capture", 10)]
    engine = get_engine(db_url)
    assert balance(engine, tenant["id"]) == Balance(90, 0) == verify(engine, tenant["id"])


def test_sent_then_undelivered_moves_forward_and_releases(sqlite_url, twilio, monkeypatch):
    client = _app(sqlite_url, monkeypatch)
    tenant, nid, sid = _sent_sms(sqlite_url, twilio)
    assert twilio.callback(sid, "queued", client=client).json() == {"result": "recorded"}
    assert twilio.callback(sid, "sent", client=client).json() == {"result": "recorded"}
    assert twilio.callback(sid, "undelivered", client=client).json() == {"result": "released"}
    assert _state(sqlite_url, nid) == ("failed", "undelivered")
    assert balance(get_engine(sqlite_url), tenant["id"]) == Balance(100, 0)


# -- finding 11: absurd callback values ----------------------------------------------------


def test_absurd_callback_values_are_400_not_500(db_url, twilio, monkeypatch):
    client = _app(db_url, monkeypatch)
    tenant, nid, sid = _sent_sms(db_url, twilio)
    status = f"{PUBLIC}/twilio/status"
    for url in (f"{status}?n={10**20}", f"{status}?n=-1", f"{status}?n=0", f"{status}?n=abc"):
        answer = twilio.callback(sid, "delivered", client=client, url=url)
        assert answer.status_code == 400, (url, answer.text)
    good = f"{status}?n={nid}"
    form = {"MessageSid": sid, "AccountSid": "AC" + "f" * 32}
    for bad in (
        {"MessageStatus": "exploded"},
        {"MessageStatus": "delivered", "MessageSid": "SM" + "1" * 500},
        {"MessageStatus": "delivered", "MessageSid": ""},
        {"MessageStatus": ""},
        {"CallStatus": "completed", "CallSid": "CA" + "0" * 32, "CallDuration": "ten"},
        {"CallStatus": "completed", "CallSid": "CA" + "0" * 32, "CallDuration": str(10**20)},
        {"MessageStatus": "delivered", "ErrorCode": "x" * 50},
    ):
        answer = signed_post(good, {**form, **bad}, client=client)
        assert answer.status_code == 400, (bad, answer.text)
    unsigned = client.post(f"/twilio/status?n={10**20}", data={"MessageStatus": "delivered"})
    assert unsigned.status_code == 403  # the signature is checked before anything else
    assert _state(db_url, nid) == ("sent", "accepted")
    assert balance(get_engine(db_url), tenant["id"]) == Balance(90, 10)  # nothing moved


# -- finding 12: Idempotency-Key with another body -----------------------------------------


def test_an_idempotency_key_reused_for_another_body_is_422(db_url, monkeypatch):
    all_hours(monkeypatch)
    client = _app(db_url, monkeypatch)
    tenant, sub, key = funded_tenant(db_url)
    h = {"X-API-Key": key, "Idempotency-Key": "order-7"}
    body = {"channel": "sms", "subscriber_id": sub, "to": "+13055550150"}
    first = client.post("/outreach", json=body, headers=h)
    assert first.status_code == 202
    for other in (
        {**body, "to": "+13055550151"},
        {**body, "channel": "voice"},
        {"channel": "sms", "subscriber_id": sub, "lead_id": 5},
    ):
        clash = client.post("/outreach", json=other, headers=h)
        assert clash.status_code == 422, clash.text
        detail = clash.json()["detail"][0]
        assert detail["loc"] == ["header", "Idempotency-Key"]
        assert "order-7" in detail["msg"] and "different" in detail["msg"]
    # the same request again (key order and the number's spelling do not matter)
    same = {"to": "(305) 555-0150", "subscriber_id": sub, "channel": "sms"}
    again = client.post("/outreach", json=same, headers=h)
    assert again.status_code == 202 and again.json() == first.json()
    assert balance(get_engine(db_url), tenant["id"]) == Balance(90, 10)


# -- provider text is redacted -------------------------------------------------------------


def test_a_twilio_error_repeating_our_credentials_is_stored_redacted(sqlite_url, twilio):
    tenant, sub, _ = funded_tenant(sqlite_url)
    twilio.script = ["echo"]
    asked = ask(sqlite_url, tenant, sub)
    assert deliver(sqlite_url).failed == 1
    from pipelines.outreach.requests import outreach_view

    view = outreach_view(get_engine(sqlite_url), tenant["id"], asked["id"])
    shown = view["error"] + " ".join(a["error"] or "" for a in view["attempts"])
    assert "Twilio answered 400" in shown and "[redacted]" in shown
    assert TOKEN not in shown
    assert balance(get_engine(sqlite_url), tenant["id"]) == Balance(100, 0)
