"""Which subscribers a scored listing or a county lead should reach (docs/domain.md#alerts).

`reasons` is a pure function of one criteria set and one item: it returns why the item
matches (stored with the match) or None. Listings only ever meet their own tenant's
subscribers: the candidate subscribers are selected by the listing's tenant_id. County
leads belong to no tenant; they reach every tenant's subscribers who opted in with
`lead_types`, and each match row carries the subscriber's tenant. A match goes out at once
only when its subscriber chose `instant` delivery, or opted in to hot matches at once and it
scores at least their hot threshold; otherwise (`digest_only`) it waits for the digest or
the weekly report, or for nothing (`off`): the subscriber's choice is never overridden.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime

from sqlalchemy import Connection, Engine, and_, func, select

from pipelines import clock
from pipelines.accounts.criteria import Criteria
from pipelines.db.schema import alert_criteria, alert_matches, leads, properties, subscribers
from pipelines.db.upsert import insert_ignore_rows
from pipelines.leads.hot import alertable, alerts_on, known_on
from pipelines.listings.scoring import current_scores


def reasons(c: Criteria, item: dict) -> list[str] | None:
    """Why `item` meets `c`, or None. item: kind, score, city, zip, and for listings
    price, roi, listing_type; for leads lead_type."""
    if item["score"] is None or item["score"] < c.min_score:
        return None
    why = [f"score {item['score']} ≥ {c.min_score}"]
    if item["kind"] == "listing":
        if c.listing_types and item["listing_type"] not in c.listing_types:
            return None
        if c.max_price is not None and item["price"] > c.max_price:
            return None
        if c.min_roi is not None and (item["roi"] is None or item["roi"] < c.min_roi):
            return None
        if c.max_price is not None:
            why.append(f"price {item['price']:,.0f} ≤ {c.max_price:,.0f}")
        if c.min_roi is not None:
            why.append(f"roi {item['roi']:.1f}% ≥ {c.min_roi:g}%")
    else:
        if not c.lead_types or item["lead_type"] not in c.lead_types:
            return None  # county leads are opt-in
        why.append(f"lead type {item['lead_type']}")
    if c.cities and (item.get("city") or "").upper() not in c.cities:
        return None
    if c.zip_codes and item.get("zip") not in c.zip_codes:
        return None
    if c.cities:
        why.append(f"city {item['city'].upper()}")
    if c.zip_codes:
        why.append(f"zip {item['zip']}")
    return why


def _criteria_by_tenant(
    conn: Connection, tenant_ids: set[int] | None, written: tuple[int, int] | None = None
) -> dict[int, list[tuple[int, Criteria]]]:
    """The active subscribers' criteria by tenant; `written`: only criteria whose
    `criteria_seq` is in (from, to]."""
    q = (
        select(alert_criteria)
        .join(
            subscribers,
            and_(
                subscribers.c.id == alert_criteria.c.subscriber_id,
                subscribers.c.tenant_id == alert_criteria.c.tenant_id,
            ),
        )
        .where(subscribers.c.active.is_(True), subscribers.c.unsubscribed_at.is_(None))
    )
    if tenant_ids is not None:
        q = q.where(alert_criteria.c.tenant_id.in_(tenant_ids))
    if written is not None:
        seq = alert_criteria.c.criteria_seq
        q = q.where(seq > written[0], seq <= written[1])
    out: dict[int, list[tuple[int, Criteria]]] = defaultdict(list)
    for r in conn.execute(q).mappings():
        out[r["tenant_id"]].append((r["subscriber_id"], Criteria.from_row(dict(r))))
    return out


def _store(conn: Connection, rows: list[dict]) -> int:
    made = 0
    for i in range(0, len(rows), 1000):
        made += insert_ignore_rows(
            conn, alert_matches, rows[i : i + 1000], ["subscriber_id", "item_kind", "item_id"]
        )
    return made


def _match_rows(
    items: list[dict], criteria: dict[int, list[tuple[int, Criteria]]], per_tenant: bool
) -> list[dict]:
    """per_tenant: an item meets its own tenant's subscribers only (listings); otherwise
    every tenant's (county leads), each match carrying the subscriber's tenant."""
    now = clock.now()
    everyone = [(tid, sid, c) for tid, subs in criteria.items() for sid, c in subs]
    rows = []
    for item in items:
        pool = (
            [(item["tenant_id"], sid, c) for sid, c in criteria.get(item["tenant_id"], [])]
            if per_tenant
            else everyone
        )
        for tenant_id, sid, c in pool:
            why = reasons(c, item)
            if why:
                rows.append(
                    {
                        "tenant_id": tenant_id,
                        "subscriber_id": sid,
                        "item_kind": item["kind"],
                        "item_id": item["id"],
                        "score": item["score"],
                        "reasons": json.dumps(why),
                        # not at once: the digest, the weekly report, or nothing (`off`)
                        "digest_only": not c.at_once(item["score"]),
                        "matched_at": now,
                        "item_date": item["item_date"],
                    }
                )
    return rows


def match_listings(engine: Engine, seq_from: int = 0, seq_to: int | None = None) -> dict[str, int]:
    """Match the scored listings of a change_seq range; returns counts."""
    with engine.begin() as conn:
        scored = current_scores(conn, seq_from, seq_to)
        items = [
            {
                **r,
                "kind": "listing",
                "price": float(r["price"]),
                "item_date": _as_date(r["listed_at"]),
            }
            for r in scored
        ]
        criteria = _criteria_by_tenant(conn, {i["tenant_id"] for i in items})
        rows = _match_rows(items, criteria, per_tenant=True)
        made = _store(conn, rows)
    return {"items": len(items), "matches": len(rows), "new_matches": made}


def _as_date(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def match_leads(
    engine: Engine,
    lead_from: int = 0,
    lead_to: int | None = None,
    today: date | None = None,
    criteria_written: tuple[int, int] | None = None,
) -> dict[str, int]:
    """Match the alertable county leads with id in (lead_from, lead_to] (all of them when
    lead_to is None) to every tenant's opted-in subscribers, or only to those whose criteria
    were written in `criteria_written` (a criteria_seq range: a new subscriber, or changed
    criteria, sees the current leads without anyone else hearing of them again)."""
    q = select(
        leads.c.id,
        leads.c.lead_type,
        leads.c.priority,
        leads.c.score,
        leads.c.lead_date,
        leads.c.source_file,
        properties.c.city,
        properties.c.zip,
    ).join(properties, properties.c.folio == leads.c.folio, isouter=True)
    today = today or clock.today()
    q = q.where(leads.c.id > lead_from, alertable(today))
    if lead_to is not None:
        q = q.where(leads.c.id <= lead_to)
    with engine.begin() as conn:
        items = [
            {
                **dict(r),
                "score": round(r["score"]),
                "kind": "lead",
                "tenant_id": None,
                "item_date": known_on(r["lead_date"], r["source_file"]),
            }
            for r in conn.execute(q).mappings()
            if alerts_on(today, r["lead_date"], r["source_file"])
        ]
        criteria = _criteria_by_tenant(conn, None, criteria_written)
        rows = _match_rows(items, criteria, per_tenant=False)
        made = _store(conn, rows)
    return {"items": len(items), "matches": len(rows), "new_matches": made}


def newest_criteria_written(engine: Engine) -> int:
    """The highest criteria_seq of a subscriber who opted in to county leads (0: none). An
    inactive subscriber's counts too: the cursor never passes a number it has not seen."""
    c = alert_criteria.c
    with engine.connect() as conn:
        return (
            conn.execute(select(func.max(c.criteria_seq)).where(c.lead_types.is_not(None))).scalar()
            or 0
        )
