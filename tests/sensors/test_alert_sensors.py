"""The sensors that drive alerting, evaluated with build_sensor_context (no sleeps, no daemon),
and the whole listing → score → match → outbox → email path through their runs."""

import hashlib
import json
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from dagster import DagsterInstance, build_sensor_context
from sqlalchemy import func, select

from pipelines.control.runner import tick_sensor
from pipelines.db import sequences
from pipelines.db.engine import get_engine
from pipelines.db.schema import (
    alert_matches,
    listing_scores,
    listings,
    notifications,
)
from pipelines.leads.scoring import score_leads
from pipelines.location.definitions import defs
from resources.database import FolioDatabase
from tests.lead_helpers import add_leads, add_property, daily
from tests.listing_helpers import HEADER, add_listings, listing, tenant_with_subscribers


def evaluate(name: str, url: str, cursor: str | None = None):
    with build_sensor_context(
        cursor=cursor,
        instance=DagsterInstance.ephemeral(),
        resources={"database": FolioDatabase(url=url)},
        definitions=defs,
    ) as ctx:
        return defs.resolve_sensor_def(name).evaluate_tick(ctx)


def test_new_listings_sensor_batches_with_stable_keys_and_a_cursor(sqlite_url, monkeypatch):
    monkeypatch.setenv("FOLIO_LISTING_BATCH_SIZE", "3")
    tenant, _, _ = tenant_with_subscribers(sqlite_url, "acme", [])
    add_listings(sqlite_url, tenant, [listing(f"L{i}") for i in range(1, 8)])
    first = evaluate("new_listings_sensor", sqlite_url)
    assert [r.run_key for r in first.run_requests] == [
        "listings:0-3",
        "listings:3-6",
        "listings:6-7",
    ]
    assert [r.tags["folio/batch"] for r in first.run_requests] == [
        "listings:0-3",
        "listings:3-6",
        "listings:6-7",
    ]
    assert first.cursor == "7"
    replay = evaluate("new_listings_sensor", sqlite_url)  # same cursor (a replayed tick): same keys
    assert [r.run_key for r in replay.run_requests] == [r.run_key for r in first.run_requests]
    after = evaluate("new_listings_sensor", sqlite_url, cursor=first.cursor)
    assert (
        after.run_requests == [] and "no unscored listing after change_seq 7" in after.skip_message
    )
    add_listings(
        sqlite_url, tenant, [listing("L2", price=150000), listing("L8")]
    )  # one change, one new
    more = evaluate("new_listings_sensor", sqlite_url, cursor="7")
    assert [r.run_key for r in more.run_requests] == ["listings:7-9"] and more.cursor == "9"


def _counts(url):
    with get_engine(url).connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar()
            for t in (listing_scores, alert_matches, notifications)
        }


def test_listings_flow_to_email_once(db_url, monkeypatch, tmp_path):
    monkeypatch.setenv("FOLIO_DATABASE_URL", db_url)
    tenant, (sub_all, sub_auction), _ = tenant_with_subscribers(
        db_url, "acme", [{"min_score": 50}, {"min_score": 0, "listing_types": ["auction"]}]
    )
    add_listings(
        db_url,
        tenant,
        [
            listing("L1"),
            listing("L2", listing_type="auction", estimated_rent=None),
            listing("L3", estimated_rent=100, year_built=1950),
        ],
    )
    instance = DagsterInstance.get()
    scored = tick_sensor(instance, "new_listings_sensor", None)
    assert [r.success for r in scored.runs] == [True] and scored.cursor == "3"
    # L1 51 → sub_all; L2 30 (no rent, 10 years 20, auction 10) → sub_auction; L3 (1950, tiny
    # rent) → none
    assert _counts(db_url) == {
        "listing_scores": 3,
        "alert_matches": 2,
        "notifications": 4,
    }  # + 2 welcomes

    def emails() -> list[str]:
        return sorted(p.name for p in (tmp_path / "data" / "outbox" / "email").glob("*.eml"))

    # The alert run sent the emails it queued; the welcomes, queued before, wait for the
    # outbox sensor's run.
    assert emails() == [f"email_s{sub_all}_listing_1.eml", f"email_s{sub_auction}_listing_2.eml"]
    sent = tick_sensor(instance, "email_outbox_sensor", None)
    assert [r.success for r in sent.runs] == [True] and sent.cursor == "2"
    assert emails() == [
        f"email_s{sub_all}_listing_1.eml",
        f"email_s{sub_all}_welcome_{sub_all}.eml",
        f"email_s{sub_auction}_listing_2.eml",
        f"email_s{sub_auction}_welcome_{sub_auction}.eml",
    ]
    # Replays and re-runs send nothing: same cursors skip; a fresh cursor finds the runs' keys
    # taken.
    assert tick_sensor(instance, "new_listings_sensor", "3").runs == []
    assert tick_sensor(instance, "email_outbox_sensor", "2").runs == []
    assert tick_sensor(instance, "new_listings_sensor", None).runs == []  # everything is scored
    # A changed listing is re-scored but its subscriber is not told again.
    add_listings(db_url, tenant, [listing("L1", price=190000)])
    rescored = tick_sensor(instance, "new_listings_sensor", "3")
    assert [r.success for r in rescored.runs] == [True]
    assert tick_sensor(instance, "email_outbox_sensor", "2").runs == []
    assert _counts(db_url) == {"listing_scores": 3, "alert_matches": 2, "notifications": 4}
    with get_engine(db_url).connect() as conn:
        states = conn.execute(
            select(notifications.c.state, func.count()).group_by(notifications.c.state)
        ).all()
    assert states == [("sent", 4)]


def test_lead_alerts_sensor_hands_on_new_leads_of_every_type_and_each_rescoring(sqlite_url):
    today = datetime.now(ZoneInfo("America/New_York")).date()
    old, recent = today - timedelta(days=30), today - timedelta(days=1)
    add_property(sqlite_url, "3040120010010")
    ids = add_leads(
        sqlite_url,
        [("new_homeowner", 85, old, daily(old))]
        + [(t, 80, recent, daily(recent)) for t in ("eviction", "probate", "lien", "judgment")],
    )
    first = evaluate("lead_alerts_sensor", sqlite_url)
    assert [(r.run_key, r.tags["folio/batch"]) for r in first.run_requests] == [
        (f"leads:0-{ids[-1]}", f"leads:0-{ids[-1]}")
    ]  # the month-old lead is skipped, every type of the recent ones is handed on
    assert json.loads(first.cursor) == {"id": ids[-1], "criteria": 0, "scored": None}
    assert evaluate("lead_alerts_sensor", sqlite_url, cursor=first.cursor).run_requests == []
    assert evaluate("lead_alerts_sensor", sqlite_url, cursor=str(ids[-1])).run_requests == []
    # A nightly scoring ran: every alertable lead is offered again, once.
    with get_engine(sqlite_url).begin() as conn:
        sequences.take(conn, "scoring")
    seen = evaluate("lead_alerts_sensor", sqlite_url, cursor=first.cursor)
    assert seen.run_requests == []  # the first scoring seen is a baseline, not a change
    with get_engine(sqlite_url).begin() as conn:
        sequences.take(conn, "scoring")
    again = evaluate("lead_alerts_sensor", sqlite_url, cursor=seen.cursor)
    assert [r.run_key for r in again.run_requests] == ["rescored:2"]
    # An ingestion run's scoring (of the leads it made) is not a nightly one: nothing more.
    with get_engine(sqlite_url).begin() as conn:
        score_leads(conn, expire=False)
    assert evaluate("lead_alerts_sensor", sqlite_url, cursor=again.cursor).run_requests == []


def test_a_subscriber_added_after_the_leads_sees_them_at_the_next_tick(db_url, monkeypatch):
    """New (or changed) criteria are matched to the current leads through the sensor's own
    run, and nobody else hears of those leads again."""
    from fastapi.testclient import TestClient

    from pipelines import clock
    from pipelines.accounts.criteria import Criteria
    from pipelines.accounts.subscribers import set_criteria
    from pipelines.alerts.subscriptions import add_subscriber
    from pipelines.http.app import app

    monkeypatch.setenv("FOLIO_DATABASE_URL", db_url)
    tenant, (first_sub,), key = tenant_with_subscribers(
        db_url, "acme", [{"lead_types": ["lien"], "min_score": 0}]
    )
    add_property(db_url, "3040120010010")
    day = clock.today() - timedelta(days=1)
    lien, eviction = add_leads(
        db_url, [("lien", 40, day, daily(day)), ("eviction", 30, day, daily(day))]
    )
    instance = DagsterInstance.get()
    first = tick_sensor(instance, "lead_alerts_sensor", None)
    assert [r.success for r in first.runs] == [True]
    engine = get_engine(db_url)
    later = add_subscriber(engine, tenant["id"], "late@acme.example", "Late")
    set_criteria(
        engine, tenant["id"], later, Criteria(lead_types=["lien", "eviction"], min_score=0)
    )

    second = tick_sensor(instance, "lead_alerts_sensor", first.cursor)
    [run] = second.runs
    # every write of criteria takes a number: two per subscriber here (added, then set)
    assert run.success and json.loads(second.cursor)["criteria"] == 4
    with engine.connect() as conn:
        matched = conn.execute(
            select(alert_matches.c.subscriber_id, alert_matches.c.item_id).order_by(
                alert_matches.c.subscriber_id, alert_matches.c.item_id
            )
        ).all()
        alerts = conn.execute(
            select(notifications.c.subscriber_id, notifications.c.item_kind)
            .where(notifications.c.item_kind != "welcome")
            .order_by(notifications.c.id)
        ).all()
    assert [tuple(m) for m in matched] == [(first_sub, lien), (later, lien), (later, eviction)]
    assert [tuple(a) for a in alerts] == [(first_sub, "lead"), (later, "lead"), (later, "lead")]
    # The tenant's leads API shows them at once; a replayed tick runs nothing.
    got = TestClient(app).get("/leads", headers={"X-API-Key": key}).json()
    assert sorted(lead["id"] for lead in got["leads"]) == [lien, eviction]
    assert tick_sensor(instance, "lead_alerts_sensor", second.cursor).runs == []


def test_outbox_sensor_keys_by_last_queued_id(sqlite_url):
    tenant_with_subscribers(sqlite_url, "acme", [{}, {}])  # two queued welcome emails
    first = evaluate("email_outbox_sensor", sqlite_url)
    [request] = first.run_requests
    assert request.run_key == "email:2" and first.cursor == "2"
    # RunConfig fills the sections it was not given with {}: only the ops section is set.
    assert {k: v for k, v in request.run_config.items() if v} == {
        "ops": {"send_queued_email": {"config": {"up_to_id": 2}}}
    }
    assert evaluate("email_outbox_sensor", sqlite_url, cursor="2").run_requests == []


def test_inbox_file_runs_once_and_a_repeat_is_moved_aside(sqlite_url, monkeypatch, tmp_path):
    monkeypatch.setenv("FOLIO_DATABASE_URL", sqlite_url)
    tenant_with_subscribers(sqlite_url, "acme", [])
    tenant_with_subscribers(sqlite_url, "other", [])
    inbox = tmp_path / "data" / "inbox" / "acme"
    inbox.mkdir(parents=True)
    body = (
        HEADER + "\nI1,1 Main St,Miami,33125,200000,sale,3,2,1500,2016,2000,,2026-11-20\n"
        "I2,2 Main St,Miami,33125,0,sale,3,2,1500,2016,2000,,2026-11-20\n"
    ).encode()
    (inbox / "feed.csv").write_bytes(body)
    (tmp_path / "data" / "inbox" / "nobody").mkdir()
    (tmp_path / "data" / "inbox" / "nobody" / "x.csv").write_bytes(
        body
    )  # no such tenant: left alone
    (tmp_path / "data" / "inbox" / "other").mkdir()
    (tmp_path / "data" / "inbox" / "other" / "same.csv").write_bytes(
        body
    )  # the same bytes, another tenant
    sha = hashlib.sha256(body).hexdigest()
    requests = evaluate("inbox_sensor", sqlite_url).run_requests
    assert [r.run_key for r in requests] == [f"acme:{sha}", f"other:{sha}"]
    outcome = tick_sensor(DagsterInstance.get(), "inbox_sensor", None)
    assert [r.success for r in outcome.runs] == [True, True]
    assert (inbox / "processed" / f"{sha}-feed.csv").exists() and not (inbox / "feed.csv").exists()
    with get_engine(sqlite_url).connect() as conn:
        assert conn.execute(
            select(listings.c.tenant_id, listings.c.external_id, listings.c.source).order_by(
                listings.c.tenant_id
            )
        ).all() == [(1, "I1", "inbox"), (2, "I1", "inbox")]
    (inbox / "again.csv").write_bytes(body)  # the same bytes under another name
    assert tick_sensor(DagsterInstance.get(), "inbox_sensor", None).runs == []
    assert (inbox / "processed" / f"{sha}-again.csv.duplicate").exists() and not (
        inbox / "again.csv"
    ).exists()
    assert (tmp_path / "data" / "inbox" / "nobody" / "x.csv").exists()


def test_unreadable_inbox_file_fails_its_run_with_the_reason_and_is_kept(
    sqlite_url, monkeypatch, tmp_path
):
    monkeypatch.setenv("FOLIO_DATABASE_URL", sqlite_url)
    tenant_with_subscribers(sqlite_url, "acme", [])
    inbox = tmp_path / "data" / "inbox" / "acme"
    inbox.mkdir(parents=True)
    (inbox / "broken.json").write_bytes(b'{"listings": [')
    sha = hashlib.sha256(b'{"listings": [').hexdigest()
    [run] = tick_sensor(DagsterInstance.get(), "inbox_sensor", None).runs
    assert not run.success
    assert "broken.json: invalid JSON at line 1" in run.error
    kept = inbox / "failed" / f"{sha}-broken.json"
    assert kept.read_bytes() == b'{"listings": ['  # nothing lost
    assert (
        (inbox / "failed" / f"{sha}-broken.json.reason.txt")
        .read_text()
        .startswith("broken.json: invalid JSON")
    )
    with get_engine(sqlite_url).connect() as conn:
        assert conn.execute(select(func.count()).select_from(listings)).scalar() == 0


def test_a_batch_whose_run_never_started_is_offered_once_more(sqlite_url, monkeypatch):
    """The daemon killed mid-launch leaves a run that run monitoring fails before it started:
    its listings, behind the cursor, get one new run keyed by that failed run; a run that
    started and failed is the dead-letter queue's, not retried here."""
    from dagster import DagsterRunStatus

    monkeypatch.setenv("FOLIO_LISTING_BATCH_SIZE", "3")
    tenant, _, _ = tenant_with_subscribers(sqlite_url, "acme", [])
    add_listings(sqlite_url, tenant, [listing(f"L{i}") for i in range(1, 7)])
    instance = DagsterInstance.ephemeral()
    job = defs.resolve_job_def("listing_alerts")
    never = instance.create_run_for_job(job, tags={"folio/batch": "listings:0-3"})
    instance.report_run_failed(never, "Run timed out due to taking longer than 60 seconds")
    started = instance.create_run_for_job(job, tags={"folio/batch": "listings:3-6"})
    instance.handle_new_event(
        _event(started.run_id, "PIPELINE_START")
    )  # it started: a failure after that is a defect
    instance.report_run_failed(started, "boom")

    def tick():
        with build_sensor_context(
            cursor="6",
            instance=instance,
            resources={"database": FolioDatabase(url=sqlite_url)},
            definitions=defs,
        ) as ctx:
            return defs.resolve_sensor_def("new_listings_sensor").evaluate_tick(ctx)

    first = tick()
    assert [r.run_key for r in first.run_requests] == [f"listings:0-3:after:{never.run_id}"]
    assert first.run_requests[0].tags["folio/batch"] == "listings:0-3"
    again = tick().run_requests  # the same key again: Dagster drops it, no second run
    assert [r.run_key for r in again] == [r.run_key for r in first.run_requests]
    assert instance.get_run_record_by_id(never.run_id).dagster_run.status == (
        DagsterRunStatus.FAILURE
    )


def _event(run_id: str, kind: str):
    from dagster import DagsterEvent, EventLogEntry
    from dagster._core.events import DagsterEventType

    return EventLogEntry(
        error_info=None,
        level="DEBUG",
        user_message="",
        run_id=run_id,
        timestamp=datetime.now(timezone.utc).timestamp(),
        dagster_event=DagsterEvent(DagsterEventType[kind].value, job_name="listing_alerts"),
    )
