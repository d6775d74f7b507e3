"""`properties`: staged OfficialRecords merged into one row per folio (set-based upsert)."""

from dagster import AssetExecutionContext, AssetKey, BackfillPolicy, MaterializeResult, asset

from assets.metadata import markdown_table, partition_label, rows_frame
from assets.partitions import daily_partitions
from pipelines.county.merge import merge_properties
from pipelines.county.previews import properties_total, recent_properties
from resources.database import FolioDatabase


@asset(
    deps=[AssetKey("staged_official_records")],
    group_name="county",
    partitions_def=daily_partitions,
    backfill_policy=BackfillPolicy.single_run(),
    kinds={"sql"},
    description="One row per folio. The latest document sets the last transaction, the latest "
    "deed the "
    "owner and sale, the latest document with an address the address; order-independent.",
)
def properties(context: AssetExecutionContext, database: FolioDatabase) -> MaterializeResult:
    engine = database.engine()
    with engine.begin() as conn:
        counts = merge_properties(conn, context.partition_keys)
        total = properties_total(conn)
        recent = recent_properties(conn)
    return MaterializeResult(
        metadata={
            "partitions": partition_label(context.partition_keys),
            "properties_inserted": counts.inserted,
            "properties_updated": counts.updated,
            "properties_total": total,
            "preview": markdown_table(rows_frame(recent)),
        }
    )
