"""Phone verification (issue 23, item 5 and finding 14): a random six-digit code, kept only as
a keyed hash, sent by the paid SMS outbox; five attempts, ten minutes, three starts per
number an hour; SMS alerts only to a verified phone."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select

from pipelines.alerts.match import match_leads
from pipelines.alerts.queue import queue_match_notifications
from pipelines.billing.ledger import Balance, balance, grant, verify
from pipelines.cli import main
from pipelines.db.engine import get_engine
from pipelines.db.schema import compliance_blocks, notifications, subscribers
from pipelines.db.schema.accounts import phone_verifications
from pipelines.notify.verify_codes import new_code, unseal
from pipelines.outreach.verification import (
    VerificationError,
    check,
    set_phone,
    start,
)
from pipelines.settings import get_settings
from tests.lead_helpers import add_leads, add_property, daily
from tests.listing_helpers import tenant_with_subscribers
from tests.outreach.helpers import all_hours, deliver, funded_tenant

PHONE = "+13055550123"
OTHER = "+13055550124"
DAY = date(2026, 11, 20)


def _client(url: str, monkeypatch) -> TestClient:
    from pipelines.http.app import app

    monkeypatch.setenv("FOLIO_DATABASE_URL", url)
    return TestClient(app)


def _with_phone(url: str, monkeypatch, phone: str = PHONE, slug: str = "acme"):
    all_hours(monkeypatch)
    tenant, sub, key = funded_tenant(url, 100, slug)
    set_phone(get_engine(url), tenant["id"], sub, phone)
    return tenant, sub, key


def _row(url: str, vid: int):
    with get_engine(url).connect() as conn:
        return conn.execute(
            select(phone_verifications).where(phone_verifications.c.id == vid)
        ).one()


def _code(url: str, vid: int) -> str:
    """The code, as the SMS renderer reads it (a test's short cut past the outbox)."""
    row = _row(url, vid)
    return unseal(row.salt, row.sealed_code)


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def _sms_sent_to(phone: str) -> list[str]:
    folder = (get_settings().data_dir / "outbox" / "sms").resolve()
    found = [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]
    return [f["body"] for f in found if f["to"] == phone]


def test_new_codes_are_six_random_digits():
    codes = [new_code() for _ in range(3000)]
    assert all(len(c) == 6 and c.isascii() and c.isdigit() for c in codes)
    assert len(set(codes)) > 2980  # a million possible codes: a few collisions at most
    assert any(c.startswith("0") for c in codes)  # leading zeros are codes too
    assert len({c[0] for c in codes}) == 10


def test_the_sms_carries_a_random_code_the_database_never_holds(sqlite_url, monkeypatch):
    tenant, sub, key = _with_phone(sqlite_url, monkeypatch)
    client = _client(sqlite_url, monkeypatch)
    answer = client.post("/verify", json={"subscriber_id": sub}, headers={"X-API-Key": key})
    assert answer.status_code == 202, answer.text
    body = answer.json()
    vid = body["verification_id"]
    assert (body["to"], body["attempts_left"], body["tokens_reserved"]) == ("+1305*****23", 5, 10)
    assert balance(get_engine(sqlite_url), tenant["id"]) == Balance(90, 10)
    done = deliver(sqlite_url)  # the outbox sends it, as it sends any SMS
    assert (done.sent, done.failed) == (1, 0)
    [text] = _sms_sent_to(PHONE)
    code = re.search(r"verification code is (\d{6})\. It expires in 10 minutes", text).group(1)
    assert code != str(vid).zfill(6)  # finding 14: it used to be the request's id
    row = _row(sqlite_url, vid)
    assert row.sealed_code is None  # erased when the SMS was rendered
    assert not any(code in (v or "") for v in (row.salt, row.code_hash, row.sealed_code))
    assert row.code_hash not in (
        hashlib.sha256(code.encode()).hexdigest(),
        hashlib.sha256((row.salt + code).encode()).hexdigest(),
        hashlib.sha256(f"{row.salt}:{row.phone}:{code}".encode()).hexdigest(),
    )  # keyed: the table alone cannot be searched through a million codes
    with get_engine(sqlite_url).connect() as conn:
        templates = conn.execute(
            select(notifications.c.item_kind, notifications.c.template, notifications.c.state)
        ).all()
    assert ("verify", "verification", "sent") in [tuple(t) for t in templates]
    assert balance(get_engine(sqlite_url), tenant["id"]) == Balance(90, 0)
    checked = client.post(
        "/verify/check", json={"subscriber_id": sub, "code": code}, headers={"X-API-Key": key}
    )
    assert checked.status_code == 200, checked.text
    assert checked.json()["verified"] is True and checked.json()["attempts_left"] == 4
    with get_engine(sqlite_url).connect() as conn:
        stamped = conn.execute(
            select(subscribers.c.phone_verified_at).where(subscribers.c.id == sub)
        ).scalar()
    assert stamped is not None
    assert _row(sqlite_url, vid).state == "verified"


def test_five_wrong_codes_kill_it(db_url, monkeypatch):
    tenant, sub, _ = _with_phone(db_url, monkeypatch)
    engine = get_engine(db_url)
    vid = start(engine, tenant["id"], sub).verification_id
    code = _code(db_url, vid)
    left = [check(engine, tenant["id"], sub, _wrong(code)).attempts_left for _ in range(5)]
    assert left == [4, 3, 2, 1, 0]
    assert (_row(db_url, vid).state, _row(db_url, vid).attempts) == ("failed", 5)
    with pytest.raises(VerificationError) as dead:
        check(engine, tenant["id"], sub, code)  # the right code, too late
    assert dead.value.status == 410 and "used its 5 attempts" in str(dead.value)
    assert _row(db_url, vid).attempts == 5
    again = start(engine, tenant["id"], sub).verification_id  # a new one must be started
    assert check(engine, tenant["id"], sub, _code(db_url, again)).verified


def test_a_code_expires_after_ten_minutes(db_url, monkeypatch, frozen_clock):
    tenant, sub, _ = _with_phone(db_url, monkeypatch)
    engine = get_engine(db_url)
    vid = start(engine, tenant["id"], sub).verification_id
    code = _code(db_url, vid)
    frozen_clock.shift(601)
    with pytest.raises(VerificationError) as late:
        check(engine, tenant["id"], sub, code)
    assert late.value.status == 410 and "expired at" in str(late.value)
    assert (_row(db_url, vid).state, _row(db_url, vid).attempts) == ("expired", 0)
    in_time = start(engine, tenant["id"], sub).verification_id
    frozen_clock.shift(590)
    assert check(engine, tenant["id"], sub, _code(db_url, in_time)).verified


def test_an_sms_that_goes_after_its_code_expired_carries_no_code(
    sqlite_url, monkeypatch, frozen_clock
):
    tenant, sub, _ = _with_phone(sqlite_url, monkeypatch)
    vid = start(get_engine(sqlite_url), tenant["id"], sub).verification_id
    frozen_clock.shift(601)  # e.g. the outbox was held up
    assert deliver(sqlite_url).sent == 1
    [text] = _sms_sent_to(PHONE)
    assert text.startswith("Folio: the phone verification you asked for has ended.")
    assert not re.search(r"\d{6}", text)
    assert _row(sqlite_url, vid).sealed_code is None


def test_three_starts_per_number_an_hour(sqlite_url, monkeypatch, frozen_clock):
    monkeypatch.setenv("FOLIO_SMS_DAILY_CAP_PER_NUMBER", "10")  # the hourly limit, not the cap
    tenant, sub, key = _with_phone(sqlite_url, monkeypatch)
    client = _client(sqlite_url, monkeypatch)
    asks = [
        client.post("/verify", json={"subscriber_id": sub}, headers={"X-API-Key": key})
        for _ in range(4)
    ]
    assert [a.status_code for a in asks] == [202, 202, 202, 429]
    assert 3500 <= int(asks[3].headers["Retry-After"]) <= 3601
    ids = [a.json()["verification_id"] for a in asks[:3]]
    assert [_row(sqlite_url, i).state for i in ids] == ["replaced", "replaced", "pending"]
    # The replaced codes' SMS had not gone: withdrawn, their tokens back; a 429 costs none.
    assert balance(get_engine(sqlite_url), tenant["id"]) == Balance(90, 10)
    with get_engine(sqlite_url).connect() as conn:
        sms = conn.execute(
            select(notifications.c.state, notifications.c.last_error)
            .where(notifications.c.item_kind == "verify")
            .order_by(notifications.c.id)
        ).all()
    withdrawn = "withdrawn: its verification was replaced before it went"
    assert [tuple(r) for r in sms] == [("failed", withdrawn)] * 2 + [("queued", None)]
    frozen_clock.shift(3601)
    later = client.post("/verify", json={"subscriber_id": sub}, headers={"X-API-Key": key})
    assert later.status_code == 202, later.text


def test_another_tenant_cannot_verify_or_check_a_subscriber(sqlite_url, monkeypatch):
    tenant, sub, key = _with_phone(sqlite_url, monkeypatch)
    _, _, other_key = funded_tenant(sqlite_url, 100, "rival")
    client = _client(sqlite_url, monkeypatch)
    theirs = {"X-API-Key": other_key}
    started = client.post("/verify", json={"subscriber_id": sub}, headers=theirs)
    assert started.status_code == 404 and started.json() == {"detail": f"no subscriber {sub}"}
    ours = client.post("/verify", json={"subscriber_id": sub}, headers={"X-API-Key": key})
    code = _code(sqlite_url, ours.json()["verification_id"])
    checked = client.post(
        "/verify/check", json={"subscriber_id": sub, "code": code}, headers=theirs
    )
    assert checked.status_code == 404
    assert _row(sqlite_url, ours.json()["verification_id"]).attempts == 0
    nokey = client.post("/verify/check", json={"subscriber_id": sub, "code": code})
    assert nokey.status_code == 401


def test_http_answers_wrong_codes_and_bad_input(sqlite_url, monkeypatch):
    tenant, sub, key = _with_phone(sqlite_url, monkeypatch)
    client = _client(sqlite_url, monkeypatch)
    h = {"X-API-Key": key}
    none_yet = client.post(
        "/verify/check", json={"subscriber_id": sub, "code": "123456"}, headers=h
    )
    assert none_yet.status_code == 409 and "POST /verify" in none_yet.json()["detail"]
    vid = client.post("/verify", json={"subscriber_id": sub}, headers=h).json()["verification_id"]
    for code in ("12345", "1234567", "١٢٣٤٥٦", "12345a"):  # not six ASCII digits: no attempt
        bad = client.post("/verify/check", json={"subscriber_id": sub, "code": code}, headers=h)
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "code"]
    wrong = _wrong(_code(sqlite_url, vid))
    answer = client.post("/verify/check", json={"subscriber_id": sub, "code": wrong}, headers=h)
    assert answer.status_code == 422
    assert answer.json()["attempts_left"] == 4 and answer.json()["verified"] is False
    assert answer.json()["detail"][0]["msg"] == "wrong code: 4 attempts left"
    assert _row(sqlite_url, vid).attempts == 1


def test_outreach_no_longer_sends_verification_codes(sqlite_url, monkeypatch):
    tenant, sub, key = _with_phone(sqlite_url, monkeypatch)
    client = _client(sqlite_url, monkeypatch)
    body = {"channel": "sms", "subscriber_id": sub, "to": OTHER, "template": "verification"}
    answer = client.post("/outreach", json=body, headers={"X-API-Key": key})
    assert answer.status_code == 422, answer.text
    assert "lead_intro" in answer.text and "verification" not in answer.json()["detail"][0]["msg"]
    assert balance(get_engine(sqlite_url), tenant["id"]) == Balance(100, 0)


def test_quiet_hours_refuse_a_start_rather_than_hold_the_code(sqlite_url, monkeypatch):
    tenant, sub, key = _with_phone(sqlite_url, monkeypatch)
    monkeypatch.setenv("FOLIO_OUTREACH_ALLOWED_FROM", "00:00")
    monkeypatch.setenv("FOLIO_OUTREACH_ALLOWED_UNTIL", "00:00:00.000001")  # never allowed
    client = _client(sqlite_url, monkeypatch)
    answer = client.post("/verify", json={"subscriber_id": sub}, headers={"X-API-Key": key})
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["type"] == "quiet_hours"
    engine = get_engine(sqlite_url)
    assert balance(engine, tenant["id"]) == Balance(100, 0) == verify(engine, tenant["id"])
    with engine.connect() as conn:
        assert conn.execute(select(phone_verifications.c.id)).all() == []
        blocks = conn.execute(select(compliance_blocks.c.rule, compliance_blocks.c.action)).all()
    assert [tuple(b) for b in blocks] == [("quiet_hours", "refused")]


def test_a_verified_phone_gets_the_hot_lead_sms_an_unverified_one_does_not(sqlite_url, monkeypatch):
    all_hours(monkeypatch)
    engine = get_engine(sqlite_url)
    sms = {"lead_types": ["foreclosure"], "channels": ["email", "sms"]}
    tenant, (proven, unproven), _ = tenant_with_subscribers(sqlite_url, "acme", [sms, sms])
    t = tenant["id"]
    grant(engine, t, 100, "seed")
    set_phone(engine, t, proven, PHONE)
    set_phone(engine, t, unproven, OTHER)
    vid = start(engine, t, proven).verification_id
    assert check(engine, t, proven, _code(sqlite_url, vid)).verified
    add_property(sqlite_url, "3040120010010")
    [hot] = add_leads(sqlite_url, [("foreclosure", 91, DAY, daily(DAY))])
    match_leads(engine, today=DAY)
    with engine.begin() as conn:
        counts = queue_match_notifications(conn)
    assert (counts["sms"], counts["sms_refused"]) == (1, 1)
    with engine.connect() as conn:
        texts = conn.execute(
            select(notifications.c.subscriber_id, notifications.c.to_address).where(
                notifications.c.item_kind == "lead", notifications.c.channel == "sms"
            )
        ).all()
        blocks = conn.execute(
            select(
                compliance_blocks.c.rule, compliance_blocks.c.to_phone, compliance_blocks.c.detail
            )
        ).all()
    assert [tuple(r) for r in texts] == [(proven, PHONE)]
    assert [tuple(b) for b in blocks] == [
        (
            "unverified",
            OTHER,
            f"subscriber {unproven}'s phone is not verified (POST /verify): "
            f"no SMS about lead {hot}",
        )
    ]
    # A new number is unverified again: the next hot lead goes by email only.
    set_phone(engine, t, proven, "+13055550125")
    [hot2] = add_leads(sqlite_url, [("foreclosure", 93, DAY, daily(DAY))])
    match_leads(engine, today=DAY)
    with engine.begin() as conn:
        counts = queue_match_notifications(conn)
    assert (counts["sms"], counts["sms_refused"]) == (0, 2)
    with engine.connect() as conn:
        stamped = conn.execute(
            select(subscribers.c.phone_verified_at).where(subscribers.c.id == proven)
        ).scalar()
        rules = Counter(conn.execute(select(compliance_blocks.c.rule)).scalars())
    assert stamped is None and rules == {"unverified": 3}
    assert balance(engine, t) == Balance(80, 20)  # the code's SMS and one alert, both queued


def test_a_phone_change_cancels_the_verification_in_progress(sqlite_url, monkeypatch):
    tenant, sub, _ = _with_phone(sqlite_url, monkeypatch)
    engine = get_engine(sqlite_url)
    vid = start(engine, tenant["id"], sub).verification_id
    code = _code(sqlite_url, vid)
    set_phone(engine, tenant["id"], sub, OTHER)
    assert (_row(sqlite_url, vid).state, _row(sqlite_url, vid).sealed_code) == ("cancelled", None)
    assert balance(engine, tenant["id"]) == Balance(100, 0)  # its SMS withdrawn, unsent
    assert deliver(sqlite_url).sent == 0
    with pytest.raises(VerificationError) as gone:
        check(engine, tenant["id"], sub, code)
    assert gone.value.status == 409


def test_fifty_concurrent_wrong_codes_take_at_most_five_attempts(db_url, monkeypatch):
    tenant, sub, key = _with_phone(db_url, monkeypatch)
    client = _client(db_url, monkeypatch)
    h = {"X-API-Key": key}
    vid = client.post("/verify", json={"subscriber_id": sub}, headers=h).json()["verification_id"]
    code = _code(db_url, vid)
    wrong = [f"{(int(code) + n) % 10**6:06d}" for n in range(1, 51)]
    with client, ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(
            pool.map(
                lambda c: client.post(
                    "/verify/check", json={"subscriber_id": sub, "code": c}, headers=h
                ),
                wrong,
            )
        )
    codes = Counter(a.status_code for a in answers)
    assert codes == {422: 5, 410: 45}, codes
    left = sorted(a.json()["attempts_left"] for a in answers if a.status_code == 422)
    assert left == [0, 1, 2, 3, 4]
    row = _row(db_url, vid)
    assert (row.attempts, row.state) == (5, "failed")
    late = client.post("/verify/check", json={"subscriber_id": sub, "code": code}, headers=h)
    assert late.status_code == 410


def test_operators_verify_a_phone_from_the_cli(sqlite_url, monkeypatch):
    tenant, sub, _ = _with_phone(sqlite_url, monkeypatch)
    monkeypatch.setenv("FOLIO_DATABASE_URL", sqlite_url)
    runner = CliRunner()
    args = ["subscribers", "verify-phone", "--tenant", "acme", "--subscriber", str(sub)]

    def run(*more: str) -> tuple[int, str]:
        done = runner.invoke(main, [*args, *more])
        return done.exit_code, " ".join(done.output.split())

    status, said = run()
    assert status == 0, said
    vid = int(re.search(r"verification (\d+):", said).group(1))
    assert "+1305*****23 (10 tokens reserved)" in said
    assert run("--code", "12345\uff16")[1].endswith("--code: the 6 digits 0-9 the SMS gave")
    assert run("--code", _wrong(_code(sqlite_url, vid))) == (
        1,
        "error: wrong code: 4 attempts left",
    )
    status, said = run("--code", _code(sqlite_url, vid))
    assert status == 0 and "phone verified at" in said
    args[1] = "set-phone"
    status, said = run("--phone", "(305) 555-0124")
    assert status == 0 and "phone +13055550124, unverified" in said


def test_concurrent_starts_to_one_number_queue_three(db_url, monkeypatch):
    monkeypatch.setenv("FOLIO_SMS_DAILY_CAP_PER_NUMBER", "10")  # the hourly limit, not the cap
    tenant, sub, key = _with_phone(db_url, monkeypatch)
    client = _client(db_url, monkeypatch)
    h = {"X-API-Key": key}
    with client, ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(
            pool.map(
                lambda _: client.post("/verify", json={"subscriber_id": sub}, headers=h), range(12)
            )
        )
    assert Counter(a.status_code for a in answers) == {202: 3, 429: 9}
    engine = get_engine(db_url)
    assert balance(engine, tenant["id"]) == Balance(90, 10) == verify(engine, tenant["id"])
    with engine.connect() as conn:
        states = Counter(conn.execute(select(phone_verifications.c.state)).scalars())
    assert states == {"replaced": 2, "pending": 1}
