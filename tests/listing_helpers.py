"""Builders for listing/alert tests: a tenant with subscribers, listings by hand."""

from __future__ import annotations

from pipelines.accounts.criteria import Criteria
from pipelines.accounts.subscribers import set_criteria
from pipelines.accounts.tenants import add_tenant, get_tenant
from pipelines.alerts.subscriptions import add_subscriber
from pipelines.db.engine import get_engine
from pipelines.listings.model import validate
from pipelines.listings.store import save_listings

HEADER = ",".join(
    [
        "external_id",
        "address",
        "city",
        "zip",
        "price",
        "listing_type",
        "bedrooms",
        "bathrooms",
        "sqft",
        "year_built",
        "estimated_rent",
        "folio",
        "listed_at",
    ]
)


def listing(external_id: str, **over) -> dict:
    base = {
        "external_id": external_id,
        "address": "100 NW 7TH ST",
        "city": "Miami",
        "zip": "33125",
        "price": 200000,
        "listing_type": "sale",
        "bedrooms": 3,
        "bathrooms": 2,
        "sqft": 1500,
        "year_built": 2016,
        "estimated_rent": 2000,
        "listed_at": "2026-11-20",
    }
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def tenant_with_subscribers(
    url: str, slug: str, criteria: list[dict]
) -> tuple[dict, list[int], str]:
    """A tenant and one subscriber per criteria dict; returns (tenant, subscriber ids, api key)."""
    engine = get_engine(url)
    _, key = add_tenant(engine, slug, slug.title())
    tenant = get_tenant(engine, slug)
    ids = []
    for n, values in enumerate(criteria, start=1):
        sid = add_subscriber(engine, tenant["id"], f"sub{n}@{slug}.example", f"Sub {n}")
        set_criteria(engine, tenant["id"], sid, Criteria.model_validate(values))
        ids.append(sid)
    return tenant, ids, key


def add_listings(url: str, tenant: dict, rows: list[dict], source: str = "cli"):
    parsed = []
    for n, row in enumerate(rows, start=1):
        item, error = validate(row)
        assert error is None, error
        parsed.append((n, item))
    with get_engine(url).begin() as conn:
        return save_listings(conn, tenant, parsed, source)
