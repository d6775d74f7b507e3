"""`folio listings`: a tenant's listings in from a file, refused records, one listing."""

from __future__ import annotations

import json
from pathlib import Path

import click

from pipelines.cli.common import (
    console,
    emit_json,
    fail,
    json_option,
    migrated_engine,
    table,
    tenant_or_fail,
)


@click.group()
def listings() -> None:
    """A tenant's listings: add from a file, show one."""


@listings.command("add")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--tenant", "slug", required=True, help="The tenant's slug.")
def listings_add(file: Path, slug: str) -> None:
    """Validate and store listings from JSON, JSON Lines, CSV or XLSX. Bad records are
    quarantined with their line and reason; the good ones go in. Scoring and alerts follow
    from the new-listings sensor (or `folio alerts run`)."""
    import hashlib

    from pipelines.listings.readers import FileFormatError, read_records
    from pipelines.listings.store import ingest_records

    engine = migrated_engine()
    tenant = tenant_or_fail(engine, slug)
    data = file.read_bytes()
    try:
        records = read_records(file, data)
    except FileFormatError as exc:
        fail(str(exc))
    result = ingest_records(
        engine, tenant, records, "cli", str(file), hashlib.sha256(data).hexdigest()
    )
    console.print(f"{file.name}: {result.summary()}")
    for line_no, reason in result.rejects[:20]:
        console.print(f"  line {line_no}: {reason}")
    if len(result.rejects) > 20:
        console.print(f"  … {len(result.rejects) - 20} more in listing_quarantine")


@listings.command("quarantine")
@click.option("--tenant", "slug", required=True, help="The tenant's slug.")
@click.option(
    "--limit", default=50, show_default=True, help="At most this many records, newest first."
)
@json_option
def listings_quarantine(slug: str, limit: int, as_json: bool) -> None:
    """Refused listing records: where they came from, the line, why, and the raw record."""
    from pipelines.listings.store import quarantined_records

    engine = migrated_engine()
    rows = quarantined_records(engine, tenant_or_fail(engine, slug)["id"], limit)
    if as_json:
        return emit_json(rows)
    t = table("source", "file", "line", "reason", "record")
    for r in rows:
        name = Path(r["source_file"]).name if r["source_file"] else ""  # the name: paths are long
        t.add_row(r["source"], name, str(r["line_no"] or ""), r["reason"], r["raw"][:60])
    console.print(t)


@listings.command("show")
@click.argument("listing_id", type=int)
@click.option("--tenant", "slug", required=True, help="The tenant's slug.")
def listings_show(listing_id: int, slug: str) -> None:
    """A listing with its score, breakdown and alerts (same as GET /listings/{id})."""
    from pipelines.listings.views import listing_view

    engine = migrated_engine()
    body = listing_view(engine, tenant_or_fail(engine, slug)["id"], listing_id)
    if body is None:
        fail(f"no listing {listing_id}")
    console.print_json(json.dumps(body))
