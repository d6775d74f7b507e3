"""Periodic report PDFs, stored in the report store: the daily market report (per business day)
and the weekly subscriber report (per tenant and week)."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from assets.leads import leads
from assets.partitions import daily_partitions, weekly_partitions
from pipelines.accounts.tenants import list_tenants
from pipelines.county.partition_keys import first_day
from pipelines.reports.market_report import market_figures, market_pdf
from pipelines.reports.store import report_store, save_report
from pipelines.reports.weekly_report import tenants_with_matches, weekly_figures, weekly_pdf
from resources.database import FolioDatabase


@asset(
    deps=[leads],
    partitions_def=daily_partitions,
    group_name="reports",
    kinds={"pdf"},
    description="The business day's market report (PDF, county-wide): new leads by type and "
    "zip, the top 20 by score, this week against last week. The same data gives the same "
    "bytes (sha256 in the metadata).",
)
def daily_market_report(
    context: AssetExecutionContext, database: FolioDatabase
) -> MaterializeResult:
    engine = database.engine()
    figures = market_figures(engine, first_day(context.partition_key))
    saved = save_report(
        engine,
        report_store(),
        "daily_market",
        "pdf",
        market_pdf(figures),
        None,
        context.partition_key,
    )
    summary = "\n".join(
        ["| lead type | new | last 7 days | the 7 before |", "|---|---|---|---|"]
        + [
            f"| {t} | {figures['by_type'].get(t, 0)} | {a} | {b} |"
            for t, (a, b) in figures["week_over_week"].items()
        ]
    )
    return MaterializeResult(
        metadata={
            "new_leads": figures["new_leads"],
            "sha256": saved["sha256"],
            "bytes": saved["bytes"],
            "uri": MetadataValue.path(saved["uri"]),
            "summary": MetadataValue.md(summary),
        }
    )


@asset(
    deps=[AssetKey("alert_matches")],
    partitions_def=weekly_partitions,
    group_name="reports",
    kinds={"pdf"},
    description="Per tenant with matches that week: a PDF of each subscriber's matches, emails "
    "sent, opens and clicks, and the week's top leads. The weekly email links it.",
)
def weekly_subscriber_report(
    context: AssetExecutionContext, database: FolioDatabase
) -> MaterializeResult:
    engine = database.engine()
    monday = first_day(context.partition_key)
    names = {t["id"]: t["name"] for t in list_tenants(engine)}
    rows = []
    for tenant_id in tenants_with_matches(engine, monday):
        figures = weekly_figures(engine, tenant_id, monday)
        saved = save_report(
            engine,
            report_store(),
            "weekly_subscriber",
            "pdf",
            weekly_pdf(figures, names[tenant_id]),
            tenant_id,
            context.partition_key,
        )
        rows.append(f"| {names[tenant_id]} | {len(figures['subscribers'])} | {saved['bytes']:,} |")
    table = "\n".join(["| tenant | subscribers | bytes |", "|---|---|---|", *rows])
    return MaterializeResult(metadata={"tenants": len(rows), "summary": MetadataValue.md(table)})
