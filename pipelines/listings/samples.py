"""Generated sample listings for the demo and the benchmark (deterministic for a seed)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from pipelines import clock

CITIES = {
    "MIAMI": ["33125", "33127", "33135", "33142"],
    "HIALEAH": ["33010", "33012"],
    "MIAMI BEACH": ["33139", "33140"],
    "HOMESTEAD": ["33030", "33033"],
}
STREETS = [
    "NW 7TH ST",
    "SW 8TH ST",
    "BISCAYNE BLVD",
    "CORAL WAY",
    "FLAGLER ST",
    "NE 2ND AVE",
    "COLLINS AVE",
]
TYPES = ["sale"] * 14 + ["rent"] * 3 + ["auction", "foreclosure", "foreclosure"]


def sample_listings(
    n: int, seed: int = 11, prefix: str = "DEMO", now: datetime | None = None
) -> list[dict]:
    rng = random.Random(seed)
    # Midnight, not now: a second demo the same day submits identical listings (unchanged).
    now = now or clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
    out = []
    for i in range(1, n + 1):
        city = rng.choice(sorted(CITIES))
        sqft = rng.randrange(700, 3200, 10)
        listing_type = rng.choice(TYPES)
        ppsf = rng.uniform(180, 420)
        price = round(sqft * ppsf / 100) * 100
        rent = round(sqft * rng.uniform(1.4, 2.6) / 10) * 10
        if listing_type == "rent":
            price = rent
        out.append(
            {
                "external_id": f"{prefix}-{i:06d}",
                "address": f"{rng.randrange(100, 19999)} {rng.choice(STREETS)}",
                "city": city,
                "zip": rng.choice(CITIES[city]),
                "price": price,
                "listing_type": listing_type,
                "bedrooms": rng.randint(1, 5),
                "bathrooms": rng.choice([1, 1.5, 2, 2.5, 3]),
                "sqft": sqft,
                "year_built": rng.randint(1950, 2024),
                "estimated_rent": rent if listing_type != "rent" else None,
                "listed_at": (now - timedelta(hours=rng.randint(0, 72))).isoformat(
                    timespec="seconds"
                ),
            }
        )
    return out
