"""Who is asking: every tenant route names its tenant by API key (`X-API-Key`); the operators'
routes take the admin key, as `X-Admin-Key` or as the password of HTTP Basic auth.

The headers are read through FastAPI's security classes, so /openapi.json declares the schemes
(`TenantKey`; `AdminKey` or `AdminBasic`) and every route says which it needs. What they accept
is decided here, as before: a missing or unknown key is a 401 with our message, whatever the
security class would have answered on its own (`auto_error=False`, and the Basic header is
parsed below, not by HTTPBasic)."""

from __future__ import annotations

import base64
import binascii
import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyHeader, HTTPBasic

from pipelines.accounts.api_keys import tenant_for_key
from pipelines.db.engine import get_engine
from pipelines.settings import get_settings

tenant_key = APIKeyHeader(
    name="X-API-Key",
    scheme_name="TenantKey",
    description="One of the tenant's API keys (`folio tenants key issue TENANT`).",
    auto_error=False,
)


class RawAPIKeyHeader(APIKeyHeader):
    """APIKeyHeader handing the header on as it came (an empty one too: `admin` refuses an
    empty X-Admin-Key rather than falling back to the Basic password)."""

    async def __call__(self, request: Request) -> str | None:  # type: ignore[override]
        return request.headers.get(self.model.name)


admin_key = RawAPIKeyHeader(
    name="X-Admin-Key",
    scheme_name="AdminKey",
    description="FOLIO_ADMIN_API_KEY.",
    auto_error=False,
)


class AuthorizationHeader(HTTPBasic):
    """Declares HTTP Basic in the OpenAPI document, but hands the `Authorization` header on
    as it came: `admin` reads the password itself, so a malformed header is refused with the
    same 401 as a wrong key (and a good X-Admin-Key is not refused for it)."""

    async def __call__(self, request: Request) -> str | None:  # type: ignore[override]
        return request.headers.get("Authorization")


admin_basic = AuthorizationHeader(
    scheme_name="AdminBasic",
    description="Any user name; FOLIO_ADMIN_API_KEY as the password (what a browser asks "
    "for on /admin).",
    realm="Folio admin",
    auto_error=False,
)


def engine():
    return get_engine(get_settings().resolved_database_url)


def tenant(x_api_key: Annotated[str | None, Depends(tenant_key)]) -> dict:
    found = tenant_for_key(engine(), x_api_key) if x_api_key else None
    if found is None:
        raise HTTPException(
            status_code=401,
            detail="missing, unknown or revoked X-API-Key (see `folio tenants key list`)",
        )
    return found


Tenant = Annotated[dict, Depends(tenant)]


def admin(
    x_admin_key: Annotated[str | None, Depends(admin_key)],
    authorization: Annotated[str | None, Depends(admin_basic)],
) -> None:
    """Operators: FOLIO_ADMIN_API_KEY (the settings, never config) as `X-Admin-Key`, or as the
    password of HTTP Basic auth (what a browser asks for on /admin; any user name)."""
    key = get_settings().admin_api_key.get_secret_value()
    if not key:
        raise HTTPException(status_code=503, detail="FOLIO_ADMIN_API_KEY is not set: admin is off")
    given = x_admin_key
    if given is None and authorization and authorization.lower().startswith("basic "):
        try:
            given = base64.b64decode(authorization[6:]).decode().partition(":")[2]
        except (binascii.Error, UnicodeDecodeError):
            given = None
    if given is None or not hmac.compare_digest(given.encode(), key.encode()):
        raise HTTPException(
            status_code=401,
            detail="missing or wrong admin key (X-Admin-Key, or HTTP Basic password)",
            headers={"WWW-Authenticate": 'Basic realm="Folio admin"'},
        )


Admin = Annotated[None, Depends(admin)]
