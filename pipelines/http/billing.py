"""Token purchases over HTTP: `POST /billing/stripe`, authenticated by Stripe's signature."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Request

from pipelines.http.auth import engine
from pipelines.outreach.purchases import PurchaseRefused, handle_stripe_event

router = APIRouter()


@router.post("/billing/stripe", include_in_schema=False)
async def stripe_webhook(
    request: Request, stripe_signature: Annotated[str | None, Header()] = None
):
    try:
        done = handle_stripe_event(engine(), await request.body(), stripe_signature)
    except PurchaseRefused as exc:
        raise HTTPException(status_code=exc.status, detail=str(exc)) from None
    return {"event": done.event_id, "granted": done.granted, "tokens": done.tokens}
