"""Nightly lead scoring: the formula by hand, then the whole path on SQLite and PostgreSQL."""

from datetime import date, datetime, timedelta, timezone

import polars as pl
import pytest
from sqlalchemy import select, update

from pipelines.db.engine import get_engine
from pipelines.db.schema import lead_events, lead_scores, leads, properties
from pipelines.leads.scoring import PARTS, score_frame, score_leads
from pipelines.settings import SettingsError, get_settings, load_settings
from tests.builders import doc, line, write_partition
from tests.flow import ingest

TODAY = date(2026, 6, 30)

D = date


def case(folio, kind, age, expected, **given):
    """One open lead and the score the formula must give it. `given`: price, open_mortgages,
    last_sale_date, market_value, roll_sale_date, roll_sale_price, homestead, opens, clicks,
    mailing_state (None when not given)."""
    return {"folio": folio, "lead_type": kind, "age": age, **given}, expected


# Defaults: base 12/30/30/22/12/16 (new homeowner/foreclosure/probate/eviction/lien/judgment),
# +10 per other kind of distress on the property (max 15), equity 15 × ratio (rounded down), a
# point per 2 full years owned (max 10), freshness 15 less a point per 2 days past 3, opens 1
# (max 2) + clicks 2 (max 3), absentee 10 or non-homestead 5.
CASES = [
    case("A", "new_homeowner", 0, 27),
    case("B", "new_homeowner", 4, 27),  # a day past the grace: nothing lost yet
    case("C", "new_homeowner", 5, 26),
    case("D", "new_homeowner", 33, 12),  # freshness spent
    case("E", "new_homeowner", 200, 12),
    case(
        "F", "foreclosure", 0, 56, price=400_000, open_mortgages=100_000, last_sale_date=TODAY
    ),  # equity 75% → 11
    case("G", "foreclosure", 0, 60, price=400_000, last_sale_date=TODAY),  # no mortgage: 15
    case(
        "H", "foreclosure", 0, 45, price=400_000, open_mortgages=500_000, last_sale_date=TODAY
    ),  # under water → 0
    case("I", "lien", 0, 32, last_sale_date=D(2016, 6, 29)),  # 10 years → 5
    case("J", "lien", 0, 37, last_sale_date=D(1990, 1, 1)),  # 36 years → capped 10
    case("K", "judgment", 4, 35, opens=5, clicks=1),  # opens capped 2, a click 2
    case("L", "judgment", 4, 34, clicks=3),  # clicks capped 3
    case("M", "eviction", 0, 47, mailing_state="NY"),  # absentee
    case("N", "eviction", 0, 37, mailing_state=" fl "),  # Florida: not absentee
    case("O", "eviction", 0, 42, mailing_state="FL", homestead=False),  # a local landlord
    # one property, three kinds of distress and a new owner: each +15 (capped)
    case("S", "foreclosure", 0, 60),
    case("S", "probate", 0, 60),
    case("S", "lien", 0, 42),
    case("S", "new_homeowner", 0, 42),
    # two liens on one property are one kind: nothing stacks
    case("T", "lien", 0, 27),
    case("T", "lien", 3, 27),
    # every part at its most: 30 + 15 + 15 + 10 + 15 + 5 + 10
    case(
        "U",
        "foreclosure",
        0,
        100,
        price=500_000,
        open_mortgages=0,
        last_sale_date=D(1990, 1, 1),
        opens=2,
        clicks=2,
        mailing_state="TX",
    ),  # fmt: skip
    case("U", "probate", 0, 60),
    case("U", "lien", 0, 42),
    # The roll: its market value over the estimated balance of an 80% loan at its sale 20
    # years ago (54.0% of it left) → (500k − 86.4k) / 500k = 82.7% → 12; 20 years → 10
    case(
        "V",
        "lien",
        0,
        54,
        market_value=500_000,
        roll_sale_date=D(2006, 6, 30),
        roll_sale_price=200_000,
        homestead=False,
        mailing_state="FL",
    ),  # fmt: skip
    # a loan older than its 30 years is paid: 100% → 15; a homestead: no owner points
    case(
        "W",
        "lien",
        0,
        52,
        market_value=500_000,
        roll_sale_date=D(1991, 6, 30),
        roll_sale_price=200_000,
        homestead=True,
        mailing_state="FL",
    ),  # fmt: skip
    # a value but no sale at all: what is owed is unknown, so no equity points
    case("Y", "lien", 0, 27, market_value=500_000),
    # the clerk's sale wins over the roll's: recorded mortgages, years since that sale
    case(
        "X",
        "lien",
        0,
        33,
        price=300_000,
        open_mortgages=240_000,
        last_sale_date=D(2026, 6, 1),
        market_value=400_000,
        roll_sale_date=D(1990, 1, 1),
        roll_sale_price=200_000,
    ),  # fmt: skip
]
FRAME = {
    "lead_id": pl.Int64,
    "folio": pl.String,
    "lead_type": pl.String,
    "lead_date": pl.Date,
    "price": pl.Float64,
    "open_mortgages": pl.Float64,
    "last_sale_date": pl.Date,
    "market_value": pl.Float64,
    "roll_sale_date": pl.Date,
    "roll_sale_price": pl.Float64,
    "homestead": pl.Boolean,
    "opens": pl.Int64,
    "clicks": pl.Int64,
    "mailing_state": pl.String,
}


def _frame(cases) -> pl.DataFrame:
    rows = []
    for i, (given, _) in enumerate(cases):
        row = {"lead_id": i, "lead_date": TODAY - timedelta(days=given["age"]), **given}
        rows.append(tuple(row.get(k) for k in FRAME))
    return pl.DataFrame(rows, schema=FRAME, orient="row")


def test_formula_by_hand():
    got = score_frame(_frame(CASES), TODAY, get_settings()).sort("lead_id")
    assert got["score"].to_list() == [float(expected) for _, expected in CASES]
    row = got.row(21, named=True)
    assert {k: row[k] for k in PARTS} == {
        "base_score": 30,
        "stacking_bonus": 15,
        "equity_bonus": 15,
        "ownership_bonus": 10,
        "freshness_bonus": 15,
        "engagement_bonus": 5,
        "absentee_bonus": 10,
    }
    assert (row["signals"], row["equity_ratio"], row["years_owned"]) == (3, 1.0, 36)
    assert got.row(24, named=True)["equity_ratio"] == 0.8272


def test_the_parts_add_up_to_the_score_and_the_maxima_to_at_most_100():
    got = score_frame(_frame(CASES), TODAY, get_settings())
    assert got.select(pl.sum_horizontal(PARTS) == pl.col("score")).to_series().all()
    assert get_settings().most_points() == 100
    with pytest.raises(
        SettingsError, match="^the lead score's parts can add to 101: .* at most 100$"
    ):
        load_settings({"FOLIO_EQUITY_POINTS": "16"})


def test_nightly_scoring_in_the_database(db_url, tmp_path):
    F1, F2 = "3040120010010", "3040120010020"
    recent = "20260622"
    or_rows = (
        doc(1, recent, "WD", F1, grantee="NEW OWNER", consideration_1="400000")
        + doc(2, recent, "MOR", F1, grantor="BANK", consideration_1="150000")  # open
        + doc(3, recent, "MOR", F1, grantor="BANK", consideration_1="100000")  # satisfied below
        + [
            line(
                "official_records",
                cfn_year=2026,
                cfn_seq=4,
                rec_date=recent,
                doc_type="SMO",
                party_seq=1,
                party_code="D",
                folio=F1,
                orig_cfn_year=2026,
                orig_cfn_seq=3,
            )
        ]
        + doc(5, recent, "WD", F2, consideration_1="100000")
    )
    write_partition(tmp_path / "src", "2026-06-22", {"OfficialRecords.exp": or_rows})
    ingest(db_url, tmp_path / "src", [["2026-06-22"]], tmp_path / "landing")
    engine = get_engine(db_url)
    with engine.begin() as conn:
        lead_id = conn.execute(select(leads.c.id).where(leads.c.folio == F1)).scalar_one()
        conn.execute(
            update(properties).where(properties.c.folio == F1).values(owner_mailing_state="NY")
        )
        conn.execute(
            lead_events.insert(),
            [
                {
                    "lead_id": lead_id,
                    "event": e,
                    "occurred_at": datetime(2026, 6, 25, 10, tzinfo=timezone.utc),
                }
                for e in ("opened", "opened", "clicked")
            ],
        )
        # an old lead for F2, back-dated past the 180-day expiry
        conn.execute(update(leads).where(leads.c.folio == F2).values(lead_date=date(2025, 12, 1)))
        counts = score_leads(conn, today=TODAY)
    assert (counts.scored, counts.expired) == (1, 1)
    with engine.connect() as conn:
        ls = (
            conn.execute(select(lead_scores).where(lead_scores.c.lead_id == lead_id))
            .mappings()
            .one()
        )
        lead = conn.execute(
            select(leads.c.score, leads.c.status).where(leads.c.id == lead_id)
        ).one()
        expired = conn.execute(
            select(leads.c.status, leads.c.status_reason).where(leads.c.folio == F2)
        ).one()
    # a new homeowner 8 days old (12 + freshness 13), equity (400k - 150k) / 400k = 62.5% → 9,
    # bought this month (0 years), 2 opens + 1 click → 4, mailing in NY → 10
    assert {k: ls[k] for k in PARTS} == {
        "base_score": 12,
        "stacking_bonus": 0,
        "equity_bonus": 9,
        "ownership_bonus": 0,
        "freshness_bonus": 13,
        "engagement_bonus": 4,
        "absentee_bonus": 10,
    }
    assert (ls["age_days"], ls["equity_ratio"], ls["years_owned"], ls["score"]) == (
        8,
        0.625,
        0,
        48.0,
    )
    assert tuple(lead) == (48.0, "new")
    assert expired == ("expired", "older than 180 days on 2026-06-30")
