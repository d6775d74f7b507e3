"""The rule scorer (docs/domain.md#listing-scores): deterministic, no network, the embedded default.

score = cap rate (40) + price per sqft vs the zip median (30) + age/condition (20)
+ listing type (10), each part kept in the breakdown. Where the spec is silent:
- a `rent` listing's price is monthly rent, so it earns no cap-rate points and is
  compared only with other rent listings for price per sqft;
- age: full marks up to `age_full_marks_years`, none from `age_zero_marks_years`,
  linear between; an unknown year built earns half marks;
- price per sqft: none at or above the median, full marks 20% below, linear between;
- roi is the cap rate as a percentage (all-cash purchase, 35% expenses).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from pipelines.listings.model import PURCHASE_TYPES
from pipelines.settings import Settings

WEIGHTS = {"cap_rate": 40, "price_per_sqft": 30, "age_condition": 20, "listing_type": 10}


@dataclass(frozen=True)
class ScoreResult:
    score: int
    roi: float | None
    cap_rate: float | None
    breakdown: dict[str, float]
    reasoning: str
    scorer: str = "rules"
    prompt_sha256: str | None = None
    fallback_reason: str | None = None

    def row(self) -> dict:
        return {
            "score": self.score,
            "roi": self.roi,
            "cap_rate": self.cap_rate,
            "breakdown": json.dumps(self.breakdown, sort_keys=True),
            "reasoning": self.reasoning,
            "scorer": self.scorer,
            "prompt_sha256": self.prompt_sha256,
            "fallback_reason": self.fallback_reason,
        }


def _round(x: float, places: str = "0.01") -> float:
    return float(Decimal(str(x)).quantize(Decimal(places), rounding=ROUND_HALF_UP))


def kind(listing_type: str) -> str:
    return "purchase" if listing_type in PURCHASE_TYPES else "rent"


def rule_score(listing: dict, zip_median_ppsf: float | None, year: int, s: Settings) -> ScoreResult:
    price = float(listing["price"])
    rent = float(listing["estimated_rent"]) if listing.get("estimated_rent") is not None else None
    why = []

    cap = None
    if kind(listing["listing_type"]) == "purchase" and rent and price > 0:
        cap = rent * 12 * (1 - s.rent_expense_ratio) / price
        cap_pts = min(cap / s.cap_rate_full_marks, 1.0) * WEIGHTS["cap_rate"]
        why.append(f"cap rate {cap * 100:.1f}%")
    else:
        cap_pts = 0.0
        why.append(
            "no cap rate (rent listing)"
            if listing["listing_type"] == "rent"
            else "no cap rate (no rent estimate)"
        )

    sqft = listing.get("sqft")
    if sqft and zip_median_ppsf:
        ppsf = price / sqft
        discount = (zip_median_ppsf - ppsf) / zip_median_ppsf
        ppsf_pts = (
            min(max(discount / s.ppsf_discount_full_marks, 0.0), 1.0) * WEIGHTS["price_per_sqft"]
        )
        side = "below" if discount >= 0 else "above"
        why.append(
            f"${ppsf:,.0f}/sqft, {abs(discount) * 100:.0f}% {side} the zip median "
            f"${zip_median_ppsf:,.0f}"
        )
    else:
        ppsf_pts = 0.0
        why.append("no price per sqft (no sqft)" if not sqft else "no zip median")

    built = listing.get("year_built")
    if built is None:
        age_pts = WEIGHTS["age_condition"] / 2
        why.append("year built unknown")
    else:
        age = max(year - built, 0)
        span = s.age_zero_marks_years - s.age_full_marks_years
        frac = (
            1.0
            if age <= s.age_full_marks_years
            else max(0.0, (s.age_zero_marks_years - age) / span)
        )
        age_pts = frac * WEIGHTS["age_condition"]
        why.append(f"built {built} ({age} years)")

    type_pts = (
        float(WEIGHTS["listing_type"])
        if listing["listing_type"] in ("auction", "foreclosure")
        else 0.0
    )
    why.append(listing["listing_type"])

    parts = {
        "cap_rate": cap_pts,
        "price_per_sqft": ppsf_pts,
        "age_condition": age_pts,
        "listing_type": type_pts,
    }
    breakdown = {k: _round(v) for k, v in parts.items()}
    score = int(Decimal(str(sum(parts.values()))).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return ScoreResult(
        score=min(max(score, 0), 100),
        roi=_round(cap * 100) if cap is not None else None,
        cap_rate=_round(cap, "0.0001") if cap is not None else None,
        breakdown=breakdown,
        reasoning="; ".join(why),
    )
