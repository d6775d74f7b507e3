"""The checks on the scoring, alert and report assets: they pass on what the assets make,
and each fails on the rows it exists to catch (a score off its bounds, a match or an alert
below its subscriber's min score, a match across tenants)."""

from datetime import date

from dagster import DagsterInstance, materialize
from sqlalchemy import select, update

from assets.listings import alert_matches, listing_scores, notifications
from assets.reports import daily_market_report
from assets.scoring import lead_scores
from pipelines import clock
from pipelines.alerts.checks import (
    alerts_below_min_score,
    matches_below_min_score,
    matches_outside_tenant,
    newest_match_id,
)
from pipelines.alerts.match import match_listings
from pipelines.alerts.queue import queue_match_notifications
from pipelines.db.engine import get_engine
from pipelines.db.schema import alert_criteria
from pipelines.db.schema import alert_matches as alert_matches_table
from pipelines.db.schema import lead_scores as lead_scores_table
from pipelines.leads.previews import scores_out_of_bounds
from pipelines.listings.scoring import RuleScorer, score_listings
from pipelines.settings import get_settings
from resources.database import FolioDatabase
from resources.email import EmailResource
from resources.scoring import ListingScorerResource
from tests.dagster_helpers import check_results
from tests.lead_helpers import add_leads, add_property, daily
from tests.listing_helpers import add_listings, listing, tenant_with_subscribers


def test_lead_scores_check_passes_and_catches_a_score_off_its_breakdown(db_url):
    today = clock.today()
    add_property(db_url, "3040120010010")
    add_leads(db_url, [("probate", 88, today, daily(today)), ("lien", 70, today, daily(today))])
    result = materialize(
        [lead_scores],
        resources={"database": FolioDatabase(url=db_url)},
        instance=DagsterInstance.ephemeral(),
    )
    assert result.success
    assert check_results(result) == {("lead_scores", "scores_within_bounds"): True}
    engine = get_engine(db_url)
    with engine.begin() as conn:
        conn.execute(update(lead_scores_table).values(score=150.0))
        bad = scores_out_of_bounds(conn, today)
    assert bad == {
        "out_of_range": 2,
        "not_its_breakdown": 2,
        "lead_score_differs": 2,
        "open_leads_unscored": 0,
    }


def test_alert_checks_pass_on_a_real_run(sqlite_url):
    tenant, _, _ = tenant_with_subscribers(sqlite_url, "tenant-a", [{"min_score": 50}])
    add_listings(sqlite_url, tenant, [listing("A1"), listing("A2", sqft=None)])
    result = materialize(
        [listing_scores, alert_matches, notifications],
        resources={
            "database": FolioDatabase(url=sqlite_url),
            "scorer": ListingScorerResource(),
            "email": EmailResource(),
        },
        instance=DagsterInstance.ephemeral(),
    )
    assert result.success
    assert check_results(result) == {
        ("alert_matches", "matches_meet_min_score"): True,
        ("alert_matches", "matches_stay_in_tenant"): True,
        ("notifications", "no_alert_below_min_score"): True,
    }


def test_alert_checks_catch_a_low_score_and_a_crossed_tenant(db_url):
    a, (a_all,), _ = tenant_with_subscribers(db_url, "tenant-a", [{"min_score": 50}])
    b, _, _ = tenant_with_subscribers(db_url, "tenant-b", [{"min_score": 0}])
    add_listings(db_url, a, [listing("A1")])
    engine = get_engine(db_url)
    score_listings(engine, RuleScorer(), get_settings())
    with engine.connect() as conn:
        before = newest_match_id(conn)
    match_listings(engine)
    with engine.begin() as conn:
        queue_match_notifications(conn)
        assert (
            matches_below_min_score(conn, before),
            matches_outside_tenant(conn, before),
            alerts_below_min_score(conn, 0),
        ) == (0, 0, 0)
        # The match (score 51) and its email, had the subscriber asked for 90 at the time:
        conn.execute(
            update(alert_criteria)
            .where(alert_criteria.c.subscriber_id == a_all)
            .values(min_score=90)
        )
        assert matches_below_min_score(conn, before) == 1
        assert alerts_below_min_score(conn, 0) == 1
        # Only the run's own rows count: a later run (after this match) sees none.
        assert matches_below_min_score(conn, newest_match_id(conn)) == 0
        # Tenant A's listing, matched as tenant B's: wrong for its subscriber and its listing.
        conn.execute(update(alert_matches_table).values(tenant_id=b["id"]))
        assert matches_outside_tenant(conn, before) == 2
        assert [r.score for r in conn.execute(select(alert_matches_table))] == [51]


def test_market_report_counts_match_the_leads_of_its_day(sqlite_url):
    day = date(2026, 11, 20)
    add_property(sqlite_url, "3040120010010")
    add_leads(
        sqlite_url,
        [
            ("lien", 70, day, daily(day)),
            ("probate", 88, day, daily(day)),
            ("eviction", 75, date(2026, 11, 19), daily(day)),  # another day: not counted
        ],
    )
    result = materialize(
        [daily_market_report],
        partition_key="2026-11-20",
        resources={"database": FolioDatabase(url=sqlite_url)},
        instance=DagsterInstance.ephemeral(),
    )
    assert result.success
    assert check_results(result) == {("daily_market_report", "counts_match_leads"): True}
    [evaluation] = result.get_asset_check_evaluations()
    assert evaluation.metadata["leads_dated_that_day"].value == 2
