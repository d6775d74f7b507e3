"""Counts, checks and previews of leads, matches and scores for asset metadata and checks."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, case, func, select

from pipelines.db.schema import lead_scores, leads, properties, record_matches
from pipelines.leads.scoring import OPEN_STATUSES, PARTS


def leads_without_property(conn: Connection) -> int:
    """Leads whose folio has no row in properties (the every_lead_has_property check)."""
    orphan = select(func.count()).select_from(
        leads.outerjoin(properties, leads.c.folio == properties.c.folio)
    )
    return conn.execute(orphan.where(properties.c.folio.is_(None))).scalar_one()


def leads_by_type(conn: Connection) -> dict[str, int]:
    return dict(
        conn.execute(select(leads.c.lead_type, func.count()).group_by(leads.c.lead_type)).all()
    )


def recent_leads(conn: Connection, limit: int = 5) -> list[dict]:
    lt = leads.c
    q = (
        select(
            lt.lead_type,
            lt.folio,
            lt.score,
            lt.status,
            lt.lead_date,
            lt.contact_name,
            lt.source_key,
        )
        .order_by(lt.id.desc())
        .limit(limit)
    )
    return [dict(r) for r in conn.execute(q).mappings()]


def records_not_matched(
    conn: Connection, file_types: list[str], partition_keys: list[str], limit: int = 10
) -> list[dict]:
    """Civil records that matched no property, or several (ambiguous), with the reason."""
    m = record_matches.c
    q = (
        select(m.file_type.label("file"), m.record_key.label("record"), m.status, m.reason)
        .where(
            m.file_type.in_(file_types), m.partition_key.in_(partition_keys), m.status != "matched"
        )
        .order_by(m.file_type, m.line_no)
        .limit(limit)
    )
    return [dict(r) for r in conn.execute(q).mappings()]


def top_scores(conn: Connection, scored_on: date, limit: int = 5) -> list[dict]:
    ls = lead_scores.c
    q = (
        select(
            ls.lead_id,
            ls.score,
            *(ls[part] for part in PARTS),
        )
        .where(ls.scored_on == scored_on)
        .order_by(ls.score.desc(), ls.age_days, ls.lead_id)  # the newer lead first on a tie
        .limit(limit)
    )
    return [dict(r) for r in conn.execute(q).mappings()]


def scores_out_of_bounds(conn: Connection, scored_on: date) -> dict[str, int]:
    """The `scores_within_bounds` check of a scoring: open leads whose score of `scored_on`
    is outside 0–100 or is not the sum of its parts, whose `leads.score` differs from it, or
    that have no score of that day."""
    ls, lt = lead_scores.c, leads.c
    total = sum((ls[part] for part in PARTS[1:]), ls[PARTS[0]])
    scored = (
        select(
            func.count(),
            func.sum(case(((ls.score < 0) | (ls.score > 100), 1), else_=0)),
            func.sum(case((func.abs(ls.score - total) > 1e-6, 1), else_=0)),
            func.sum(case((func.abs(lt.score - ls.score) > 1e-6, 1), else_=0)),
        )
        .select_from(lead_scores.join(leads, lt.id == ls.lead_id))
        .where(lt.status.in_(OPEN_STATUSES), ls.scored_on == scored_on)
    )
    n, out_of_range, not_breakdown, not_on_lead = conn.execute(scored).one()
    open_leads = conn.execute(select(func.count()).where(lt.status.in_(OPEN_STATUSES))).scalar_one()
    return {
        "out_of_range": int(out_of_range or 0),
        "not_its_breakdown": int(not_breakdown or 0),
        "lead_score_differs": int(not_on_lead or 0),
        "open_leads_unscored": open_leads - n,
    }


def leads_dated(conn: Connection, day: date) -> int:
    """Leads whose lead_date is `day` (the market report's source rows)."""
    return conn.execute(select(func.count()).where(leads.c.lead_date == day)).scalar_one()


def score_spread(conn: Connection) -> dict[str, float | int]:
    """How well the open leads' scores rank (docs/domain.md#lead-scoring): how many, the
    10th, 50th and 90th percentiles and their p10–p90 spread, the share at 90 or more, and
    the share tied at the highest score."""
    scores = sorted(
        conn.execute(select(leads.c.score).where(leads.c.status.in_(OPEN_STATUSES))).scalars()
    )
    n = len(scores)
    if not n:
        return {"open_leads": 0}

    def pct(q: float) -> float:  # nearest rank
        return float(scores[min(n - 1, max(0, round(q * n + 0.5) - 1))])

    top = scores[-1]
    return {
        "open_leads": n,
        "p10": pct(0.10),
        "p50": pct(0.50),
        "p90": pct(0.90),
        "spread_p10_p90": pct(0.90) - pct(0.10),
        "share_90_or_more": round(sum(s >= 90 for s in scores) / n, 4),
        "highest": float(top),
        "share_tied_at_highest": round(scores.count(top) / n, 4),
    }
