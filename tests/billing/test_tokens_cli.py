"""`folio tokens`: amounts are ASCII digits only (int() alone takes "٧" as 7 and "1_000" as
1000), within what the ledger can hold; `folio tokens purchases` shows Stripe's events with
what became of each."""

from __future__ import annotations

import json

import pytest
import stripe
from click.testing import CliRunner
from fastapi.testclient import TestClient

from pipelines import clock
from pipelines.billing.ledger import Balance, balance
from pipelines.cli import main
from pipelines.db.engine import get_engine
from tests.listing_helpers import tenant_with_subscribers


@pytest.fixture
def folio(sqlite_url, monkeypatch):
    monkeypatch.setenv("FOLIO_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args), catch_exceptions=False)


@pytest.mark.parametrize("amount", ["٧", "²", "1_000", " 5", "+5", "0", "-5", "2147483648", "5.0"])
def test_a_grant_amount_that_is_not_plain_ascii_digits_is_refused(folio, sqlite_url, amount):
    tenant, _, _ = tenant_with_subscribers(sqlite_url, "acme", [])
    result = folio("tokens", "grant", "acme", amount)
    assert result.exit_code == 2, result.output
    assert "AMOUNT" in result.output
    assert balance(get_engine(sqlite_url), tenant["id"]) == Balance(0, 0)


def test_a_plain_amount_is_granted(folio, sqlite_url):
    tenant, _, _ = tenant_with_subscribers(sqlite_url, "acme", [])
    assert folio("tokens", "grant", "acme", "2147483647").exit_code == 0
    assert balance(get_engine(sqlite_url), tenant["id"]) == Balance(2147483647, 0)
    assert folio("tokens", "history", "acme", "--limit", "٣").exit_code == 2


def test_purchases_lists_what_became_of_each_stripe_event(folio, sqlite_url, monkeypatch):
    from pipelines.http.app import app

    secret = "whsec_cli"
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", secret)
    tenant_with_subscribers(sqlite_url, "acme", [{}])
    client = TestClient(app)
    for event_id, tokens in (("evt_ok", "500"), ("evt_bad", "٧")):
        body = json.dumps(
            {
                "id": event_id,
                "type": "checkout.session.completed",
                "data": {
                    "object": {"id": "cs_1", "metadata": {"tenant": "acme", "tokens": tokens}}
                },
            }
        )
        header = stripe.WebhookSignature.generate_signature_header(
            body, secret, int(clock.now().timestamp())
        )
        client.post("/billing/stripe", content=body, headers={"Stripe-Signature": header})
    shown = folio("tokens", "purchases")
    assert shown.exit_code == 0
    lines = [line for line in shown.output.splitlines() if "evt_" in line]
    assert len(lines) == 2
    assert "evt_bad" in lines[0] and "refused" in lines[0] and "metadata.tokens" in lines[0]
    assert "evt_ok" in lines[1] and "granted" in lines[1] and "500" in lines[1]
    refused = folio("tokens", "purchases", "--refused")
    assert "evt_bad" in refused.output and "evt_ok" not in refused.output
