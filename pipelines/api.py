"""The HTTP intake (`folio serve`): POST /listings, GET /listings/{id}, GET /health.

Every listing request names its tenant by API key (`X-API-Key`, from `folio tenants
add`); a listing of another tenant is a 404, exactly like one that does not exist.
Validation is the same pydantic model the file intake uses, so a bad field gets a 422
naming it. Re-posting the same external_id updates (200) instead of duplicating (201).
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import Depends, FastAPI, Header, HTTPException, Response
from sqlalchemy import and_, select, text

from pipelines.listings.model import ListingIn
from pipelines.listings.store import save_listings
from pipelines.settings import get_settings
from pipelines.store.db import get_engine
from pipelines.store.tables import listing_scores, listings, notifications
from pipelines.tenants import tenant_for_key


def _engine():
    return get_engine(get_settings().resolved_database_url)


def tenant(x_api_key: str | None = Header(default=None)) -> dict:
    found = tenant_for_key(_engine(), x_api_key) if x_api_key else None
    if found is None:
        raise HTTPException(status_code=401, detail="missing or unknown X-API-Key (see `folio tenants add`)")
    return found


Tenant = Annotated[dict, Depends(tenant)]
app = FastAPI(title="Folio intake", version="1")


@app.get("/health")
def health(response: Response) -> dict:
    try:
        with _engine().connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        response.status_code = 503
        return {"status": "unhealthy", "database": type(exc).__name__}
    return {"status": "ok", "database": "ok"}


@app.post("/listings", status_code=201)
def post_listing(listing: ListingIn, response: Response, who: Tenant) -> dict:
    if listing.tenant_id not in (None, who["slug"], str(who["id"])):
        raise HTTPException(status_code=422, detail=[{"loc": ["body", "tenant_id"], "type": "value_error",
                                                      "msg": f"tenant_id {listing.tenant_id!r} is not your tenant"}])
    with _engine().begin() as conn:
        result = save_listings(conn, who, [(None, listing)], "http")
    status = result.status[listing.external_id]
    if status != "created":
        response.status_code = 200
    return {"id": result.ids[listing.external_id], "external_id": listing.external_id, "status": status}


def _plain(value):
    if value is None or isinstance(value, int | float | str | bool):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return float(value)  # Decimal


@app.get("/listings/{listing_id}")
def get_listing(listing_id: int, who: Tenant) -> dict:
    with _engine().connect() as conn:
        row = conn.execute(select(listings).where(listings.c.id == listing_id,
                                                  listings.c.tenant_id == who["id"])).mappings().first()
        if row is None:
            raise HTTPException(status_code=404, detail=f"no listing {listing_id}")
        score = conn.execute(select(listing_scores).where(and_(
            listing_scores.c.listing_id == listing_id, listing_scores.c.tenant_id == who["id"]))).mappings().first()
        alerts = conn.execute(select(notifications.c.subscriber_id, notifications.c.channel, notifications.c.state,
                                     notifications.c.attempts, notifications.c.sent_at)
                              .where(notifications.c.item_kind == "listing", notifications.c.item_id == listing_id,
                                     notifications.c.tenant_id == who["id"])
                              .order_by(notifications.c.id)).mappings().all()
    body = {k: _plain(v) for k, v in row.items() if k not in ("tenant_id", "content_sha256")}
    if score is None:
        body["score"] = None
    else:
        body["score"] = {"score": score["score"], "roi": score["roi"], "cap_rate": score["cap_rate"],
                         "breakdown": json.loads(score["breakdown"]), "reasoning": score["reasoning"],
                         "scorer": score["scorer"], "fallback_reason": score["fallback_reason"],
                         "current": score["change_seq"] == row["change_seq"], "scored_at": _plain(score["scored_at"])}
    body["alerts"] = [{k: _plain(v) for k, v in a.items()} for a in alerts]
    return body
