"""`property_facts`: the appraiser's roll (weekly, when delivered) merged into `properties`:
facts and the owner's mailing address for every parcel, and a row for each parcel no clerk's
document has named yet (pipelines/county/roll.py says which source wins each field)."""

from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    BackfillPolicy,
    MaterializeResult,
    asset,
)

from assets.metadata import partition_label
from assets.partitions import PARTITIONS_BY_CADENCE
from pipelines import clock
from pipelines.county.roll import merge_roll, roll_parcels_missing
from pipelines.settings import get_settings
from resources.database import FolioDatabase


@asset(
    deps=[AssetKey("staged_property_roll")],
    group_name="weekly_ingestion",
    partitions_def=PARTITIONS_BY_CADENCE["weekly"],
    backfill_policy=BackfillPolicy.single_run(),
    check_specs=[
        AssetCheckSpec(
            "facts_on_properties",
            asset="property_facts",
            description="every parcel of the merged rolls is a `properties` row with the "
            "roll's facts",
        )
    ],
    kinds={"sql"},
    description="The property appraiser's roll merged into `properties`: land use, beds, baths, "
    "living area, year built, lot, assessed and market value, homestead and the owner's mailing "
    "address, from the newest roll delivered; parcels no document named yet become properties. "
    "The clerk's documents keep deciding owner, address and last sale.",
)
def property_facts(context: AssetExecutionContext, database: FolioDatabase) -> MaterializeResult:
    keys = context.partition_keys
    with database.engine().begin() as conn:
        counts = merge_roll(conn, keys, get_settings().home_state, clock.now())
        missing = roll_parcels_missing(conn, keys)
    return MaterializeResult(
        metadata={
            "partitions": partition_label(keys),
            "parcels": counts.parcels,
            "new_parcels": counts.new_parcels,
            "enriched": counts.enriched,
            "absentee_owners": counts.absentee,
            "homestead_parcels": counts.homestead,
        },
        check_results=[
            AssetCheckResult(
                check_name="facts_on_properties",
                passed=missing == 0,
                metadata={"parcels_without_facts": missing},
            )
        ],
    )
