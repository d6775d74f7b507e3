"""`folio reports request | show` and `folio leads export`: reports from the command line."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click

from pipelines.cli.common import console, fail, migrated_engine, parse_date, tenant_or_fail
from pipelines.kinds import LeadType, values

LEAD_TYPE = click.Choice(values(LeadType))


@click.group()
def reports() -> None:
    """Report requests: a listing's PDF or a leads export, built by a run, then emailed."""


@reports.command("request")
@click.option("--tenant", "slug", required=True, help="The tenant asking.")
@click.option("--listing", "listing_id", type=int, help="A listing id: its investment PDF.")
@click.option(
    "--export",
    "export_format",
    type=click.Choice(["csv", "xlsx"]),
    help="A leads export in this format (instead of --listing).",
)
@click.option("--since", callback=parse_date, help="Export: leads dated on or after, YYYY-MM-DD.")
@click.option("--type", "lead_type", type=LEAD_TYPE, help="Export: one lead type.")
@click.option("--subscriber", type=int, help="Email the report_ready link to this subscriber.")
def reports_request(
    slug: str,
    listing_id: int | None,
    export_format: str | None,
    since: date | None,
    lead_type: str | None,
    subscriber: int | None,
) -> None:
    """Queue a report; the reports sensor (or `folio tick`) builds it."""
    from pydantic import ValidationError

    from pipelines.reports.requests import ReportRequestIn, RequestRefused, request_report

    engine = migrated_engine()
    tenant = tenant_or_fail(engine, slug)
    if (listing_id is None) == (export_format is None):
        fail("give --listing ID or --export csv|xlsx")
    try:
        ask = ReportRequestIn(
            kind="listing" if listing_id else "leads_export",
            format=export_format or "pdf",
            listing_id=listing_id,
            since=since,
            type=lead_type,
            subscriber_id=subscriber,
        )
        request_id = request_report(engine, tenant["id"], ask)
    except ValidationError as exc:
        fail("; ".join(e["msg"] for e in exc.errors()))
    except RequestRefused as exc:
        fail(str(exc))
    console.print(
        f"report request {request_id} queued; `folio tick` builds it, "
        f"`folio reports show {request_id} --tenant {slug}` tells its state"
    )


@reports.command("show")
@click.argument("request_id", type=int)
@click.option("--tenant", "slug", required=True, help="The tenant that asked.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Save the report.")
def reports_show(request_id: int, slug: str, out: Path | None) -> None:
    """A report request as JSON: state, progress, error, sha256 and size once ready."""
    from pipelines.reports.requests import request_view
    from pipelines.reports.store import fetch_report

    engine = migrated_engine()
    tenant = tenant_or_fail(engine, slug)
    view = request_view(engine, tenant["id"], request_id)
    if view is None:
        fail(f"no report request {request_id} in this tenant")
    click.echo(json.dumps(view, indent=2))
    if out is not None:
        if view["state"] != "ready":
            fail(f"report request {request_id} is {view['state']}, not ready")
        fetch_report(engine, view["report_id"], tenant["id"], out)
        console.print(f"saved {out} ({view['bytes']:,} bytes)")


@click.group()
def leads() -> None:
    """County leads as a tenant sees them."""


@leads.command("export")
@click.option("--tenant", "slug", required=True, help="Whose leads (those that matched them).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "xlsx"]),
    required=True,
    help="csv, or xlsx (one sheet per lead type).",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The file to write.",
)
@click.option("--since", callback=parse_date, help="Leads dated on or after, YYYY-MM-DD.")
@click.option("--type", "lead_type", type=LEAD_TYPE, help="One lead type.")
def leads_export(slug: str, fmt: str, out: Path, since: date | None, lead_type: str | None) -> None:
    """Write the tenant's leads to a file now: CSV, or Excel with one sheet per lead type."""
    from pipelines.reports.exports import leads_frame, to_csv, to_xlsx

    engine = migrated_engine()
    tenant = tenant_or_fail(engine, slug)
    frame = leads_frame(engine, tenant["id"], since, lead_type)
    out.write_bytes(to_csv(frame) if fmt == "csv" else to_xlsx(frame))
    console.print(f"wrote {frame.height:,} lead(s) to {out}")
