"""The property appraiser's roll into `properties` (docs/domain.md#property-roll).

The roll is a snapshot of every parcel: its facts (land use, beds, baths, living area, year
built, lot, assessed and market value, homestead), the owner's mailing address and the sale
the appraiser knows of. What it may set, and what it may not:
- facts, the mailing address and the roll's own sale (`roll_sale_*`): always from the newest
  roll delivered (`roll_partition`), so re-running an older week never undoes a newer one;
- a parcel no document has named yet becomes a `properties` row with the roll's site address
  and owner, with no rank: the first clerk's document about it replaces them;
- owner, address and last sale of a parcel a document named: never, except an owner where
  no deed has named one yet (a parcel known only from a lis pendens or a lien). The clerk's
  documents are recorded the day they happen; the roll lags them by months.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, bindparam, case, func, or_, select, update

from pipelines import clock
from pipelines.db.schema import STAGED_TABLES, properties
from pipelines.db.upsert import insert_ignore_rows

# Postal abbreviations of the states, DC and the territories, and the names they are written
# as in mailing addresses; anything else is not a state we can place (not absentee).
STATES = {
    "AL": "ALABAMA", "AK": "ALASKA", "AZ": "ARIZONA", "AR": "ARKANSAS", "CA": "CALIFORNIA",
    "CO": "COLORADO", "CT": "CONNECTICUT", "DE": "DELAWARE", "DC": "DISTRICT OF COLUMBIA",
    "FL": "FLORIDA", "GA": "GEORGIA", "HI": "HAWAII", "ID": "IDAHO", "IL": "ILLINOIS",
    "IN": "INDIANA", "IA": "IOWA", "KS": "KANSAS", "KY": "KENTUCKY", "LA": "LOUISIANA",
    "ME": "MAINE", "MD": "MARYLAND", "MA": "MASSACHUSETTS", "MI": "MICHIGAN", "MN": "MINNESOTA",
    "MS": "MISSISSIPPI", "MO": "MISSOURI", "MT": "MONTANA", "NE": "NEBRASKA", "NV": "NEVADA",
    "NH": "NEW HAMPSHIRE", "NJ": "NEW JERSEY", "NM": "NEW MEXICO", "NY": "NEW YORK",
    "NC": "NORTH CAROLINA", "ND": "NORTH DAKOTA", "OH": "OHIO", "OK": "OKLAHOMA",
    "OR": "OREGON", "PA": "PENNSYLVANIA", "RI": "RHODE ISLAND", "SC": "SOUTH CAROLINA",
    "SD": "SOUTH DAKOTA", "TN": "TENNESSEE", "TX": "TEXAS", "UT": "UTAH", "VT": "VERMONT",
    "VA": "VIRGINIA", "WA": "WASHINGTON", "WV": "WEST VIRGINIA", "WI": "WISCONSIN",
    "WY": "WYOMING", "PR": "PUERTO RICO", "VI": "VIRGIN ISLANDS", "GU": "GUAM",
}  # fmt: skip
_BY_NAME = {name: abbr for abbr, name in STATES.items()} | {
    "FLA": "FL", "ILL": "IL", "CALIF": "CA", "MASS": "MA", "PENN": "PA", "TENN": "TN"
}  # fmt: skip
HOMESTEAD_YES = {"Y", "YES", "X", "H", "TRUE", "1"}
CHUNK = 2_000  # roll rows per UPDATE batch
staged_property_roll = STAGED_TABLES["property_roll"]


def state_code(raw: str | None) -> str | None:
    """A mailing state as its postal code: `fl`, ` Fla. `, `Florida` → FL; unknown → None."""
    if not raw:
        return None
    word = " ".join(raw.replace(".", " ").upper().split())
    if word in STATES:
        return word
    return _BY_NAME.get(word)


def _zip(raw: str | None) -> str | None:
    """A zip as `properties` keeps it (10 characters: `33101-1234`)."""
    return (raw or "").strip()[:10] or None


def _within(value, high: float):
    """A fact the roll gives, or None when it cannot be one (a typo of 20 digits would not
    fit the column and would fail the week's merge on PostgreSQL)."""
    return value if value is not None and 0 <= value < high else None


def _homestead(raw: str | None) -> bool | None:
    if raw is None or not raw.strip():
        return None
    return raw.strip().upper() in HOMESTEAD_YES


@dataclass(frozen=True)
class RollCounts:
    parcels: int  # rows of the rolls merged
    new_parcels: int  # properties rows the roll made (no document named them yet)
    enriched: int  # properties rows whose facts were set from these rolls
    absentee: int  # of the enriched, owners mailing out of `home_state`
    homestead: int  # of the enriched, homestead parcels


def merge_roll(
    conn: Connection, partition_keys: list[str], home_state: str, now: datetime | None = None
) -> RollCounts:
    """Merge the staged rolls of these partitions into `properties`, oldest first."""
    now = now or clock.now()
    r = staged_property_roll.c
    totals = dict(parcels=0, new_parcels=0, enriched=0, absentee=0, homestead=0)
    for pk in sorted(partition_keys):
        rows = conn.execute(
            select(staged_property_roll).where(r.partition_key == pk, r.folio.is_not(None))
        ).mappings()
        rows = list(rows)
        if not rows:
            continue
        new = [
            {
                "folio": row["folio"],
                "address": row["site_address"],
                "city": row["site_city"],
                "zip": _zip(row["site_zip"]),
                "address_key": row["address_key"],
                "unit_key": row["unit_key"],
                "owner_name": row["owner_name"],
                "owner_key": row["owner_key"],
                "first_seen_at": now,
                "updated_at": now,
            }
            for row in rows
        ]
        totals["parcels"] += len(rows)
        totals["new_parcels"] += insert_ignore_rows(conn, properties, new, ["folio"])
        facts = [_facts(row, pk, now) for row in rows]
        for i in range(0, len(facts), CHUNK):
            totals["enriched"] += _set_facts(conn, facts[i : i + CHUNK])
        states = [f["b_state"] for f in facts]
        totals["absentee"] += sum(1 for s in states if s and s != home_state)
        totals["homestead"] += sum(1 for f in facts if f["b_homestead"])
    return RollCounts(**totals)


def _facts(row, pk: str, now: datetime) -> dict:
    return {
        "b_folio": row["folio"],
        "b_pk": pk,
        "b_now": now,
        "b_owner": row["owner_name"],
        "b_owner_key": row["owner_key"],
        "b_state": state_code(row["mailing_state"]),
        "b_address": row["mailing_address"],
        "b_city": row["mailing_city"],
        "b_zip": _zip(row["mailing_zip"]),
        "b_land_use": row["land_use"],
        "b_bedrooms": _within(row["bedrooms"], 1000),
        "b_bathrooms": _within(row["bathrooms"], 1000),
        "b_living_sqft": _within(row["living_sqft"], 10000000),
        "b_year_built": _within(row["year_built"], 3000),
        "b_lot_sqft": _within(row["lot_sqft"], 1000000000),
        "b_assessed": row["assessed_value"],
        "b_market": row["market_value"],
        "b_homestead": _homestead(row["homestead"]),
        "b_sale_date": row["last_sale_date"],
        "b_sale_price": row["last_sale_price"],
    }


def _set_facts(conn: Connection, facts: list[dict]) -> int:
    p = properties.c
    stmt = (
        update(properties)
        .where(
            p.folio == bindparam("b_folio"),
            or_(p.roll_partition.is_(None), p.roll_partition <= bindparam("b_pk")),
        )
        .values(
            # a parcel no deed has named yet: the newest roll's owner (name and matching key
            # together), until a deed names one
            owner_name=case(
                (p.sale_rank.is_(None), func.coalesce(bindparam("b_owner"), p.owner_name)),
                else_=p.owner_name,
            ),
            owner_key=case(
                (p.sale_rank.is_(None), func.coalesce(bindparam("b_owner_key"), p.owner_key)),
                else_=p.owner_key,
            ),
            owner_mailing_state=bindparam("b_state"),
            owner_mailing_address=bindparam("b_address"),
            owner_mailing_city=bindparam("b_city"),
            owner_mailing_zip=bindparam("b_zip"),
            land_use=bindparam("b_land_use"),
            bedrooms=bindparam("b_bedrooms"),
            bathrooms=bindparam("b_bathrooms"),
            living_sqft=bindparam("b_living_sqft"),
            year_built=bindparam("b_year_built"),
            lot_sqft=bindparam("b_lot_sqft"),
            assessed_value=bindparam("b_assessed"),
            market_value=bindparam("b_market"),
            homestead=bindparam("b_homestead"),
            roll_sale_date=bindparam("b_sale_date"),
            roll_sale_price=bindparam("b_sale_price"),
            roll_partition=bindparam("b_pk"),
            updated_at=bindparam("b_now"),
        )
    )
    return conn.execute(stmt, facts).rowcount


def roll_parcels_missing(conn: Connection, partition_keys: list[str]) -> int:
    """The `facts_on_properties` check: roll parcels of these partitions with no properties
    row carrying a roll's facts (0 after a merge)."""
    r, p = staged_property_roll.c, properties.c
    q = (
        select(func.count(func.distinct(r.folio)))
        .select_from(
            staged_property_roll.outerjoin(
                properties, and_(p.folio == r.folio, p.roll_partition.is_not(None))
            )
        )
        .where(r.partition_key.in_(partition_keys), r.folio.is_not(None), p.folio.is_(None))
    )
    return conn.execute(q).scalar_one()
