"""A subscriber's alert criteria, validated with pydantic so a bad value is refused with the
field's name, never stored. Lists left empty mean "any" (see docs/domain.md#alerts)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pipelines.digits import is_ascii_digits, refuse_non_ascii
from pipelines.kinds import Channel, LeadType, ListingType, values
from pipelines.settings import get_settings

LEAD_TYPES = values(LeadType)
CHANNELS = values(Channel)
# How a subscriber hears about matches: each at once, in the daily digest, in the weekly report
# only, or not by email at all (docs/domain.md#alerts).
Delivery = Literal["instant", "digest", "weekly", "off"]
DELIVERIES: tuple[str, ...] = Delivery.__args__


class Criteria(BaseModel):
    """A subscriber's alert criteria (docs/domain.md#alerts). Lists left empty mean "any";
    county leads are opt-in: a subscriber only hears about them once `lead_types` names some."""

    model_config = ConfigDict(extra="forbid")

    min_score: int = Field(default_factory=lambda: get_settings().default_min_score, ge=0, le=100)
    max_price: Decimal | None = Field(default=None, gt=0)
    min_roi: float | None = Field(default=None, ge=0, le=100)
    cities: list[str] | None = None
    zip_codes: list[str] | None = None
    listing_types: list[ListingType] | None = None
    lead_types: list[LeadType] | None = None
    channels: list[Channel] = Field(default_factory=lambda: [Channel.EMAIL], min_length=1)
    delivery: Delivery = "instant"
    # A separate opt-in: a match scoring at least `hot_min_score` goes out at once whatever
    # `delivery` says (None: FOLIO_HOT_LEAD_MIN_SCORE).
    hot_at_once: bool = False
    hot_min_score: int | None = Field(default=None, ge=0, le=100)

    @model_validator(mode="before")
    @classmethod
    def _digest_only(cls, data):
        """`digest_only` (the older switch) is still read: true is the digest, false instant."""
        if isinstance(data, dict) and "digest_only" in data:
            data = dict(data)
            flag = data.pop("digest_only")
            if "delivery" not in data and flag is not None:
                data["delivery"] = "digest" if flag else "instant"
        return data

    @property
    def digest_only(self) -> bool:
        """Nothing goes out at once unless it is hot and the subscriber opted in."""
        return self.delivery != "instant"

    def hot_threshold(self) -> int:
        if self.hot_min_score is not None:
            return self.hot_min_score
        return get_settings().hot_lead_min_score

    def at_once(self, score: float) -> bool:
        """Whether a match of this score is emailed at once (else it waits for the digest or
        the weekly report, or for nothing: `off`)."""
        if self.delivery == "instant":
            return True
        return self.hot_at_once and score >= self.hot_threshold()

    @field_validator("min_score", "max_price", "min_roi", "hot_min_score", mode="before")
    @classmethod
    def _ascii(cls, v):
        # Decimal() reads `２０００００` as 200000: refuse it, never convert it.
        return refuse_non_ascii(v)

    @field_validator("cities")
    @classmethod
    def _upper(cls, v):
        if v is None:
            return None
        return sorted({c.strip().upper() for c in v if c.strip()}) or None

    @field_validator("zip_codes")
    @classmethod
    def _zips(cls, v):
        if v is None:
            return None
        foreign = [z for z in v if not z.isascii()]
        if foreign:
            raise ValueError(f"zip codes are written with the digits 0-9: {foreign}")
        bad = [z for z in v if not (len(z) == 5 and is_ascii_digits(z))]
        if bad:
            raise ValueError(f"zip codes are 5 digits: {bad}")
        return sorted(set(v)) or None

    def row(self) -> dict:
        def js(v):
            return json.dumps(sorted(v)) if v else None

        return {
            "min_score": self.min_score,
            "max_price": self.max_price,
            "min_roi": self.min_roi,
            "cities": js(self.cities),
            "zip_codes": js(self.zip_codes),
            "listing_types": js(self.listing_types),
            "lead_types": js(self.lead_types),
            "channels": json.dumps(sorted(set(self.channels))),
            "digest_only": self.digest_only,
            "delivery": self.delivery,
            "hot_at_once": self.hot_at_once,
            "hot_min_score": self.hot_min_score,
        }

    @classmethod
    def from_row(cls, row: dict) -> Criteria:
        """Stored criteria as written (validated then): not validated again, so a row a
        stricter rule would refuse (a `３３１２５` zip from before zips were ASCII-only) still
        loads and simply matches nothing, instead of failing every subscriber's alerts."""

        def lst(v):
            return json.loads(v) if v else None

        return cls.model_construct(
            min_score=row["min_score"],
            max_price=row["max_price"],
            min_roi=row["min_roi"],
            cities=lst(row["cities"]),
            zip_codes=lst(row["zip_codes"]),
            listing_types=lst(row["listing_types"]),
            lead_types=lst(row["lead_types"]),
            channels=json.loads(row["channels"]),
            delivery=row.get("delivery") or ("digest" if row["digest_only"] else "instant"),
            hot_at_once=bool(row.get("hot_at_once")),
            hot_min_score=row.get("hot_min_score"),
        )
