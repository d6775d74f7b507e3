"""The leads API: `GET /leads?since=&type=&min_score=&limit=` and `GET /leads/{id}`.

A tenant (by `X-API-Key`) sees only the leads its subscribers are entitled to: those that
matched one of them. Another tenant's lead is a 404, exactly like one that does not exist.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query

from pipelines.http.auth import Tenant, engine
from pipelines.http.schemas import INVALID, TENANT_KEY, Lead, Leads, not_found
from pipelines.kinds import LeadType
from pipelines.leads.views import lead_view, tenant_leads

router = APIRouter(tags=["leads"])


@router.get("/leads", response_model=Leads, responses={**TENANT_KEY, **INVALID})
def list_leads(
    who: Tenant,
    since: Annotated[date | None, Query(description="Leads dated on or after, YYYY-MM-DD")] = None,
    type: Annotated[LeadType | None, Query(description="One lead type")] = None,
    min_score: Annotated[int | None, Query(ge=0, le=100)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict:
    found = tenant_leads(engine(), who["id"], since, type, min_score, limit)
    return {"leads": found, "count": len(found)}


@router.get("/leads/{lead_id}", response_model=Lead, responses={**TENANT_KEY, **not_found("lead")})
def get_lead(lead_id: Annotated[int, Path(ge=1, le=2**31 - 1)], who: Tenant) -> dict:
    body = lead_view(engine(), lead_id, who["id"])
    if body is None:
        raise HTTPException(status_code=404, detail=f"no lead {lead_id}")
    return body
