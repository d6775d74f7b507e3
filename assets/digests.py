"""The daily digest and the weekly subscriber report: outbox rows, one per subscriber and period.

Both only queue emails (the deliver_email job sends them), and both are keyed by
(subscriber, period): re-materialising a partition queues and sends nothing again.
"""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from assets.listings import alert_matches
from assets.partitions import daily_partitions, weekly_partitions
from pipelines.alerts.digest import queue_digests
from pipelines.alerts.weekly import queue_weekly_reports
from pipelines.county.partition_keys import first_day
from pipelines.reports.store import reports_of
from resources.database import FolioDatabase


@asset(
    deps=[alert_matches],
    partitions_def=daily_partitions,
    group_name="alerts",
    kinds={"sql"},
    description="Per subscriber, the business day's digest: the top FOLIO_DIGEST_SIZE (20) "
    "digest-only matches no email has carried yet, dated within the alert window, by score "
    "(then newer, then id). Nothing waiting → no email; a re-run sends nothing again.",
)
def daily_digest(context: AssetExecutionContext, database: FolioDatabase) -> MaterializeResult:
    counts = queue_digests(database.engine(), first_day(context.partition_key))
    context.log.info(f"digests: {counts}")
    return MaterializeResult(metadata=counts)


@asset(
    deps=[alert_matches, AssetKey("weekly_subscriber_report")],
    partitions_def=weekly_partitions,
    group_name="alerts",
    kinds={"sql"},
    description="Per subscriber with matches that week: their week as one email (leads by type "
    "and zip, the top 10, alerts sent and opened) linking the tenant's weekly PDF. A re-run "
    "sends nothing again.",
)
def weekly_report(context: AssetExecutionContext, database: FolioDatabase) -> MaterializeResult:
    engine, monday = database.engine(), first_day(context.partition_key)
    pdfs = reports_of(engine, "weekly_subscriber", context.partition_key)
    counts = queue_weekly_reports(engine, monday, pdfs)
    context.log.info(f"weekly reports: {counts}")
    return MaterializeResult(metadata=counts)
