"""The subscriber's choice is the law: instant, the daily digest, the weekly report only, or
off, and a separate opt-in for hot matches at once with its own threshold."""

from datetime import date, datetime, timezone

import pytest
from pydantic import ValidationError
from sqlalchemy import select, update

from pipelines.accounts.criteria import Criteria
from pipelines.alerts.digest import queue_digests
from pipelines.alerts.match import match_leads
from pipelines.alerts.queue import queue_match_notifications
from pipelines.alerts.weekly import queue_weekly_reports
from pipelines.db.engine import get_engine
from pipelines.db.schema import alert_matches, notifications
from tests.lead_helpers import add_leads, add_property, daily
from tests.listing_helpers import tenant_with_subscribers

DAY = date(2026, 11, 20)  # a Friday; its week starts Monday the 16th
CHOICES = [
    {"delivery": "instant"},
    {"delivery": "digest"},
    {"delivery": "digest", "hot_at_once": True},  # hot: 90 by default
    {"delivery": "weekly", "hot_at_once": True, "hot_min_score": 60},
    {"delivery": "off"},
]


def test_each_choice_decides_what_goes_at_once_in_the_digest_or_the_week(db_url):
    tenant, subs, _ = tenant_with_subscribers(
        db_url, "acme", [{"lead_types": ["lien"], "min_score": 0, **c} for c in CHOICES]
    )
    add_property(db_url, "3040120010010")
    hot, warm = add_leads(db_url, [("lien", 95, DAY, daily(DAY)), ("lien", 65, DAY, daily(DAY))])
    engine = get_engine(db_url)
    match_leads(engine, 0, None, today=DAY)
    with engine.connect() as conn:
        waits = conn.execute(
            select(am.subscriber_id, am.item_id, am.digest_only).order_by(
                am.subscriber_id, am.item_id
            )
        ).all()
    instant, digest, digest_hot, weekly_hot, off = subs
    assert [tuple(w) for w in waits] == [
        (instant, hot, False), (instant, warm, False),
        (digest, hot, True), (digest, warm, True),  # a digest-only: nothing at once, even hot
        (digest_hot, hot, False), (digest_hot, warm, True),  # 95 ≥ 90 at once; 65 waits
        (weekly_hot, hot, False), (weekly_hot, warm, False),  # its own threshold: 60
        (off, hot, True), (off, warm, True),  # recorded (the leads API shows them), never sent
    ]  # fmt: skip

    with engine.begin() as conn:
        queue_match_notifications(conn)
    at_once = {instant: ["lead", "lead"], digest_hot: ["lead"], weekly_hot: ["lead", "lead"]}
    assert _emails(engine) == at_once
    # The daily digest: only subscribers who chose it, with what did not go at once.
    assert queue_digests(engine, DAY) == {"digests": 2, "items": 3}
    with engine.begin() as conn:
        conn.execute(
            update(alert_matches).values(matched_at=datetime(2026, 11, 20, 12, tzinfo=timezone.utc))
        )
    # The weekly report: everyone but `off`.
    assert queue_weekly_reports(engine, date(2026, 11, 16)) == {"subscribers": 4, "queued": 4}
    sent = _emails(engine)
    assert [s for s in subs if "digest" in sent.get(s, [])] == [digest, digest_hot]
    assert [s for s in subs if "weekly" in sent.get(s, [])] == [
        instant,
        digest,
        digest_hot,
        weekly_hot,
    ]
    assert off not in sent


am = alert_matches.c


def _emails(engine) -> dict[int, list[str]]:
    n = notifications.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(n.subscriber_id, n.item_kind)
            .where(n.channel == "email", n.item_kind != "welcome")
            .order_by(n.id)
        ).all()
    out: dict[int, list[str]] = {}
    for sid, kind in rows:
        out.setdefault(sid, []).append(kind)
    return out


def test_the_older_digest_only_switch_is_read_and_a_typo_refused():
    assert Criteria.model_validate({"digest_only": True}).delivery == "digest"
    assert Criteria.model_validate({"digest_only": False}).delivery == "instant"
    assert Criteria.model_validate({"digest_only": True, "delivery": "weekly"}).delivery == "weekly"
    with pytest.raises(ValidationError, match="delivery"):
        Criteria.model_validate({"delivery": "hourly"})
    with pytest.raises(ValidationError, match="hot_min_score"):
        Criteria.model_validate({"hot_min_score": 101})
