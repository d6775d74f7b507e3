"""Nightly lead scoring (docs/domain.md#lead-scoring), with the breakdown kept per lead in
`lead_scores`.

score = clamp(base − freshness_decay + equity_bonus + engagement_bonus + absentee_bonus, 0, 100)
- freshness_decay: 0 up to 7 days old, then a point per full 3 days, at most 30
- equity_bonus: +10 at estimated equity ≥ 50%, +5 at 30–50%; equity = (last sale price −
  mortgages (MOR) recorded after that sale and not satisfied by an SMO naming them) / price
- engagement_bonus: +2 per alert opened (max +6), +5 per click (max +10)
- absentee_bonus: +10 when the owner's mailing state is known and not Florida
Leads older than `lead_expiry_days` that are still new or sent become `expired`.
The arithmetic runs in polars over one read of the open leads; the writes are set-based.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import polars as pl
from sqlalchemy import Connection, bindparam, case, delete, func, select, text, update

from pipelines import clock
from pipelines.db.bulk import bulk_insert
from pipelines.db.schema import lead_events, lead_scores, leads, properties
from pipelines.db.types import Timestamp
from pipelines.settings import Settings, get_settings

OPEN_STATUSES = ("new", "sent", "contacted")

_OPEN_MORTGAGES = """
WITH mortgages AS (
    SELECT DISTINCT m.folio, m.cfn, m.cfn_year, m.cfn_seq, m.rec_date, m.consideration_1
    FROM staged_official_records m
    WHERE m.doc_type = 'MOR' AND m.document_head AND m.consideration_1 IS NOT NULL
),
satisfied AS (
    SELECT DISTINCT s.folio, s.orig_cfn_year, s.orig_cfn_seq
    FROM staged_official_records s
    WHERE s.doc_type = 'SMO' AND s.folio IS NOT NULL AND s.orig_cfn_seq IS NOT NULL
)
SELECT m.folio, SUM(m.consideration_1) AS open_mortgages
FROM mortgages m
JOIN properties p ON p.folio = m.folio
LEFT JOIN satisfied s ON s.folio = m.folio AND s.orig_cfn_year = m.cfn_year AND s.orig_cfn_seq =
m.cfn_seq
WHERE p.last_sale_date IS NOT NULL AND s.folio IS NULL
  AND (m.rec_date > p.last_sale_date OR (m.rec_date = p.last_sale_date AND m.cfn > p.last_sale_cfn))
GROUP BY m.folio
"""


@dataclass(frozen=True)
class ScoreCounts:
    scored: int
    expired: int
    mean_score: float | None


def score_frame(df: pl.DataFrame, today: date, s: Settings) -> pl.DataFrame:
    """The formula on a frame of (lead_id, base_score, lead_date, price, open_mortgages,
    opens, clicks, mailing_state). Pure: unit-tested with hand-computed values."""
    age = (pl.lit(today) - pl.col("lead_date")).dt.total_days().cast(pl.Int64)
    decay = (
        pl.when(age <= s.freshness_grace_days)
        .then(0)
        .otherwise(
            ((age - s.freshness_grace_days) // s.freshness_days_per_point).clip(
                0, s.freshness_max_decay
            )
        )
    )
    price = pl.col("price").cast(pl.Float64)
    ratio = pl.when(price > 0).then(
        (price - pl.col("open_mortgages").fill_null(0).cast(pl.Float64)) / price
    )
    equity = (
        pl.when(ratio >= s.equity_high_ratio)
        .then(10)
        .when(ratio >= s.equity_mid_ratio)
        .then(5)
        .otherwise(0)
    )
    engagement = (pl.col("opens").fill_null(0) * s.engagement_open_points).clip(
        0, s.engagement_open_max
    ) + (pl.col("clicks").fill_null(0) * s.engagement_click_points).clip(0, s.engagement_click_max)
    state = pl.col("mailing_state").str.strip_chars().str.to_uppercase()
    absentee = pl.when(state.is_not_null() & (state != "") & (state != s.home_state)).then(
        s.absentee_bonus
    )
    out = df.with_columns(
        age.alias("age_days"),
        decay.cast(pl.Int64).alias("freshness_decay"),
        ratio.round(4).alias("equity_ratio"),
        equity.cast(pl.Int64).alias("equity_bonus"),
        engagement.cast(pl.Int64).alias("engagement_bonus"),
        absentee.otherwise(0).cast(pl.Int64).alias("absentee_bonus"),
    )
    total = (
        pl.col("base_score")
        - pl.col("freshness_decay")
        + pl.col("equity_bonus")
        + pl.col("engagement_bonus")
        + pl.col("absentee_bonus")
    )
    return out.with_columns(total.clip(0, 100).cast(pl.Float64).alias("score"))


def _open_leads(conn: Connection) -> pl.DataFrame:
    ev = lead_events.c
    counts = (
        select(
            ev.lead_id,
            func.sum(case((ev.event == "opened", 1), else_=0)).label("opens"),
            func.sum(case((ev.event == "clicked", 1), else_=0)).label("clicks"),
        )
        .where(ev.item_kind == "lead")  # one row per subscriber and event: distinct alerts
        .group_by(ev.lead_id)
        .subquery()
    )
    q = (
        select(
            leads.c.id.label("lead_id"),
            leads.c.folio,
            leads.c.base_score,
            leads.c.lead_date,
            properties.c.last_sale_price.label("price"),
            properties.c.owner_mailing_state.label("mailing_state"),
            counts.c.opens,
            counts.c.clicks,
        )
        .select_from(
            leads.join(properties, properties.c.folio == leads.c.folio, isouter=True).join(
                counts, counts.c.lead_id == leads.c.id, isouter=True
            )
        )
        .where(leads.c.status.in_(OPEN_STATUSES))
    )
    rows = conn.execute(q).all()
    schema = {
        "lead_id": pl.Int64,
        "folio": pl.String,
        "base_score": pl.Int64,
        "lead_date": pl.Date,
        "price": pl.Float64,
        "mailing_state": pl.String,
        "opens": pl.Int64,
        "clicks": pl.Int64,
    }
    df = pl.DataFrame(
        [
            tuple(
                float(v) if k == "price" and v is not None else v
                for k, v in zip(schema, r, strict=True)
            )
            for r in rows
        ],
        schema=schema,
        orient="row",
    )
    mort = conn.execute(text(_OPEN_MORTGAGES)).all()
    mort_df = pl.DataFrame(
        [(f, float(v)) for f, v in mort],
        schema={"folio": pl.String, "open_mortgages": pl.Float64},
        orient="row",
    )
    return df.join(mort_df, on="folio", how="left")


def score_leads(
    conn: Connection, today: date | None = None, now: datetime | None = None
) -> ScoreCounts:
    s = get_settings()
    today = today or clock.today()
    now = now or clock.now()
    expired = conn.execute(
        update(leads)
        .where(
            leads.c.status.in_(("new", "sent")),
            leads.c.lead_date < today - timedelta(days=s.lead_expiry_days),
        )
        .values(
            status="expired",
            status_reason=f"older than {s.lead_expiry_days} days on {today.isoformat()}",
        )
    ).rowcount
    scored = score_frame(_open_leads(conn), today, s)
    if scored.height:
        conn.execute(
            delete(lead_scores).where(
                lead_scores.c.lead_id.in_(
                    select(leads.c.id).where(leads.c.status.in_(OPEN_STATUSES))
                )
            )
        )
        bulk_insert(
            conn,
            lead_scores,
            scored.with_columns(pl.lit(today).alias("scored_on"), pl.lit(now).alias("scored_at")),
        )
        conn.execute(
            text(
                "UPDATE leads SET score = (SELECT ls.score FROM lead_scores ls WHERE ls.lead_id = "
                "leads.id), "
                "scored_at = :now WHERE id IN (SELECT lead_id FROM lead_scores WHERE scored_on = "
                ":today)"
            ).bindparams(bindparam("now", type_=Timestamp())),
            {"now": now, "today": today},
        )
    mean = scored["score"].mean() if scored.height else None
    return ScoreCounts(scored=scored.height, expired=expired, mean_score=mean)
