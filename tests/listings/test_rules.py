"""The rule scorer against hand-computed listings (docs/domain.md#listing-scores)."""

import pytest

from pipelines.listings.rules import rule_score
from pipelines.settings import load_settings

S = load_settings({})
YEAR = 2026


def L(**over):
    base = {
        "price": 200000,
        "estimated_rent": 2000,
        "sqft": 1000,
        "year_built": 2016,
        "listing_type": "sale",
    }
    base.update(over)
    return base


@pytest.mark.parametrize(
    "listing, median, score, parts, roi",
    [
        # cap 2000*12*.65/200000 = 7.8% → 31.2; $200/sqft vs $250: 20% below → 30; 10 years → 20;
        # sale → 0
        (
            L(),
            250.0,
            81,
            {"cap_rate": 31.2, "price_per_sqft": 30.0, "age_condition": 20.0, "listing_type": 0.0},
            7.8,
        ),
        # cap 3000*12*.65/200000 = 11.7% → capped 40; at the median → 0; 35 years → 20*(25/50)=10;
        # foreclosure → 10
        (
            L(estimated_rent=3000, year_built=1991, listing_type="foreclosure"),
            200.0,
            60,
            {"cap_rate": 40.0, "price_per_sqft": 0.0, "age_condition": 10.0, "listing_type": 10.0},
            11.7,
        ),
        # 10% below median → 15; no rent → 0; unknown year → 10; auction → 10
        (
            L(estimated_rent=None, year_built=None, listing_type="auction"),
            222.2222222,
            35,
            {"cap_rate": 0.0, "price_per_sqft": 15.0, "age_condition": 10.0, "listing_type": 10.0},
            None,
        ),
        # rent listing: no cap rate; 70 years old → 0; above the median → 0
        (
            L(price=2500, sqft=1000, listing_type="rent", year_built=1956),
            2.0,
            0,
            {"cap_rate": 0.0, "price_per_sqft": 0.0, "age_condition": 0.0, "listing_type": 0.0},
            None,
        ),
        # no sqft: no price-per-sqft points; cap 1500*12*.65/300000 = 3.9% → 15.6; 11 years →
        # 19.6; total 35.2
        (
            L(price=300000, estimated_rent=1500, sqft=None, year_built=2015),
            None,
            35,
            {"cap_rate": 15.6, "price_per_sqft": 0.0, "age_condition": 19.6, "listing_type": 0.0},
            3.9,
        ),
        # half rounds up: cap 4% → 16, 5% below the median → 7.5, 10 years → 20: 43.5 → 44
        (
            L(price=195000, estimated_rent=1000, sqft=1000),
            205.2631579,
            44,
            {"cap_rate": 16.0, "price_per_sqft": 7.5, "age_condition": 20.0, "listing_type": 0.0},
            4.0,
        ),
    ],
)
def test_hand_computed_scores(listing, median, score, parts, roi):
    result = rule_score(listing, median, YEAR, S)
    assert result.score == score
    assert result.breakdown == parts
    assert result.roi == roi
    assert result.scorer == "rules" and result.fallback_reason is None
    assert result.reasoning  # says why in words


def test_reasoning_names_each_part():
    result = rule_score(L(), 250.0, YEAR, S)
    assert (
        result.reasoning
        == "cap rate 7.8%; $200/sqft, 20% below the zip median $250; built 2016 (10 years); sale"
    )
    assert result.cap_rate == 0.078
