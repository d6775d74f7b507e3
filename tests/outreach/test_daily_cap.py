"""The per-number daily cap when queueing: messages already queued for that number today
count, so a burst of requests cannot queue more than the cap; the refusal names the rule
and holds no tokens."""

from __future__ import annotations

import pytest

from pipelines.billing.ledger import Balance, balance
from pipelines.db.engine import get_engine
from pipelines.outreach.requests import OutreachError
from tests.outreach.helpers import all_hours, ask, funded_tenant


def test_the_fourth_request_to_one_number_today_is_refused(sqlite_url, monkeypatch):
    all_hours(monkeypatch)
    tenant, sub, _ = funded_tenant(sqlite_url)
    for _ in range(3):
        assert ask(sqlite_url, tenant, sub)["state"] == "queued"
    with pytest.raises(OutreachError, match="3 messages to this number today") as refused:
        ask(sqlite_url, tenant, sub)
    assert (refused.value.status, refused.value.where) == (422, "daily_cap")
    assert ask(sqlite_url, tenant, sub, to="+13055550143")["state"] == "queued"  # another number
    assert balance(get_engine(sqlite_url), tenant["id"]) == Balance(60, 40)
