"""The daily market report: a PDF per business day, stored in the report store."""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from assets.leads import leads
from assets.partitions import daily_partitions
from pipelines.county.partition_keys import first_day
from pipelines.reports.market_report import market_figures, market_pdf
from pipelines.reports.store import report_store, save_report
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
