"""Score a batch of listings (a change_seq range) and store the scores.

A listing is scored for its current version (change_seq): a score whose change_seq
matches is current, so re-running a batch rescans nothing that is up to date. The zip
median of price per sqft is taken over the same tenant's active listings of the same
kind (purchase or rent); tenants never see each other's prices.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Connection, Engine, and_, or_, select, tuple_

from pipelines import clock
from pipelines.db.schema import listing_scores, listings
from pipelines.db.upsert import upsert
from pipelines.listings.rules import ScoreResult, kind, rule_score
from pipelines.settings import Settings


class Scorer(Protocol):
    name: str

    def score(
        self, listing: dict, zip_median_ppsf: float | None, reference: ScoreResult
    ) -> ScoreResult: ...


class RuleScorer:
    name = "rules"

    def score(
        self, listing: dict, zip_median_ppsf: float | None, reference: ScoreResult
    ) -> ScoreResult:
        return reference


@dataclass
class ScoringCounts:
    scored: int = 0
    by_scorer: dict[str, int] = field(default_factory=dict)
    fallbacks: int = 0
    mean_score: float | None = None
    seq_range: tuple[int, int] | None = None


def _unscored():
    """Listings whose current version (change_seq) has no score yet."""
    return or_(
        listing_scores.c.listing_id.is_(None), listing_scores.c.change_seq != listings.c.change_seq
    )


def stale_listings(
    conn: Connection, seq_from: int, seq_to: int | None, limit: int | None = None
) -> list[dict]:
    """Listings with change_seq in (seq_from, seq_to] whose current version has no score."""
    q = (
        select(listings)
        .outerjoin(listing_scores, listing_scores.c.listing_id == listings.c.id)
        .where(listings.c.change_seq > seq_from, _unscored())
        .order_by(listings.c.change_seq)
    )
    if seq_to is not None:
        q = q.where(listings.c.change_seq <= seq_to)
    if limit:
        q = q.limit(limit)
    return [dict(r) for r in conn.execute(q).mappings()]


def pending_batches(
    conn: Connection, after_seq: int, size: int, max_batches: int
) -> list[tuple[int, int, int]]:
    """Unscored listing versions after `after_seq`, cut into batches of at most `size`:
    (from exclusive, to inclusive, count). Stable for the same data, so run keys are too."""
    q = (
        select(listings.c.change_seq)
        .outerjoin(listing_scores, listing_scores.c.listing_id == listings.c.id)
        .where(listings.c.change_seq > after_seq, _unscored())
        .order_by(listings.c.change_seq)
        .limit(size * max_batches)
    )
    seqs = list(conn.execute(q).scalars())
    out, lo = [], after_seq
    for i in range(0, len(seqs), size):
        chunk = seqs[i : i + size]
        out.append((lo, chunk[-1], len(chunk)))
        lo = chunk[-1]
    return out


def zip_medians(
    conn: Connection, batch: list[dict], settings: Settings, now: datetime
) -> dict[tuple, float]:
    """(tenant_id, zip, kind) → median price per sqft over active listings."""
    groups = {(b["tenant_id"], b["zip"]) for b in batch}
    since = now - timedelta(days=settings.active_listing_days)
    values: dict[tuple, list[float]] = defaultdict(list)
    group_list = sorted(groups)
    for i in range(0, len(group_list), 400):
        q = select(
            listings.c.tenant_id,
            listings.c.zip,
            listings.c.listing_type,
            listings.c.price,
            listings.c.sqft,
        ).where(
            tuple_(listings.c.tenant_id, listings.c.zip).in_(group_list[i : i + 400]),
            listings.c.sqft > 0,
            listings.c.listed_at >= since,
        )
        for r in conn.execute(q):
            values[(r.tenant_id, r.zip, kind(r.listing_type))].append(float(r.price) / r.sqft)
    return {k: statistics.median(v) for k, v in values.items()}


def score_listings(
    engine: Engine,
    scorer: Scorer,
    settings: Settings,
    seq_from: int = 0,
    seq_to: int | None = None,
    now: datetime | None = None,
) -> ScoringCounts:
    now = now or clock.now()
    with engine.connect() as conn:
        batch = stale_listings(
            conn, seq_from, seq_to, None if seq_to is not None else settings.listing_batch_size
        )
        medians = zip_medians(conn, batch, settings, now) if batch else {}
    counts = ScoringCounts()
    if not batch:
        return counts

    def one(listing: dict) -> ScoreResult:
        median = medians.get((listing["tenant_id"], listing["zip"], kind(listing["listing_type"])))
        reference = rule_score(listing, median, now.year, settings)
        return scorer.score(listing, median, reference)

    workers = settings.ai_concurrency if scorer.name != "rules" else 1
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(one, batch))
    rows = [
        {
            "listing_id": b["id"],
            "tenant_id": b["tenant_id"],
            "change_seq": b["change_seq"],
            **r.row(),
            "scored_at": now,
        }
        for b, r in zip(batch, results, strict=True)
    ]
    with engine.begin() as conn:
        for i in range(0, len(rows), 1000):
            upsert(
                conn,
                listing_scores,
                rows[i : i + 1000],
                ["listing_id"],
                [c for c in rows[0] if c != "listing_id"],
            )
    counts.scored = len(rows)
    for r in results:
        counts.by_scorer[r.scorer] = counts.by_scorer.get(r.scorer, 0) + 1
    counts.fallbacks = sum(1 for r in results if r.fallback_reason)
    counts.mean_score = round(sum(r.score for r in results) / len(results), 1)
    counts.seq_range = (batch[0]["change_seq"], batch[-1]["change_seq"])
    return counts


def current_scores(conn: Connection, seq_from: int, seq_to: int | None) -> list[dict]:
    """Listings in the range joined with their current score (for matching)."""
    q = (
        select(listings, listing_scores.c.score, listing_scores.c.roi)
        .join(
            listing_scores,
            and_(
                listing_scores.c.listing_id == listings.c.id,
                listing_scores.c.change_seq == listings.c.change_seq,
            ),
        )
        .where(listings.c.change_seq > seq_from)
    )
    if seq_to is not None:
        q = q.where(listings.c.change_seq <= seq_to)
    return [dict(r) for r in conn.execute(q.order_by(listings.c.id)).mappings()]
