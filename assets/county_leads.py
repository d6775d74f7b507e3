"""Weekly and monthly county records tied to properties, and the leads they make.

`eviction_and_lien_leads` (weekly: Evictions, Indebtedness) and
`probate_and_judgment_leads` (monthly: Probate, Verdicts). Matching and lead rules live
in `pipelines.leads`; these assets run them for the partitions and report the counts.
"""

from dagster import (
    AllPartitionMapping,
    AssetDep,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    BackfillPolicy,
    MaterializeResult,
    asset,
)

from assets.metadata import markdown_table, partition_label, rows_frame
from assets.partitions import PARTITIONS_BY_CADENCE
from pipelines.leads.matching import MATCH_SPECS, match_records
from pipelines.leads.previews import records_not_matched
from pipelines.leads.rules import generate_matched_leads
from pipelines.leads.scoring import score_leads
from resources.database import FolioDatabase


def _county_leads_asset(
    name: str, cadence: str, file_types: list[str], description: str, after: tuple[str, ...] = ()
) -> AssetsDefinition:
    """`after`: assets of the same partition that change `properties` first."""

    @asset(
        name=name,
        deps=[
            *(AssetKey(f"staged_{ft}") for ft in file_types),
            AssetDep("properties", partition_mapping=AllPartitionMapping()),
            *(AssetKey(a) for a in after),
        ],
        group_name="county",
        partitions_def=PARTITIONS_BY_CADENCE[cadence],
        backfill_policy=BackfillPolicy.single_run(),
        kinds={"sql"},
        description=description,
    )
    def _leads(context: AssetExecutionContext, database: FolioDatabase) -> MaterializeResult:
        keys = context.partition_keys
        metadata: dict = {"partitions": partition_label(keys)}
        with database.engine().begin() as conn:
            for ft in file_types:
                spec = MATCH_SPECS[ft]
                counts = match_records(conn, spec, keys)
                created = generate_matched_leads(conn, spec, keys)
                for k in ("matched", "ambiguous", "unmatched", "by_address", "by_owner_name"):
                    metadata[f"{ft}_{k}"] = counts.get(k, 0)
                metadata[f"{spec.lead_type}_leads_created"] = created
            score_leads(conn, expire=False)  # ranked at once, not at 02:00
            misses = records_not_matched(conn, file_types, keys)
        metadata["not_matched"] = markdown_table(rows_frame(misses), max_rows=10)
        return MaterializeResult(metadata=metadata)

    return _leads


eviction_and_lien_leads = _county_leads_asset(
    "eviction_and_lien_leads",
    "weekly",
    ["evictions", "indebtedness"],
    "Evictions matched by normalised address (+unit) → eviction leads (B); Indebtedness "
    "matched by debtor address, else name → lien leads (B), after the week's property roll (if "
    "one came) added its parcels. Ambiguous and unmatched records are counted; every open lead "
    "is then scored.",
    after=("property_facts",),
)
probate_and_judgment_leads = _county_leads_asset(
    "probate_and_judgment_leads",
    "monthly",
    ["probate", "verdicts"],
    "Probate matched by decedent address, else owner name → probate leads (B, high priority: "
    "hot); Verdicts matched by defendant address/owner name → judgment leads (B). Every open "
    "lead is then scored.",
)
