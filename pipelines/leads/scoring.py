"""Lead scoring (docs/domain.md#lead-scoring): how worth a call a lead is, as the sum of
parts kept per lead in `lead_scores`, so the breakdown a subscriber sees adds up to the score.

score = base (the record's kind) + stacking (other kinds of distress open on the property)
        + equity + ownership (years owned) + freshness + engagement + absentee

Every part is bounded and their maxima add to at most 100 (LeadSettings refuses more), so
nothing is clamped. Scores are integers; leads are ranked by score, then the newer lead,
then the lower id, which is the same on every re-run. New leads are scored when they are
made, and every open lead again each night; leads older than `lead_expiry_days` that are
still new or sent become `expired`. The arithmetic runs in polars over one read of the open
leads; the writes are set-based.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import polars as pl
from sqlalchemy import Connection, case, delete, func, select, text, update

from pipelines import clock
from pipelines.db import sequences
from pipelines.db.bulk import bulk_insert
from pipelines.db.schema import lead_events, lead_scores, leads, properties
from pipelines.kinds import LeadType
from pipelines.settings import Settings, get_settings

OPEN_STATUSES = ("new", "sent", "contacted")
MONEY = ("price", "market_value", "roll_sale_price")  # Decimal from the database
# The parts of a score, in the order a breakdown shows them; they add up to the score.
PARTS = (
    "base_score",
    "stacking_bonus",
    "equity_bonus",
    "ownership_bonus",
    "freshness_bonus",
    "engagement_bonus",
    "absentee_bonus",
)
# A new homeowner is a buyer, not a sign of distress: it does not stack.
DISTRESS = tuple(t.value for t in LeadType if t != LeadType.NEW_HOMEOWNER)

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


# A mortgage the clerk's files do not show (the sale predates them) is estimated as a loan of
# LOAN_TO_VALUE of the roll's sale price over LOAN_YEARS at LOAN_RATE, paid down since.
LOAN_TO_VALUE, LOAN_YEARS, LOAN_RATE = 0.8, 30, 0.06


def _debt(today: date) -> pl.Expr:
    """What is owed on the property: the open mortgages recorded after the clerk's last sale,
    or, when the clerk's files have no sale, the estimated balance of a loan at the roll's
    sale (null when neither is known: equity unknown, no points)."""
    r, n = LOAN_RATE / 12, LOAN_YEARS * 12
    months = ((pl.lit(today) - pl.col("roll_sale_date")).dt.total_days() / 30.4375).floor()
    left = ((1 - (1 + r) ** (months - n)) / (1 - (1 + r) ** -n)).clip(0, 1)
    estimated = LOAN_TO_VALUE * pl.col("roll_sale_price").cast(pl.Float64) * left
    recorded = pl.col("open_mortgages").fill_null(0).cast(pl.Float64)
    return (
        pl.when(pl.col("last_sale_date").is_not_null())
        .then(recorded)
        .when(pl.col("roll_sale_price").is_not_null() & pl.col("roll_sale_date").is_not_null())
        .then(pl.when(months >= n).then(0.0).otherwise(estimated))
        .otherwise(None)
    )


def base_points(s: Settings) -> dict[str, int]:
    """The points each kind of record is worth on its own (`base_score_<type>`)."""
    return {t.value: getattr(s, f"base_score_{t.value}") for t in LeadType}


def score_frame(df: pl.DataFrame, today: date, s: Settings) -> pl.DataFrame:
    """The formula on a frame of (lead_id, folio, lead_type, lead_date, price,
    last_sale_date, market_value, roll_sale_date, roll_sale_price, homestead, open_mortgages,
    opens, clicks, mailing_state): one row per open lead,
    since stacking counts the other open leads on each property. Pure: unit-tested with
    hand-computed values."""
    age = (pl.lit(today) - pl.col("lead_date")).dt.total_days().cast(pl.Int64)
    late = (age - s.freshness_grace_days).clip(0, None)
    freshness = (pl.lit(s.freshness_points) - late // s.freshness_days_per_point).clip(0, None)

    distress = pl.col("lead_type").is_in(DISTRESS)
    kinds = (
        df.filter(distress).group_by("folio").agg(pl.col("lead_type").n_unique().alias("signals"))
    )
    df = df.join(kinds, on="folio", how="left").with_columns(pl.col("signals").fill_null(0))
    others = pl.col("signals") - distress.cast(pl.Int64)
    stacking = (others * s.stacking_points).clip(0, s.stacking_max)

    value = pl.coalesce(pl.col("market_value"), pl.col("price")).cast(pl.Float64)
    ratio = pl.when(value > 0).then(((value - _debt(today)) / value).clip(0, 1))
    equity = (ratio * s.equity_points).floor().fill_null(0)

    sold = pl.coalesce(pl.col("last_sale_date"), pl.col("roll_sale_date"))
    years = ((pl.lit(today) - sold).dt.total_days() / 365.25).floor()
    ownership = (years // s.ownership_years_per_point).clip(0, s.ownership_max).fill_null(0)

    engagement = (pl.col("opens").fill_null(0) * s.engagement_open_points).clip(
        0, s.engagement_open_max
    ) + (pl.col("clicks").fill_null(0) * s.engagement_click_points).clip(0, s.engagement_click_max)
    state = pl.col("mailing_state").str.strip_chars().str.to_uppercase()
    absentee = (
        pl.when(state.is_not_null() & (state != "") & (state != s.home_state))
        .then(s.absentee_bonus)
        .when(pl.col("homestead").eq(False))  # not the owner's home: a landlord or investor
        .then(s.non_homestead_bonus)
        .otherwise(0)
    )
    base = pl.col("lead_type").replace_strict(base_points(s), return_dtype=pl.Int64)
    out = df.with_columns(
        base.alias("base_score"),
        age.alias("age_days"),
        pl.col("signals").cast(pl.Int64),
        stacking.cast(pl.Int64).alias("stacking_bonus"),
        ratio.round(4).alias("equity_ratio"),
        equity.cast(pl.Int64).alias("equity_bonus"),
        years.cast(pl.Int64).alias("years_owned"),
        ownership.cast(pl.Int64).alias("ownership_bonus"),
        freshness.cast(pl.Int64).alias("freshness_bonus"),
        engagement.cast(pl.Int64).alias("engagement_bonus"),
        absentee.cast(pl.Int64).alias("absentee_bonus"),
    )
    return out.with_columns(pl.sum_horizontal(PARTS).cast(pl.Float64).alias("score"))


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
            leads.c.lead_type,
            leads.c.lead_date,
            properties.c.last_sale_price.label("price"),
            properties.c.last_sale_date,
            properties.c.market_value,
            properties.c.roll_sale_date,
            properties.c.roll_sale_price,
            properties.c.homestead,
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
        "lead_type": pl.String,
        "lead_date": pl.Date,
        "price": pl.Float64,
        "last_sale_date": pl.Date,
        "market_value": pl.Float64,
        "roll_sale_date": pl.Date,
        "roll_sale_price": pl.Float64,
        "homestead": pl.Boolean,
        "mailing_state": pl.String,
        "opens": pl.Int64,
        "clicks": pl.Int64,
    }
    df = pl.DataFrame(
        [
            tuple(
                float(v) if k in MONEY and v is not None else v
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
    conn: Connection,
    today: date | None = None,
    now: datetime | None = None,
    expire: bool = True,
) -> ScoreCounts:
    """Score every open lead. `expire`: first expire the leads past their age (the nightly
    scoring does; the ingestion that just made leads scores them without expiring any)."""
    s = get_settings()
    today = today or clock.today()
    now = now or clock.now()
    # One scoring at a time (each replaces every open lead's row): an ingestion run and the
    # nightly scoring may overlap. The nightly one is also counted: the lead alerts sensor
    # re-matches every alertable lead after it (pipelines/leads/hot.py).
    if expire:
        sequences.take(conn, "scoring")
    else:
        sequences.hold(conn, "scoring")
    expired = _expire(conn, today, s) if expire else 0
    scored = score_frame(_open_leads(conn), today, s)
    if scored.height:
        _write(conn, scored, today, now)
    mean = scored["score"].mean() if scored.height else None
    return ScoreCounts(scored=scored.height, expired=expired, mean_score=mean)


def _expire(conn: Connection, today: date, s: Settings) -> int:
    return conn.execute(
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


def _write(conn: Connection, scored: pl.DataFrame, today: date, now: datetime) -> None:
    """Replace the open leads' scores with `scored`, and copy each score onto its lead. A
    score that came out as it was keeps its `scored_at`, so re-running an ingestion changes
    no row."""
    columns = [c.name for c in lead_scores.columns if c.name != "scored_at"]
    fresh = scored.with_columns(pl.lit(today).alias("scored_on")).select(columns)
    kept = select(lead_scores).where(
        lead_scores.c.lead_id.in_(select(leads.c.id).where(leads.c.status.in_(OPEN_STATUSES)))
    )
    before = pl.DataFrame(
        [tuple(r) for r in conn.execute(kept)],
        schema={
            c.name: fresh.schema.get(c.name, pl.Datetime("us", "UTC")) for c in lead_scores.columns
        },
        orient="row",
    )
    same = fresh.join(before, on=columns, how="left", nulls_equal=True)
    rows = same.with_columns(pl.col("scored_at").fill_null(pl.lit(now)))
    conn.execute(
        delete(lead_scores).where(
            lead_scores.c.lead_id.in_(kept.with_only_columns(lead_scores.c.lead_id))
        )
    )
    bulk_insert(conn, lead_scores, rows)
    conn.execute(
        text(
            "UPDATE leads SET score = (SELECT ls.score FROM lead_scores ls WHERE ls.lead_id = "
            "leads.id), scored_at = (SELECT ls.scored_at FROM lead_scores ls WHERE ls.lead_id = "
            "leads.id) WHERE id IN (SELECT lead_id FROM lead_scores WHERE scored_on = :today)"
        ),
        {"today": today},
    )
