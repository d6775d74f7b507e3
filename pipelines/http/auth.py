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
