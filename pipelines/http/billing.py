"""Token purchases over HTTP: `POST /billing/stripe`, authenticated by Stripe's signature.

400: the signature or its timestamp is wrong (not from Stripe, or a stale replay); 503:
purchases are not configured. Every signed event is answered 200 with what became of it
(`outcome`: granted, duplicate, refused or ignored, and the `reason`): Stripe redelivers
anything but 2xx for days, and a signed event we cannot use will not become usable."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from pipelines.http.auth import engine
from pipelines.http.schemas import StripeOutcome
from pipelines.outreach.purchases import PurchaseRefused, handle_stripe_event

router = APIRouter()


# Outside /openapi.json, like the Twilio callbacks: only Stripe calls it, signed by Stripe (not
# by a key of ours), and the tenant-isolation test reads the tenant routes from that table.
@router.post("/billing/stripe", include_in_schema=False, response_model=StripeOutcome)
async def stripe_webhook(
    request: Request, stripe_signature: Annotated[str | None, Header()] = None
):
    try:
        # the handler writes to the database: off the event loop
        body = await request.body()
        done = await run_in_threadpool(handle_stripe_event, engine(), body, stripe_signature)
    except PurchaseRefused as exc:
        raise HTTPException(status_code=exc.status, detail=str(exc)) from None
    return done.as_dict()
