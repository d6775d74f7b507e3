"""Tokens and paid outreach over HTTP.

Tenant routes (X-API-Key): `GET /tokens`, `POST /outreach` (optional `Idempotency-Key`),
`GET /outreach/{id}`, `PUT /leads/{id}/contact`. Provider routes, authenticated by the
provider's signature instead of a key: `POST /twilio/status` (delivery and call status),
`POST /twilio/inbound` (STOP / START replies). Stripe's is in pipelines/http/billing.py.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, Header, HTTPException, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from pipelines.billing.expiry import expiring_soon
from pipelines.billing.ledger import balance
from pipelines.http.auth import Tenant, engine
from pipelines.http.schemas import (
    INVALID,
    TENANT_KEY,
    TOO_LARGE,
    Contact,
    Outreach,
    OutreachList,
    ShortOfTokens,
    Tokens,
    TwilioStatusResult,
    not_found,
)
from pipelines.notify.compliance import inbound_keyword, opt_in, opt_out
from pipelines.notify.paid_delivery import STATUS_RANK, settle_status
from pipelines.notify.phones import BadPhone, normalise
from pipelines.notify.twilio import valid_signature
from pipelines.outreach.contacts import is_entitled, set_contact
from pipelines.outreach.listing import OutreachState, list_outreach
from pipelines.outreach.requests import (
    IDEMPOTENCY_KEY,
    OutreachError,
    OutreachIn,
    outreach_view,
    request_outreach,
)
from pipelines.settings import get_settings

router = APIRouter(tags=["outreach"])
Id = Annotated[int, PathParam(ge=1, le=2**31 - 1)]


@router.get("/tokens", response_model=Tokens, responses=TENANT_KEY)
def get_tokens(who: Tenant) -> dict:
    """The balance: available, reserved, and what expires within the reminder window."""
    days = get_settings().tokens_reminder_days
    soon = [b for b in expiring_soon(engine(), timedelta(days=days)) if b.tenant_id == who["id"]]
    return {
        **balance(engine(), who["id"]).as_dict(),
        "expiring_soon": [
            {"tokens": b.left, "expires_at": b.expires_at.isoformat(), "kind": b.kind} for b in soon
        ],
    }


@router.post(
    "/outreach",
    status_code=202,
    response_model=Outreach,
    responses={
        **TENANT_KEY,
        402: {"model": ShortOfTokens, "description": "short of tokens"},
        **not_found("lead"),
        **TOO_LARGE,
        422: {
            **INVALID[422],
            "description": "a field is invalid, a compliance rule refused it, or the "
            "Idempotency-Key came with another body",
        },
    },
)
def post_outreach(
    ask: OutreachIn,
    who: Tenant,
    idempotency_key: Annotated[str | None, Header(max_length=120)] = None,
):
    try:
        return request_outreach(engine(), who["id"], ask, idempotency_key)
    except OutreachError as exc:
        if exc.status == 402:
            body = {
                "detail": str(exc),
                "balance": exc.extra["balance"],
                "needed": exc.extra["needed"],
            }
            return JSONResponse(status_code=402, content=body)
        if exc.status == 404:
            raise HTTPException(status_code=404, detail=str(exc)) from None
        where = ["header", exc.where] if exc.where == IDEMPOTENCY_KEY else ["body", exc.where]
        detail = [{"loc": where, "type": exc.where, "msg": str(exc)}]
        raise HTTPException(status_code=422, detail=detail) from None


@router.get("/outreach", response_model=OutreachList, responses={**TENANT_KEY, **INVALID})
def list_outreach_route(
    who: Tenant,
    state: OutreachState | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict:
    """The tenant's outreach, newest first: requests and what the compliance screen refused
    (`state=refused`: no tokens, an opt-out, quiet hours, the daily cap)."""
    items = list_outreach(engine(), who["id"], state, limit)
    for i in items:
        i["at"] = i["at"].isoformat()
    return {"outreach": items, "count": len(items)}


@router.get(
    "/outreach/{request_id}",
    response_model=Outreach,
    responses={**TENANT_KEY, **not_found("outreach request")},
)
def get_outreach(request_id: Id, who: Tenant) -> dict:
    view = outreach_view(engine(), who["id"], request_id)
    if view is None:
        raise HTTPException(status_code=404, detail=f"no outreach request {request_id}")
    return view


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phone: str = Field(max_length=30)
    name: str | None = Field(default=None, max_length=200)


@router.put(
    "/leads/{lead_id}/contact",
    response_model=Contact,
    responses={**TENANT_KEY, **not_found("lead"), **TOO_LARGE, **INVALID},
)
def put_contact(lead_id: Id, body: ContactIn, who: Tenant) -> dict:
    with engine().begin() as conn:
        if not is_entitled(conn, who["id"], lead_id):
            raise HTTPException(status_code=404, detail=f"no lead {lead_id}")
        try:
            phone = set_contact(conn, who["id"], lead_id, body.phone, body.name)
        except BadPhone as exc:
            detail = [{"loc": ["body", "phone"], "type": "value_error", "msg": str(exc)}]
            raise HTTPException(status_code=422, detail=detail) from None
    return {"lead_id": lead_id, "phone": phone, "name": body.name}


async def _twilio_form(request: Request) -> dict[str, str]:
    """The callback's form, after checking Twilio's signature over our public URL."""
    # Twilio posts application/x-www-form-urlencoded; parsed here (no multipart needed).
    form = dict(
        parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
    )
    settings = get_settings()
    token = settings.twilio_auth_token.get_secret_value()
    public = settings.public_base_url.rstrip("/") + request.url.path
    if request.url.query:
        public += "?" + request.url.query
    if not token or not valid_signature(
        token, public, form, request.headers.get("X-Twilio-Signature")
    ):
        raise HTTPException(status_code=403, detail="X-Twilio-Signature does not match")
    return form


MAX_ID = 2**31 - 1
MAX_CALL_SECONDS = 24 * 3600
# Twilio's ids: two letters (SM, MM, CA...) and 32 hex digits.
_SID = re.compile(r"[A-Z]{2}[0-9a-fA-F]{32}")
_ERROR_CODE = re.compile(r"[0-9]{1,6}")


def _bad(message: str):
    raise HTTPException(status_code=400, detail=message)


def _whole(text: str | None, what: str, low: int, high: int) -> int:
    """An ASCII whole number in [low, high], else 400."""
    if text is None or not (text.isascii() and text.isdigit()) or len(text) > 12:
        _bad(f"{what}: not a whole number")
    value = int(text)
    if not low <= value <= high:
        _bad(f"{what}: out of range")
    return value


@router.post("/twilio/status", include_in_schema=False, response_model=TwilioStatusResult)
async def twilio_status(request: Request):
    """A delivery or call status. Values no Twilio callback carries (an id out of range, a
    status Twilio does not have, a duration that is not a number...) are refused with 400,
    after the signature is checked."""
    form = await _twilio_form(request)
    n = _whole(request.query_params.get("n"), "n", 1, MAX_ID)
    kind = "Call" if form.get("CallSid") or form.get("CallStatus") else "Message"
    channel = "voice" if kind == "Call" else "sms"
    sid, status = form.get(f"{kind}Sid") or "", (form.get(f"{kind}Status") or "").lower()
    if not _SID.fullmatch(sid):
        _bad(f"{kind}Sid: not a Twilio id")
    if status not in STATUS_RANK[channel]:
        _bad(f"{kind}Status: {status[:20]!r} is not a Twilio {kind.lower()} status")
    duration = form.get("CallDuration")
    if duration is not None:
        duration = _whole(duration, "CallDuration", 0, MAX_CALL_SECONDS)
    code = form.get("ErrorCode")
    if code and not _ERROR_CODE.fullmatch(code):
        _bad("ErrorCode: not a Twilio error code")
    said = (form.get("ErrorMessage") or "")[:300]
    error = f"error {code}: {said}" if code and said else f"error {code}" if code else None
    return {"result": settle_status(engine(), n, sid, status, duration, error)}


@router.post(
    "/twilio/inbound", include_in_schema=False, response_class=Response, response_model=None
)
async def twilio_inbound(request: Request):
    form = await _twilio_form(request)
    word = inbound_keyword(form.get("Body", ""))
    try:
        phone = normalise(form.get("From", ""))
    except BadPhone:
        word = None
    reply = ""
    if word is not None:
        with engine().begin() as conn:
            if word == "stop":
                opt_out(conn, phone, "inbound")
                reply = "You are unsubscribed from Folio messages. Reply START to resubscribe."
            else:
                opt_in(conn, phone)
                reply = "You are resubscribed to Folio messages. Reply STOP to unsubscribe."
    twiml = f"<Response><Message>{reply}</Message></Response>" if reply else "<Response/>"
    return Response(content=twiml, media_type="application/xml")
