"""Alerts beyond email: a webhook per immediate match (signed, retried), an `urgent_lead` SMS
for each hot lead paid from the tenant's tokens (refused, and recorded, when they run out),
through the embedded file outbox when no Twilio account is set."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import date
from http.server import BaseHTTPRequestHandler

from sqlalchemy import select, update

from pipelines.accounts.criteria import Criteria
from pipelines.accounts.subscribers import set_criteria
from pipelines.accounts.tenants import add_tenant, get_tenant
from pipelines.alerts.match import match_leads
from pipelines.alerts.queue import queue_match_notifications
from pipelines.alerts.subscriptions import add_subscriber
from pipelines.billing.ledger import Balance, balance, grant
from pipelines.db.engine import get_engine
from pipelines.db.schema import compliance_blocks, delivery_attempts, notifications, tenants
from pipelines.notify.webhooks import is_slack
from pipelines.outreach.verification import check, start
from pipelines.settings import get_settings
from tests.lead_helpers import add_leads, add_property, daily
from tests.outreach.helpers import all_hours, deliver
from tests.servers import LocalHttpServer

DAY = date(2026, 11, 20)
SECRET = "0" * 64


class Receiver(LocalHttpServer):
    """A tenant's webhook endpoint: answers 500 to the first request, then 200."""

    def __init__(self):
        self.got: list[tuple[dict, bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.got.append((dict(self.headers), body))
                self.send_response(500 if len(outer.got) == 1 else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self._serve(Handler)


def test_webhooks_for_every_match_and_sms_for_hot_leads_while_tokens_last(sqlite_url, monkeypatch):
    all_hours(monkeypatch)
    engine = get_engine(sqlite_url)
    add_tenant(engine, "acme", "Acme")
    t = get_tenant(engine, "acme")["id"]
    sub = add_subscriber(engine, t, "agent@acme.example", "Ana", phone="(305) 555-0123")
    set_criteria(
        engine,
        t,
        sub,
        Criteria(lead_types=["foreclosure", "lien"], channels=["email", "sms", "webhook"]),
    )
    _verify_phone(sqlite_url, t, sub)  # SMS alerts go only to a verified phone
    grant(engine, t, 15, "seed")  # one SMS (10), not two
    add_property(sqlite_url, "3040120010010")
    hot1, hot2, lien = add_leads(
        sqlite_url,
        [
            ("foreclosure", 91, DAY, daily(DAY)),
            ("foreclosure", 92, DAY, daily(DAY)),
            ("lien", 70, DAY, daily(DAY)),
        ],
    )
    with Receiver() as hook:
        with engine.begin() as conn:
            conn.execute(
                update(tenants).values(webhook_url=f"{hook.url}/folio", webhook_secret=SECRET)
            )
        match_leads(engine, today=DAY)
        with engine.begin() as conn:
            counts = queue_match_notifications(conn)
        assert (counts["webhooks"], counts["sms"], counts["sms_refused"]) == (3, 1, 1)
        with engine.begin() as conn:  # a replay queues nothing more and reserves nothing more
            again = queue_match_notifications(conn)
        assert (again["webhooks"], again["sms"]) == (0, 0)
        assert balance(engine, t) == Balance(5, 10)
        done = deliver(sqlite_url)
        assert (done.sent, done.failed) == (4, 0)  # 3 webhooks (one after a 500), 1 SMS
        assert len(hook.got) == 4
        headers, body = hook.got[-1]
    stamp, sig = (p.split("=", 1)[1] for p in headers["X-Folio-Signature"].split(","))
    expected = hmac.new(SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert sig == expected
    payload = json.loads(body)
    assert payload["event"] == "new_lead_alert" and payload["lead"]["folio"] == "3040120010010"
    assert balance(engine, t) == Balance(5, 0)  # the file outbox's SMS is captured at once
    files = (get_settings().data_dir / "outbox" / "sms").resolve().glob("*.json")
    [written] = [
        w for f in files if (w := json.loads(f.read_text()))["body"].startswith("Folio hot")
    ]
    assert written["to"] == "+13055550123"
    with engine.connect() as conn:
        kinds = conn.execute(
            select(notifications.c.channel, notifications.c.item_id)
            .where(notifications.c.channel != "email", notifications.c.item_kind != "verify")
            .order_by(notifications.c.id)
        ).all()
        refused = conn.execute(select(compliance_blocks.c.rule, compliance_blocks.c.detail)).all()
        attempts = (
            conn.execute(
                select(delivery_attempts.c.status).where(delivery_attempts.c.channel == "webhook")
            )
            .scalars()
            .all()
        )
    assert sorted(tuple(k) for k in kinds) == sorted(
        [("webhook", hot1), ("webhook", hot2), ("webhook", lien), ("sms", hot1)]
    )
    assert [tuple(r) for r in refused] == [("tokens", "10 tokens needed, 5 available")]
    assert sorted(attempts) == ["retrying", "sent", "sent", "sent"]


def _verify_phone(url: str, tenant_id: int, sub: int) -> None:
    """The subscriber verifies the phone as anyone does: a code by SMS (its own 10 tokens,
    captured by the file outbox), read back and checked."""
    engine = get_engine(url)
    grant(engine, tenant_id, 10, "verify")
    start(engine, tenant_id, sub)
    assert deliver(url).sent == 1
    [sent] = (get_settings().data_dir / "outbox" / "sms").resolve().glob("*.json")
    code = re.search(r"code is (\d{6})", json.loads(sent.read_text())["body"]).group(1)
    assert check(engine, tenant_id, sub, code).verified
    assert balance(engine, tenant_id) == Balance(0, 0)


def test_slack_urls_get_slack_s_body():
    assert is_slack("https://hooks.slack.com/services/T0/B0/x")
    assert not is_slack("https://hooks.slack.com.evil.example/x")
