"""`leads`: county documents turned into leads by the rules in `pipelines.leads.rules`."""

from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    BackfillPolicy,
    MaterializeResult,
    asset,
)
from sqlalchemy import func, select

from assets.metadata import markdown_table, partition_label, rows_frame
from pipelines.leads.rules import generate_leads
from pipelines.partitions import daily_partitions
from pipelines.store.tables import leads as leads_table
from pipelines.store.tables import properties as properties_table
from resources.database import FolioDatabase


def leads_without_property(conn) -> int:
    lt, pt = leads_table, properties_table
    orphan = select(func.count()).select_from(lt.outerjoin(pt, lt.c.folio == pt.c.folio))
    return conn.execute(orphan.where(pt.c.folio.is_(None))).scalar_one()


@asset(
    deps=[AssetKey("properties"), AssetKey("staged_official_records"), AssetKey("staged_cases")],
    group_name="county",
    partitions_def=daily_partitions,
    backfill_policy=BackfillPolicy.single_run(),
    check_specs=[AssetCheckSpec("every_lead_has_property", asset="leads",
                                description="every lead's folio is a row in properties")],
    kinds={"sql"},
    description="new_homeowner (A) and foreclosure (B) leads, unique on (lead_type, folio, source_key); "
                "a later CLP dismisses an open foreclosure.",
)
def leads(context: AssetExecutionContext, database: FolioDatabase) -> MaterializeResult:
    engine = database.engine()
    with engine.begin() as conn:
        counts = generate_leads(conn, context.partition_keys)
        by_type = dict(conn.execute(
            select(leads_table.c.lead_type, func.count()).group_by(leads_table.c.lead_type)).all())
        orphans = leads_without_property(conn)
        lt = leads_table.c
        recent = conn.execute(
            select(lt.lead_type, lt.folio, lt.score, lt.status, lt.lead_date, lt.contact_name, lt.source_key)
            .order_by(lt.id.desc()).limit(5)
        ).all()
    metadata = {
        "partitions": partition_label(context.partition_keys),
        "leads_created": sum(counts.created.values()),
        "foreclosures_closed_by_clp": counts.closed,
        "preview": markdown_table(rows_frame(recent)),
    }
    metadata.update({f"created_{t}": n for t, n in sorted(counts.created.items())})
    metadata.update({f"total_{t}": n for t, n in sorted(by_type.items())})
    return MaterializeResult(
        metadata=metadata,
        check_results=[AssetCheckResult(check_name="every_lead_has_property", passed=orphans == 0,
                                        metadata={"leads_without_property": orphans})],
    )
