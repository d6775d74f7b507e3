"""Nightly lead scoring: the formula by hand, then the whole path on SQLite and PostgreSQL."""

from datetime import date, datetime, timedelta, timezone

import polars as pl
from sqlalchemy import select, update

from pipelines.db.engine import get_engine
from pipelines.db.schema import lead_events, lead_scores, leads, properties
from pipelines.leads.scoring import score_frame, score_leads
from pipelines.settings import get_settings
from tests.builders import doc, line, write_partition
from tests.flow import ingest

TODAY = date(2026, 6, 30)

# age days, base, price, open mortgages, opens, clicks, mailing state → expected score
CASES = [
    (0, 85, None, None, 0, 0, None, 85),
    (8, 85, None, None, 0, 0, None, 85),  # day 8: no full 3 days past the 7-day grace yet
    (10, 85, None, None, 0, 0, None, 84),
    (30, 85, None, None, 0, 0, None, 78),  # (30 - 7) // 3 = 7
    (100, 85, None, None, 0, 0, None, 55),  # 31, capped at 30
    (200, 85, None, None, 0, 0, None, 55),
    (0, 85, 400_000, 100_000, 0, 0, None, 95),  # equity 75% → +10
    (0, 85, 400_000, 200_000, 0, 0, None, 95),  # exactly 50% → +10
    (0, 85, 400_000, 240_000, 0, 0, None, 90),  # 40% → +5
    (0, 85, 400_000, 300_000, 0, 0, None, 85),  # 25% → 0
    (30, 75, 400_000, None, 0, 0, None, 78),  # no mortgage: 100% equity → +10, decay 7
    (8, 70, None, None, 2, 0, None, 74),  # 2 opens → +4
    (8, 70, None, None, 5, 0, None, 76),  # opens capped at +6
    (8, 70, None, None, 0, 1, None, 75),  # a click → +5
    (8, 70, None, None, 0, 3, None, 80),  # clicks capped at +10
    (30, 65, None, None, 1, 1, "NY", 75),  # 65 - 7 + 2 + 5 + 10 absentee
    (30, 65, None, None, 0, 0, "fl", 58),  # Florida mailing address: not absentee
    (100, 88, 500_000, 0, 5, 4, "GA", 94),  # 88 - 30 + 10 + 6 + 10 + 10
    (0, 90, 500_000, 0, 3, 2, "TX", 100),  # 126 clamped to 100
    (200, 20, None, None, 0, 0, None, 0),  # -10 clamped to 0
]


def test_formula_by_hand():
    frame = pl.DataFrame(
        [
            (i, base, TODAY - timedelta(days=age), price, mort, opens, clicks, state)
            for i, (age, base, price, mort, opens, clicks, state, _) in enumerate(CASES)
        ],
        schema={
            "lead_id": pl.Int64,
            "base_score": pl.Int64,
            "lead_date": pl.Date,
            "price": pl.Float64,
            "open_mortgages": pl.Float64,
            "opens": pl.Int64,
            "clicks": pl.Int64,
            "mailing_state": pl.String,
        },
        orient="row",
    )
    got = score_frame(frame, TODAY, get_settings())
    assert got["score"].to_list() == [float(c[-1]) for c in CASES]
    row = got.row(17, named=True)
    assert (
        row["freshness_decay"],
        row["equity_bonus"],
        row["engagement_bonus"],
        row["absentee_bonus"],
        row["equity_ratio"],
    ) == (30, 10, 16, 10, 1.0)


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
    # 8 days old: decay 0; equity (400k - 150k) / 400k = 62.5% → +10; 2 opens + 1 click → +9; NY →
    # +10
    assert (
        ls["age_days"],
        ls["freshness_decay"],
        ls["equity_ratio"],
        ls["equity_bonus"],
        ls["engagement_bonus"],
        ls["absentee_bonus"],
        ls["score"],
    ) == (8, 0, 0.625, 10, 9, 10, 100.0)  # 85 + 29 → 100
    assert tuple(lead) == (100.0, "new")
    assert expired == ("expired", "older than 180 days on 2026-06-30")
