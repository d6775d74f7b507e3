"""Periodic report PDFs, stored in the report store: the daily market report (per business day)
and the weekly subscriber report (per tenant and week)."""

from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    MaterializeResult,
    MetadataValue,
    asset,
)

from assets.leads import leads
from assets.partitions import daily_partitions, weekly_partitions
from pipelines.accounts.tenants import list_tenants
from pipelines.county.partition_keys import first_day
from pipelines.leads.previews import leads_dated
from pipelines.reports.market_report import market_figures, market_pdf
from pipelines.reports.store import report_store, save_report, tenants_reported
from pipelines.reports.weekly_report import tenants_with_matches, weekly_figures, weekly_pdf
from resources.database import FolioDatabase


@asset(
    deps=[leads],
    partitions_def=daily_partitions,
    group_name="reports",
    check_specs=[
        AssetCheckSpec(
            "counts_match_leads",
            asset="daily_market_report",
            description="the report's new leads, in all and by type, are the leads dated that day",
        )
    ],
    kinds={"pdf"},
    description="The business day's market report (PDF, county-wide): new leads by type and "
    "zip, the top 20 by score, this week against last week. The same data gives the same "
    "bytes (sha256 in the metadata).",
)
def daily_market_report(
    context: AssetExecutionContext, database: FolioDatabase
) -> MaterializeResult:
    engine = database.engine()
    day = first_day(context.partition_key)
    figures = market_figures(engine, day)
    with engine.connect() as conn:
        source = leads_dated(conn, day)
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
        },
        check_results=[
            AssetCheckResult(
                check_name="counts_match_leads",
                passed=figures["new_leads"] == sum(figures["by_type"].values()) == source,
                metadata={
                    "report_new_leads": figures["new_leads"],
                    "report_by_type_total": sum(figures["by_type"].values()),
                    "leads_dated_that_day": source,
                },
            )
        ],
    )


@asset(
    deps=[AssetKey("alert_matches")],
    partitions_def=weekly_partitions,
    group_name="reports",
    check_specs=[
        AssetCheckSpec(
            "every_tenant_reported",
            asset="weekly_subscriber_report",
            description="every tenant with matches that week has its stored PDF for the week",
        )
    ],
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
    expected = set(tenants_with_matches(engine, monday))
    for tenant_id in sorted(expected):
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
    missing = expected - tenants_reported(engine, "weekly_subscriber", context.partition_key)
    return MaterializeResult(
        metadata={"tenants": len(rows), "summary": MetadataValue.md(table)},
        check_results=[
            AssetCheckResult(
                check_name="every_tenant_reported",
                passed=not missing,
                metadata={
                    "tenants_with_matches": len(expected),
                    "tenants_without_report": ", ".join(map(str, sorted(missing))) or "none",
                },
            )
        ],
    )
