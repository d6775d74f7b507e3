"""Criteria matching: each criterion on its own, the "nothing matches" case, county-lead
opt-in, and tenant isolation (tenant A's listings never reach tenant B's subscribers)."""

from datetime import date

import pytest
from sqlalchemy import select

from pipelines.accounts.criteria import Criteria
from pipelines.alerts.match import match_leads, match_listings, reasons
from pipelines.db.engine import get_engine
from pipelines.db.schema import alert_matches
from pipelines.listings.scoring import RuleScorer, score_listings
from pipelines.settings import get_settings
from tests.lead_helpers import add_leads, add_property, daily
from tests.listing_helpers import add_listings, listing, tenant_with_subscribers

ITEM = {
    "kind": "listing",
    "score": 75,
    "price": 250000.0,
    "roi": 6.5,
    "listing_type": "sale",
    "city": "Miami",
    "zip": "33125",
}


@pytest.mark.parametrize(
    "criteria, matches",
    [
        ({}, True),  # defaults: min score 70
        ({"min_score": 75}, True),
        ({"min_score": 76}, False),
        ({"max_price": 250000}, True),
        ({"max_price": 249999}, False),
        ({"min_roi": 6.5}, True),
        ({"min_roi": 7}, False),
        ({"cities": ["miami "]}, True),
        ({"cities": ["HIALEAH"]}, False),
        ({"zip_codes": ["33125", "33010"]}, True),
        ({"zip_codes": ["33010"]}, False),
        ({"listing_types": ["sale"]}, True),
        ({"listing_types": ["auction", "foreclosure"]}, False),
        (
            {
                "min_score": 60,
                "max_price": 300000,
                "min_roi": 5,
                "cities": ["MIAMI"],
                "zip_codes": ["33125"],
                "listing_types": ["sale", "rent"],
            },
            True,
        ),
    ],
)
def test_each_criterion(criteria, matches):
    why = reasons(Criteria.model_validate(criteria), ITEM)
    assert (why is not None) == matches
    if matches:
        assert why[0] == f"score 75 ≥ {criteria.get('min_score', 70)}"


def test_reasons_say_why():
    c = Criteria(min_score=60, max_price=300000, min_roi=5, cities=["Miami"], zip_codes=["33125"])
    assert reasons(c, ITEM) == [
        "score 75 ≥ 60",
        "price 250,000 ≤ 300,000",
        "roi 6.5% ≥ 5%",
        "city MIAMI",
        "zip 33125",
    ]
    assert reasons(c, {**ITEM, "roi": None}) is None  # min_roi needs a known roi


def test_county_leads_are_opt_in():
    lead = {"kind": "lead", "score": 88, "lead_type": "probate", "city": "MIAMI", "zip": "33125"}
    assert reasons(Criteria(), lead) is None
    assert reasons(Criteria(lead_types=["probate"]), lead) == ["score 88 ≥ 70", "lead type probate"]
    assert reasons(Criteria(lead_types=["foreclosure"]), lead) is None


def test_tenant_isolation_and_exact_matches(db_url):
    # Tenant A: one subscriber takes everything ≥ 50, one only Hialeah; tenant B takes everything
    # ≥ 0.
    a, (a_all, a_hialeah), _ = tenant_with_subscribers(
        db_url, "tenant-a", [{"min_score": 50}, {"min_score": 0, "cities": ["Hialeah"]}]
    )
    b, (b_all,), _ = tenant_with_subscribers(db_url, "tenant-b", [{"min_score": 0}])
    add_listings(
        db_url, a, [listing("A1"), listing("A2", estimated_rent=None, year_built=1950, sqft=None)]
    )
    engine = get_engine(db_url)
    score_listings(engine, RuleScorer(), get_settings())
    assert match_listings(engine) == {"items": 2, "matches": 1, "new_matches": 1}
    assert match_listings(engine) == {
        "items": 2,
        "matches": 1,
        "new_matches": 0,
    }  # a re-run adds nothing
    add_listings(db_url, b, [listing("B1", city="Hialeah", zip="33010")])
    score_listings(engine, RuleScorer(), get_settings())
    match_listings(engine)
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                alert_matches.c.tenant_id,
                alert_matches.c.subscriber_id,
                alert_matches.c.item_id,
                alert_matches.c.score,
            ).order_by(alert_matches.c.id)
        ).all()
    # A1 scores 51 (cap 31.2 + alone in its zip 0 + 10 years 20): A's ≥ 50 subscriber. A2 scores 0
    # (no rent, no sqft, 76 years): nobody. B1 scores 51 and reaches B's subscriber only, never A's
    # Hialeah subscriber, and B1's price does not enter A's zip median.
    assert rows == [(a["id"], a_all, 1, 51), (b["id"], b_all, 3, 51)]
    assert a_hialeah not in {r.subscriber_id for r in rows}


def test_leads_of_every_type_reach_opted_in_subscribers_of_every_tenant(db_url):
    today = date(2026, 11, 3)  # the alert window starts Oct 27
    a, (a1, a2, a3), _ = tenant_with_subscribers(
        db_url,
        "tenant-a",
        [
            {"lead_types": ["probate"]},
            {},  # no lead_types: county leads are opt-in, so none
            {"lead_types": ["eviction", "lien"], "digest_only": True},
        ],
    )
    b, (b1,), _ = tenant_with_subscribers(
        db_url, "tenant-b", [{"lead_types": ["probate", "new_homeowner"], "zip_codes": ["33125"]}]
    )
    add_property(db_url, "3040120010010")
    recent, old = date(2026, 11, 2), date(2026, 10, 14)
    ids = add_leads(
        db_url,
        [
            ("probate", 88, recent, daily(recent)),
            ("new_homeowner", 85, recent, daily(recent)),
            ("eviction", 75, recent, daily(recent)),
            ("lien", 95, recent, daily(recent)),  # ≥ 90, but the digest-only did not opt in
            ("new_homeowner", 85, old, daily(old)),  # a back-filled old partition: nobody
            # filed Oct 14, known when October's monthly file ended (Oct 31): alerts
            ("probate", 88, old, "monthly/2026-10/Probate.exp"),
        ],
    )
    engine = get_engine(db_url)
    assert match_leads(engine, 0, None, today=today) == {"items": 5, "matches": 7, "new_matches": 7}
    assert match_leads(engine, 0, None, today=today)["new_matches"] == 0  # a re-run adds nothing
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                alert_matches.c.tenant_id,
                alert_matches.c.subscriber_id,
                alert_matches.c.item_id,
                alert_matches.c.digest_only,
                alert_matches.c.item_date,
            ).order_by(alert_matches.c.subscriber_id, alert_matches.c.item_id)
        ).all()
    assert rows == [
        (a["id"], a1, ids[0], False, recent),
        (a["id"], a1, ids[5], False, date(2026, 10, 31)),
        (a["id"], a3, ids[2], True, recent),  # an eviction waits for the digest-only's digest
        (a["id"], a3, ids[3], True, recent),  # a hot lien too: no opt-in to hot at once
        (b["id"], b1, ids[0], False, recent),
        (b["id"], b1, ids[1], False, recent),
        (b["id"], b1, ids[5], False, date(2026, 10, 31)),
    ]
    assert a2 not in {r.subscriber_id for r in rows}
    # Three weeks on, the same leads alert nobody (a first start, a replay, a backfill).
    with engine.begin() as conn:
        conn.execute(alert_matches.delete())
    assert match_leads(engine, 0, None, today=date(2026, 11, 24))["items"] == 0
