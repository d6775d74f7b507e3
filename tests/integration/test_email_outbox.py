"""Email delivery through the outbox, with the real `sendgrid` SDK against a local fake
SendGrid that checks the v3 mail/send payload: nothing is sent twice, 500s retry within
the budget, a timeout after the request left ends `unknown` and is never resent, and
the API key appears in no table and no log line."""

import logging
import threading

import pytest
from sqlalchemy import select

from pipelines.db.engine import get_engine
from pipelines.db.schema import delivery_attempts as delivery_attempts
from pipelines.db.schema import notifications
from pipelines.notify.delivery import deliver_email
from pipelines.notify.email import FileOutbox, SendGridSender
from tests.fake_providers import FakeSendGrid

KEY = "SG.test-secret-key-do-not-log"


@pytest.fixture
def outbox_db(sqlite_url):
    """A tenant whose subscriber has one queued welcome email (queued by add_subscriber)."""
    from tests.listing_helpers import tenant_with_subscribers

    tenant_with_subscribers(sqlite_url, "acme", [{}])
    return get_engine(sqlite_url)


def _state(engine):
    with engine.connect() as conn:
        n = conn.execute(
            select(
                notifications.c.state, notifications.c.attempts, notifications.c.provider_message_id
            )
        ).one()
        logs = conn.execute(
            select(
                delivery_attempts.c.attempt, delivery_attempts.c.status, delivery_attempts.c.error
            ).order_by(delivery_attempts.c.id)
        ).all()
    return tuple(n), [tuple(r) for r in logs]


def _sendgrid(monkeypatch, api, timeout=5.0):
    monkeypatch.setenv("SENDGRID_API_KEY", KEY)
    return SendGridSender(api.url, timeout)


def test_sendgrid_payload_and_no_second_send(outbox_db, monkeypatch):
    with FakeSendGrid(KEY) as api:
        sender = _sendgrid(monkeypatch, api)
        first = deliver_email(outbox_db, sender)
        again = deliver_email(outbox_db, sender)
    assert (first.sent, again.sent) == (1, 0)
    [body] = api.accepted
    assert body["personalizations"][0]["to"][0]["email"] == "sub1@acme.example"
    assert body["subject"] == "Welcome to Folio property alerts"
    assert body["custom_args"]["folio_idempotency_key"] == "email:s1:welcome:1"
    assert "scores 70 or more" in body["content"][0]["value"]
    assert body["content"][1]["value"].startswith("<!doctype html>")
    assert _state(outbox_db) == (("sent", 1, "sg-1"), [(1, "sent", None)])


def test_provider_500_retries_then_succeeds(outbox_db, monkeypatch):
    sleeps = []
    with FakeSendGrid(KEY, ["500", "500", "ok"]) as api:
        counts = deliver_email(outbox_db, _sendgrid(monkeypatch, api), sleep=sleeps.append)
    assert counts.sent == 1 and len(api.requests) == 3 and len(api.accepted) == 1
    assert sleeps == [1, 2]  # exponential from 1 s
    state, logs = _state(outbox_db)
    assert state == ("sent", 3, "sg-1")
    assert [(a, s) for a, s, _ in logs] == [(1, "retrying"), (2, "retrying"), (3, "sent")]
    assert logs[0][2].startswith("SendGrid answered 500")


def test_budget_exhausted_ends_failed(outbox_db, monkeypatch):
    sleeps = []
    with FakeSendGrid(KEY, ["500"] * 6) as api:
        counts = deliver_email(outbox_db, _sendgrid(monkeypatch, api), sleep=sleeps.append)
    assert counts.failed == 1 and len(api.requests) == 6  # 1 + 5 retries
    assert sleeps == [1, 2, 4, 8, 16]
    state, logs = _state(outbox_db)
    assert state[:2] == ("failed", 6) and logs[-1][:2] == (6, "failed")


def test_refusal_is_not_retried(outbox_db, monkeypatch):
    with FakeSendGrid(KEY, ["400"]) as api:
        counts = deliver_email(outbox_db, _sendgrid(monkeypatch, api), sleep=lambda s: None)
    assert counts.failed == 1 and len(api.requests) == 1


def test_timeout_after_the_request_left_is_unknown_and_never_resent(outbox_db, monkeypatch):
    with FakeSendGrid(KEY, ["hang"]) as api:
        api.hang_seconds = 1.5
        sender = _sendgrid(monkeypatch, api, timeout=0.4)
        counts = deliver_email(outbox_db, sender, sleep=lambda s: None)
        again = deliver_email(outbox_db, sender, sleep=lambda s: None)
    assert (counts.unknown, again.sent, again.unknown) == (1, 0, 0)
    assert (
        len(api.requests) == 1 and len(api.accepted) == 1
    )  # it did go out: a resend would double it
    state, logs = _state(outbox_db)
    assert state == ("unknown", 1, None)
    assert logs == [
        (1, "unknown", "no answer from SendGrid after the request was sent (TimeoutError)")
    ]


def test_api_key_never_logged_or_stored(outbox_db, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    with FakeSendGrid(KEY, ["500", "ok"]) as api:
        deliver_email(outbox_db, _sendgrid(monkeypatch, api), sleep=lambda s: None)
    assert KEY not in caplog.text
    with outbox_db.connect() as conn:
        dumped = repr(conn.execute(select(delivery_attempts)).all()) + repr(
            conn.execute(select(notifications)).all()
        )
    assert KEY not in dumped


def test_sendgrid_errors_repeating_the_key_are_stored_and_logged_redacted(
    outbox_db, monkeypatch, caplog
):
    caplog.set_level(logging.DEBUG)
    with FakeSendGrid(KEY, ["echo-500", "echo"]) as api:
        counts = deliver_email(outbox_db, _sendgrid(monkeypatch, api), sleep=lambda s: None)
    said = "key [redacted] refused (Authorization: Bearer [redacted])"
    assert counts.failed == 1 and KEY not in repr(counts.problems)
    state, logs = _state(outbox_db)
    assert state == ("failed", 2, None)
    assert logs == [
        (1, "retrying", f'SendGrid answered 500: {{"errors": [{{"message": "{said}"}}]}}'),
        (2, "failed", f'SendGrid answered 400: {{"errors": [{{"message": "{said}"}}]}}'),
    ]
    with outbox_db.connect() as conn:
        dumped = repr(conn.execute(select(delivery_attempts)).all()) + repr(
            conn.execute(select(notifications)).all()
        )
    assert KEY not in dumped and KEY not in caplog.text


def test_an_error_cut_short_is_redacted_first(outbox_db, monkeypatch):
    with FakeSendGrid(KEY, ["echo-long"]) as api:
        deliver_email(outbox_db, _sendgrid(monkeypatch, api), sleep=lambda s: None)
    _, [(_, status, error)] = _state(outbox_db)
    assert status == "failed" and "SG.te" not in error  # not even the part before a cut
    assert error == 'SendGrid answered 400: {"errors": [{"message": "' + "x" * 270 + "[reda"


def test_an_unexpected_error_naming_the_key_is_stored_redacted(outbox_db, monkeypatch):
    class Leaky:
        name = "leaky"

        def send(self, msg):
            raise RuntimeError(f"boom at https://api.example/send?api_key={KEY}&x=1")

    monkeypatch.setenv("SENDGRID_API_KEY", KEY)
    counts = deliver_email(outbox_db, Leaky(), sleep=lambda s: None)
    assert counts.unknown == 1
    state, logs = _state(outbox_db)
    assert logs == [
        (
            1,
            "unknown",
            "unexpected RuntimeError while sending: boom at "
            "https://api.example/send?api_key=[redacted]&x=1",
        )
    ]


def test_concurrent_deliveries_send_each_message_once(sqlite_url, tmp_path):
    from tests.listing_helpers import tenant_with_subscribers

    tenant_with_subscribers(sqlite_url, "acme", [{}] * 30)  # 30 queued welcome emails
    engine = get_engine(sqlite_url)
    sent: list[str] = []
    lock = threading.Lock()

    class CountingOutbox(FileOutbox):
        def send(self, msg):
            with lock:
                sent.append(msg.idempotency_key)
            return super().send(msg)

    sender = CountingOutbox(tmp_path / "outbox")
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(deliver_email(engine, sender, workers=4)))
        for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(sent) == sorted(set(sent)) and len(sent) == 30
    # Each run saw some or all of the 30 (depending on timing); the claim gave each message to one
    # run.
    assert sum(r.sent for r in results) == 30
    assert all(r.failed == r.unknown == 0 for r in results)
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 30


@pytest.mark.parametrize(
    "action, error",
    [
        ("badstatus", "no answer from SendGrid after the request was sent (BadStatusLine)"),
        ("truncate", "no answer from SendGrid after the request was sent (IncompleteRead)"),
    ],
)
def test_a_broken_answer_is_unknown_logged_and_the_chunk_goes_on(
    sqlite_url, monkeypatch, action, error
):
    from tests.listing_helpers import tenant_with_subscribers

    tenant_with_subscribers(sqlite_url, "acme", [{}, {}])  # two queued welcome emails
    engine = get_engine(sqlite_url)
    with FakeSendGrid(KEY, [action, "ok"]) as api:
        counts = deliver_email(engine, _sendgrid(monkeypatch, api), sleep=lambda s: None, workers=1)
        again = deliver_email(engine, _sendgrid(monkeypatch, api), sleep=lambda s: None)
    assert (counts.unknown, counts.sent, again.sent, again.unknown) == (1, 1, 0, 0)
    assert len(api.requests) == 2  # the broken one is never resent: it did arrive
    with engine.connect() as conn:
        states = conn.execute(
            select(notifications.c.id, notifications.c.state, notifications.c.attempts).order_by(
                notifications.c.id
            )
        ).all()
        logs = conn.execute(
            select(
                delivery_attempts.c.notification_id,
                delivery_attempts.c.status,
                delivery_attempts.c.error,
            ).order_by(delivery_attempts.c.id)
        ).all()
    assert [tuple(r) for r in states] == [(1, "unknown", 1), (2, "sent", 1)]
    assert [tuple(r) for r in logs] == [(1, "unknown", error), (2, "sent", None)]


def test_429_retry_after_is_honoured(outbox_db, monkeypatch):
    sleeps = []
    with FakeSendGrid(KEY, ["429-retry-after-7", "ok"]) as api:
        counts = deliver_email(outbox_db, _sendgrid(monkeypatch, api), sleep=sleeps.append)
    assert counts.sent == 1 and sleeps == [7.0]  # not the budget's 1 s


def test_mail_stuck_in_sending_is_swept_even_with_nothing_queued(outbox_db):
    from datetime import datetime, timedelta, timezone

    from dagster import DagsterInstance, build_sensor_context
    from sqlalchemy import update

    from pipelines.notify.delivery import email_backlog
    from resources.database import FolioDatabase
    from sensors.email_delivery import email_outbox_sensor

    old = datetime.now(timezone.utc) - timedelta(minutes=20)
    with outbox_db.begin() as conn:  # a run claimed it, then died
        conn.execute(update(notifications).values(state="sending", updated_at=old))
    assert email_backlog(outbox_db, 1).stale_sending == 1
    ctx = build_sensor_context(
        instance=DagsterInstance.ephemeral(),
        cursor="1",
        resources={"database": FolioDatabase(url=str(outbox_db.url))},
    )
    request = email_outbox_sensor(ctx)
    assert request.run_key.startswith("email-sweep:1:")
    counts = deliver_email(outbox_db, FileOutbox(outbox_db.url.database + ".eml"), up_to_id=1)
    assert (counts.marked_unknown_stale, counts.sent) == (1, 0)
    assert _state(outbox_db)[0] == ("unknown", 0, None)


def test_an_alert_runs_one_try_hands_a_passing_failure_back_to_the_queue(outbox_db, monkeypatch):
    """The run that queued an alert sends it with one try: a 500 puts it back in `queued`
    (not failed, no admin alert), and the deliver_email job then sends it with its budget; a
    400 fails it at once, as the job would."""
    with FakeSendGrid(KEY, script=["500", "ok"]) as api:
        sender = _sendgrid(monkeypatch, api)
        now = deliver_email(outbox_db, sender, after_id=0, at_once=True)
        assert (now.sent, now.failed, now.problems) == (0, 0, {})
        state, logs = _state(outbox_db)
        assert state == ("queued", 1, None)
        assert [log[:2] for log in logs] == [(1, "retrying")] and "500" in logs[0][2]
        later = deliver_email(outbox_db, sender)
    assert later.sent == 1 and len(api.accepted) == 1
    assert _state(outbox_db)[0] == ("sent", 1, "sg-1")


def test_an_alert_runs_try_only_takes_what_was_queued_after_its_mark(outbox_db, monkeypatch):
    with FakeSendGrid(KEY, script=["400"]) as api:
        sender = _sendgrid(monkeypatch, api)
        assert deliver_email(outbox_db, sender, after_id=1, at_once=True).as_dict()["sent"] == 0
        assert api.requests == []  # the welcome (id 1) was queued before the mark
        failed = deliver_email(outbox_db, sender, after_id=0, at_once=True)
    assert failed.failed == 1 and 1 in failed.problems
    assert _state(outbox_db)[0][0] == "failed"
