"""A subscriber's alert criteria, validated with pydantic so a bad value is refused with the
field's name, never stored. Lists left empty mean "any" (see docs/domain.md#alerts)."""

from __future__ import annotations

import json
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pipelines.digits import is_ascii_digits, refuse_non_ascii
from pipelines.kinds import Channel, LeadType, ListingType, values
from pipelines.settings import get_settings

LEAD_TYPES = values(LeadType)
CHANNELS = values(Channel)


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
    digest_only: bool = False

    @field_validator("min_score", "max_price", "min_roi", mode="before")
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
            digest_only=bool(row["digest_only"]),
        )
