"""`leads`: the business day's county documents turned into leads by the rules in
`pipelines.leads.rules` (new_homeowner, foreclosure, lien); the weekly and monthly assets add
eviction, lien, probate and judgment leads to the same table (assets/county_leads.py)."""

from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    BackfillPolicy,
    MaterializeResult,
    asset,
)

from assets.metadata import markdown_table, partition_label, rows_frame
from assets.partitions import daily_partitions
from pipelines.leads.previews import leads_by_type, leads_without_property, recent_leads
from pipelines.leads.rules import generate_leads
from pipelines.leads.scoring import score_leads
from resources.database import FolioDatabase


@asset(
    deps=[AssetKey("properties"), AssetKey("staged_official_records"), AssetKey("staged_cases")],
    group_name="county",
    partitions_def=daily_partitions,
    backfill_policy=BackfillPolicy.single_run(),
    check_specs=[
        AssetCheckSpec(
            "every_lead_has_property",
            asset="leads",
            description="every lead's folio is a row in properties",
        )
    ],
    kinds={"sql"},
    description="The `leads` table's daily rules over the business day's OfficialRecords: "
    "new_homeowner (A: a sale deed with a price within the window), foreclosure (B: a "
    "lis pendens; a later CLP dismisses it) and lien (B: JUD, LIE, FTL, NTL) leads, unique "
    "on (lead_type, folio, source_key). The table holds six lead types: eviction, lien, probate "
    "and judgment leads also come from eviction_and_lien_leads and probate_and_judgment_leads. "
    "Every open lead is scored once the new ones are made.",
)
def leads(context: AssetExecutionContext, database: FolioDatabase) -> MaterializeResult:
    engine = database.engine()
    with engine.begin() as conn:
        counts = generate_leads(conn, context.partition_keys)
        # ranked at once, not at 02:00 (a new lead also moves its property's others)
        score_leads(conn, expire=False)
        by_type = leads_by_type(conn)
        orphans = leads_without_property(conn)
        recent = recent_leads(conn)
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
        check_results=[
            AssetCheckResult(
                check_name="every_lead_has_property",
                passed=orphans == 0,
                metadata={"leads_without_property": orphans},
            )
        ],
    )
