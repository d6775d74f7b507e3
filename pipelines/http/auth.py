"""Who is asking: every tenant route names its tenant by API key (`X-API-Key`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, HTTPException

from pipelines.accounts.tenants import tenant_for_key
from pipelines.db.engine import get_engine
from pipelines.settings import get_settings


def engine():
    return get_engine(get_settings().resolved_database_url)


def tenant(x_api_key: str | None = Header(default=None)) -> dict:
    found = tenant_for_key(engine(), x_api_key) if x_api_key else None
    if found is None:
        raise HTTPException(
            status_code=401, detail="missing or unknown X-API-Key (see `folio tenants add`)"
        )
    return found


Tenant = Annotated[dict, Depends(tenant)]


def admin(
    x_admin_key: str | None = Header(default=None),
    authorization: str | None = Header(default=None),
) -> None:
    """Operators: FOLIO_ADMIN_API_KEY (the settings, never config) as `X-Admin-Key`, or as the
    password of HTTP Basic auth (what a browser asks for on /admin; any user name)."""
    import base64
    import binascii
    import hmac

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
