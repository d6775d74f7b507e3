"""The daily notice of refused outreach: one email per tenant and day, to the account's
owner, with the count by rule, the balance and where to buy more; sent once."""

from datetime import timedelta

import pytest

from pipelines import clock
from pipelines.db.engine import get_engine
from pipelines.db.schema import notifications
from pipelines.notify.compliance import opt_out
from pipelines.notify.messages import build_messages
from pipelines.outreach.purchases import run_token_expiry
from pipelines.outreach.refusals import queue_refusal_notices
from pipelines.outreach.requests import OutreachError
from pipelines.settings import get_settings
from tests.outreach.helpers import all_hours, ask, funded_tenant


def _refuse_two(url):
    tenant, sub, _ = funded_tenant(url, tokens=15)
    ask(url, tenant, sub, to="+13055550101")  # 10 of 15 tokens
    with pytest.raises(OutreachError):
        ask(url, tenant, sub, to="+13055550102")  # 5 left: refused
    with get_engine(url).begin() as conn:
        opt_out(conn, "+13055550103", "operator")
    with pytest.raises(OutreachError):
        ask(url, tenant, sub, to="+13055550103")
    return tenant, sub


def test_one_notice_per_tenant_and_day_with_the_rules_and_the_balance(db_url, monkeypatch):
    all_hours(monkeypatch)
    tenant, sub = _refuse_two(db_url)
    engine = get_engine(db_url)
    today = clock.today()
    assert queue_refusal_notices(engine, today) == 1
    assert queue_refusal_notices(engine, today) == 0  # keyed by the day
    assert queue_refusal_notices(engine, today - timedelta(days=1)) == 0  # nothing refused then
    with engine.connect() as conn:
        [nid] = conn.execute(
            notifications.select()
            .with_only_columns(notifications.c.id)
            .where(notifications.c.item_kind == "refusals", notifications.c.subscriber_id == sub)
        ).scalars()
    msg = build_messages(engine, [nid], get_settings())[nid]
    assert msg.subject == f"2 Folio messages were not sent on {today.isoformat()}"
    assert "  - 1 for want of tokens\n" in msg.text
    assert "  - 1 to numbers that opted out (STOP)\n" in msg.text
    assert "sms to +1305*****02: " in msg.text and "+13055550102" not in msg.text
    assert "Token balance: 5 available." in msg.text
    assert "To buy more tokens, reply to this email." in msg.text
    assert "You receive this as the contact of Acme's Folio account." in msg.text
    assert "alert criteria" not in msg.text and "<b>2</b>" in msg.html


def test_the_daily_token_job_sends_yesterdays_notice_with_the_buy_link(db_url, monkeypatch):
    all_hours(monkeypatch)
    monkeypatch.setenv("FOLIO_BUY_TOKENS_URL", "https://buy.stripe.com/test_abc")
    _refuse_two(db_url)
    engine = get_engine(db_url)
    tomorrow = clock.now() + timedelta(days=1)
    assert run_token_expiry(engine, tomorrow)["refusal_notices"] == 1
    assert run_token_expiry(engine, tomorrow)["refusal_notices"] == 0
    with engine.connect() as conn:
        [nid] = conn.execute(
            notifications.select()
            .with_only_columns(notifications.c.id)
            .where(notifications.c.item_kind == "refusals")
        ).scalars()
    msg = build_messages(engine, [nid], get_settings())[nid]
    assert "Buy more tokens: https://buy.stripe.com/test_abc" in msg.text
    assert '<a href="https://buy.stripe.com/test_abc">Buy more tokens</a>' in msg.html
