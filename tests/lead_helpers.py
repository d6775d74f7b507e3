"""Builders for lead-delivery tests: properties and leads inserted by hand."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timezone

from pipelines.db.engine import get_engine
from pipelines.db.schema import leads, properties

PRIORITY = {"probate": "high"}
_keys = itertools.count(1)  # source keys unique across calls


def add_property(url: str, folio: str, zip_code: str = "33125", city: str = "MIAMI") -> None:
    now = datetime.now(timezone.utc)
    with get_engine(url).begin() as conn:
        conn.execute(
            properties.insert(),
            [
                {
                    "folio": folio,
                    "address": f"{folio[-4:]} MAIN ST",
                    "city": city,
                    "zip": zip_code,
                    "owner_name": "GARCIA MARIA",
                    "first_seen_at": now,
                    "updated_at": now,
                }
            ],
        )


def add_leads(url: str, rows: list[tuple], folio: str = "3040120010010") -> list[int]:
    """rows: (lead_type, score, lead_date, source_file); returns the new ids in order."""
    now = datetime.now(timezone.utc)
    ids = []
    with get_engine(url).begin() as conn:
        for n, (lead_type, score, lead_date, source_file) in enumerate(rows):
            ids.append(
                conn.execute(
                    leads.insert().values(
                        folio=folio,
                        lead_type=lead_type,
                        product="A" if lead_type == "new_homeowner" else "B",
                        base_score=score,
                        score=score,
                        priority=PRIORITY.get(lead_type, "normal"),
                        status="new",
                        lead_date=lead_date,
                        source_asset="t",
                        source_file=source_file,
                        source_line=n + 1,
                        source_key=f"k{next(_keys)}",
                        created_at=now,
                    )
                ).inserted_primary_key[0]
            )
    return ids


def daily(day: date, name: str = "OfficialRecords.exp") -> str:
    return f"daily/{day.isoformat()}/{name}"
