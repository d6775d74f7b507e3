"""`properties`: staged OfficialRecords merged into one row per folio (set-based upsert)."""

from dagster import AssetExecutionContext, AssetKey, BackfillPolicy, MaterializeResult, asset
from sqlalchemy import func, select

from assets.metadata import markdown_table, partition_label, rows_frame
from pipelines.partitions import daily_partitions
from pipelines.store.merge import merge_properties
from pipelines.store.tables import properties as properties_table
from resources.database import FolioDatabase


@asset(
    deps=[AssetKey("staged_official_records")],
    group_name="county",
    partitions_def=daily_partitions,
    backfill_policy=BackfillPolicy.single_run(),
    kinds={"sql"},
    description="One row per folio. The latest document sets the last transaction, the latest deed the "
                "owner and sale, the latest document with an address the address; order-independent.",
)
def properties(context: AssetExecutionContext, database: FolioDatabase) -> MaterializeResult:
    engine = database.engine()
    with engine.begin() as conn:
        counts = merge_properties(conn, context.partition_keys)
        total = conn.execute(select(func.count()).select_from(properties_table)).scalar_one()
        p = properties_table.c
        recent = conn.execute(
            select(p.folio, p.owner_name, p.address, p.city, p.last_sale_date, p.last_sale_price,
                   p.last_transaction_type)
            .order_by(p.updated_at.desc(), p.folio).limit(5)
        ).all()
    return MaterializeResult(
        metadata={
            "partitions": partition_label(context.partition_keys),
            "properties_inserted": counts.inserted,
            "properties_updated": counts.updated,
            "properties_total": total,
            "preview": markdown_table(rows_frame(recent)),
        }
    )
