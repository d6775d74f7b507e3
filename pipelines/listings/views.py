"""A listing as its tenant sees it: the record, its score with the breakdown, and its alerts.
The same view answers `GET /listings/{id}` and `folio listings show`."""

from __future__ import annotations

import json

from sqlalchemy import Engine, select

from pipelines.db.plain import plain
from pipelines.db.schema import listing_scores, listings, notifications


def listing_view(engine: Engine, tenant_id: int, listing_id: int) -> dict | None:
    """None when the tenant has no such listing (another tenant's listing is the same as none)."""
    n = notifications.c
    with engine.connect() as conn:
        row = (
            conn.execute(
                select(listings).where(
                    listings.c.id == listing_id, listings.c.tenant_id == tenant_id
                )
            )
            .mappings()
            .first()
        )
        if row is None:
            return None
        score = (
            conn.execute(
                select(listing_scores).where(
                    listing_scores.c.listing_id == listing_id,
                    listing_scores.c.tenant_id == tenant_id,
                )
            )
            .mappings()
            .first()
        )
        alerts = (
            conn.execute(
                select(n.subscriber_id, n.channel, n.state, n.attempts, n.sent_at)
                .where(n.item_kind == "listing", n.item_id == listing_id, n.tenant_id == tenant_id)
                .order_by(n.id)
            )
            .mappings()
            .all()
        )
    body = {k: plain(v) for k, v in row.items() if k not in ("tenant_id", "content_sha256")}
    if score is None:
        body["score"] = None
    else:
        body["score"] = {
            "score": score["score"],
            "roi": score["roi"],
            "cap_rate": score["cap_rate"],
            "breakdown": json.loads(score["breakdown"]),
            "reasoning": score["reasoning"],
            "scorer": score["scorer"],
            "fallback_reason": score["fallback_reason"],
            "current": score["change_seq"] == row["change_seq"],
            "scored_at": plain(score["scored_at"]),
        }
    body["alerts"] = [{k: plain(v) for k, v in a.items()} for a in alerts]
    return body
