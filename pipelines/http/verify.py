"""Phone verification over HTTP (tenant routes, X-API-Key).

`POST /verify` `{"subscriber_id": 7}` sends a six-digit code to the subscriber's phone (a paid
SMS, screened like any): 202 with the verification's id and expiry; 404 no such subscriber of
this tenant; 422 no phone, or the compliance rule that refused the SMS; 402 short of tokens;
429 too many to this number in the hour (Retry-After). `POST /verify/check`
`{"subscriber_id": 7, "code": "123456"}`: 200 verified; 422 wrong code (with the attempts
left); 409 none in progress; 410 expired or its five attempts used: start a new one.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from pipelines.http.auth import Tenant, engine
from pipelines.http.schemas import (
    INVALID,
    TENANT_KEY,
    TOO_LARGE,
    Problem,
    ShortOfTokens,
    VerificationChecked,
    VerificationStarted,
    WrongCode,
    not_found,
)
from pipelines.notify.verify_codes import DIGITS
from pipelines.outreach.verification import VerificationError, check, start

router = APIRouter(tags=["outreach"])
MAX_ID = 2**31 - 1


class VerifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subscriber_id: int = Field(ge=1, le=MAX_ID)


class CheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subscriber_id: int = Field(ge=1, le=MAX_ID)
    code: str = Field(pattern=f"^[0-9]{{{DIGITS}}}$", description="the six digits the SMS gave")


def _refused(exc: VerificationError) -> JSONResponse:
    extra = {k: v for k, v in exc.extra.items() if k != "retry_after"}
    if exc.status == 422:
        detail = [{"loc": ["body", exc.where], "type": exc.where, "msg": str(exc)}]
        return JSONResponse(status_code=422, content={"detail": detail, **extra})
    headers = {}
    if "retry_after" in exc.extra:
        headers["Retry-After"] = str(exc.extra["retry_after"])
    return JSONResponse(
        status_code=exc.status, content={"detail": str(exc), **extra}, headers=headers
    )


@router.post(
    "/verify",
    status_code=202,
    response_model=VerificationStarted,
    responses={
        **TENANT_KEY,
        402: {"model": ShortOfTokens, "description": "short of tokens"},
        **not_found("subscriber"),
        **TOO_LARGE,
        422: {
            **INVALID[422],
            "description": "a field is invalid, the subscriber has no phone, or a compliance "
            "rule (quiet hours included) refused the SMS",
        },
        429: {"model": Problem, "description": "too many codes to this number (Retry-After)"},
    },
)
def post_verify(body: VerifyIn, who: Tenant):
    try:
        return start(engine(), who["id"], body.subscriber_id).view()
    except VerificationError as exc:
        return _refused(exc)


@router.post(
    "/verify/check",
    response_model=VerificationChecked,
    responses={
        **TENANT_KEY,
        **not_found("subscriber"),
        409: {"model": Problem, "description": "no verification in progress"},
        410: {"model": Problem, "description": "expired, or its attempts are used up"},
        **TOO_LARGE,
        422: {
            "model": WrongCode | INVALID[422]["model"],
            "description": "wrong code (with the attempts left), or a field is invalid",
        },
    },
)
def post_verify_check(body: CheckIn, who: Tenant):
    try:
        checked = check(engine(), who["id"], body.subscriber_id, body.code)
    except VerificationError as exc:
        return _refused(exc)
    if checked.verified:
        return checked.view()
    left = checked.attempts_left
    then = "start a new verification (POST /verify)" if not left else f"{left} attempts left"
    detail = [{"loc": ["body", "code"], "type": "wrong_code", "msg": f"wrong code: {then}"}]
    return JSONResponse(status_code=422, content={"detail": detail, **checked.view()})
