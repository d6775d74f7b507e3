"""From matches to emails: single alerts, one grouped email above the threshold, the daily
digest (order, top-20 cut, nothing new → nothing, a re-run sends nothing twice, dismissed items
left out), unsubscribed subscribers skipped."""

from datetime import date, datetime, timezone

from sqlalchemy import select, update

from pipelines.alerts.digest import queue_digests
from pipelines.alerts.match import match_leads
from pipelines.alerts.queue import queue_match_notifications
from pipelines.db.engine import get_engine
from pipelines.db.schema import alert_matches, lead_events, notifications, subscribers
from tests.lead_helpers import add_leads, add_property, daily
from tests.listing_helpers import tenant_with_subscribers

DAY = date(2026, 11, 20)


def outbox(url: str) -> list[tuple]:
    n = notifications.c
    with get_engine(url).connect() as conn:
        return conn.execute(
            select(n.subscriber_id, n.item_kind, n.item_id, n.template)
            .where(n.item_kind != "welcome")
            .order_by(n.id)
        ).all()


def carried(url: str, notification_id: int) -> list[int]:
    am = alert_matches.c
    with get_engine(url).connect() as conn:
        return list(
            conn.execute(
                select(am.item_id).where(am.notification_id == notification_id).order_by(am.id)
            ).scalars()
        )


def test_more_than_ten_immediate_alerts_become_one_grouped_email(db_url):
    _, (few, many), _ = tenant_with_subscribers(
        db_url, "acme", [{"lead_types": ["probate"]}, {"lead_types": ["lien"]}]
    )
    add_property(db_url, "3040120010010")
    probate = add_leads(db_url, [("probate", 88, DAY, daily(DAY))] * 3)
    liens = add_leads(db_url, [("lien", 80, DAY, daily(DAY))] * 11)
    engine = get_engine(db_url)
    match_leads(engine, today=DAY)
    with engine.begin() as conn:
        counts = queue_match_notifications(conn)
    assert counts == {"queued": 3, "grouped": 1, "already": 0, "awaiting_channel": 0} | NO_PAID
    rows = outbox(db_url)
    assert rows[:3] == [(few, "lead", i, "new_lead_alert") for i in probate]
    assert rows[3][0] == many and rows[3][1:2] == ("group",) and rows[3][3] == "lead_alert_group"
    with engine.connect() as conn:
        group_id = conn.execute(
            select(notifications.c.id).where(notifications.c.item_kind == "group")
        ).scalar()
    assert carried(db_url, group_id) == liens
    # A re-run, or the sensor's replay, queues nothing and carries nothing twice.
    match_leads(engine, today=DAY)
    with engine.begin() as conn:
        assert (
            queue_match_notifications(conn)
            == {
                "queued": 0,
                "grouped": 0,
                "already": 0,
                "awaiting_channel": 0,
            }
            | NO_PAID
        )
    assert len(outbox(db_url)) == 4


NO_PAID = {"webhooks": 0, "sms": 0, "sms_refused": 0}  # email-only subscribers


def test_daily_digest_top_20_by_score_then_newer_then_id_once(db_url):
    _, (digest, other), _ = tenant_with_subscribers(
        db_url,
        "acme",
        [{"lead_types": ["lien", "eviction"], "min_score": 0, "digest_only": True}, {}],
    )
    add_property(db_url, "3040120010010")
    older, newer = date(2026, 11, 18), date(2026, 11, 19)
    # 25 leads: scores 50..74 on the older day, plus two ties at 74 on the newer day.
    low = add_leads(db_url, [("lien", 50 + n, older, daily(older)) for n in range(25)])
    ties = add_leads(db_url, [("eviction", 74, newer, daily(newer))] * 2)
    engine = get_engine(db_url)
    match_leads(engine, today=DAY)
    with engine.begin() as conn:
        assert queue_match_notifications(conn)["queued"] == 0  # all wait for the digest
    assert queue_digests(engine, DAY) == {"digests": 1, "items": 20}
    [(sub, kind, item_id, template)] = outbox(db_url)
    assert (sub, kind, item_id, template) == (digest, "digest", 20261120, "daily_digest")
    with engine.connect() as conn:
        nid = conn.execute(
            select(notifications.c.id).where(notifications.c.item_kind == "digest")
        ).scalar()
        am = alert_matches.c
        order = conn.execute(
            select(am.item_id)
            .where(am.notification_id == nid)
            .order_by(am.score.desc(), am.item_date.desc(), am.id)
        ).scalars()
        expected = ties + low[::-1][:18]  # 74 (newer, then id), 74 (older), 73, … 57
        assert list(order) == expected
    # A re-run of the same day sends nothing again; the next day carries the 7 left over.
    assert queue_digests(engine, DAY) == {"digests": 0, "items": 0}
    assert queue_digests(engine, date(2026, 11, 23)) == {"digests": 1, "items": 7}
    # Nothing new → no email.
    assert queue_digests(engine, date(2026, 11, 24)) == {"digests": 0, "items": 0}
    assert other not in {r[0] for r in outbox(db_url)}


def test_digest_leaves_out_dismissed_items_and_unsubscribed_people(db_url):
    tenant, (sub, gone), _ = tenant_with_subscribers(
        db_url,
        "acme",
        [{"lead_types": ["lien"], "digest_only": True}] * 2,
    )
    add_property(db_url, "3040120010010")
    ids = add_leads(db_url, [("lien", 80, DAY, daily(DAY))] * 3)
    engine = get_engine(db_url)
    match_leads(engine, today=DAY)
    now = datetime.now(timezone.utc)
    with engine.begin() as conn:
        conn.execute(
            lead_events.insert().values(
                item_kind="lead",
                lead_id=ids[1],
                subscriber_id=sub,
                tenant_id=tenant["id"],
                event="dismissed",
                occurred_at=now,
            )
        )
        conn.execute(
            update(subscribers).where(subscribers.c.id == gone).values(unsubscribed_at=now)
        )
    assert queue_digests(engine, DAY) == {"digests": 1, "items": 2}
    [(who, *_)] = outbox(db_url)
    assert who == sub
