"""One listing as a tenant submits it (docs/domain.md#listings), validated strictly with pydantic.

Blank optional values (CSV/Excel empty cells) mean "not given". A naive `listed_at` is
read in the county's time zone. `errors_text` turns a ValidationError into the one-line,
per-field reason stored in quarantine.
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import date, datetime, time
from decimal import Decimal
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from pipelines import clock
from pipelines.digits import is_ascii_digits, refuse_non_ascii
from pipelines.settings import get_settings

ListingType = Literal["sale", "rent", "auction", "foreclosure"]
PURCHASE_TYPES = ("sale", "auction", "foreclosure")  # `rent` listings are priced per month


# What a listing says about the property (everything but its ids), in feed order.
LISTING_FIELDS = (
    "address", "city", "zip", "price", "listing_type", "bedrooms", "bathrooms", "sqft",
    "year_built", "estimated_rent", "folio", "listed_at",
)  # fmt: skip


class ListingIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    external_id: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    address: Annotated[str, StringConstraints(min_length=3, max_length=200)]
    city: Annotated[str, StringConstraints(min_length=1, max_length=80)]
    zip: str
    price: Decimal = Field(gt=0, le=Decimal(1000000000), decimal_places=2)
    listing_type: ListingType
    bedrooms: int | None = Field(default=None, ge=0, le=100)
    bathrooms: float | None = Field(default=None, ge=0, le=100)
    sqft: int | None = Field(default=None, gt=0, le=1_000_000)
    year_built: int | None = Field(default=None, ge=1800)
    estimated_rent: Decimal | None = Field(
        default=None, ge=0, le=Decimal(10000000), decimal_places=2
    )
    folio: str | None = None
    # Not given: the time Folio first took the listing in (kept on re-submission).
    listed_at: datetime | None = None
    tenant_id: str | None = None  # accepted when it names the submitting tenant (checked by intake)

    @field_validator("zip", "external_id", "folio", "tenant_id", mode="before")
    @classmethod
    def _text(cls, v):
        # Spreadsheets hand over numbers; a zip or id is text.
        return str(v) if isinstance(v, int) and not isinstance(v, bool) else v

    @field_validator(
        "zip", "folio", "price", "estimated_rent", "bedrooms", "bathrooms", "sqft", "year_built",
        mode="before",
    )  # fmt: skip
    @classmethod
    def _ascii(cls, v):
        # int() and Decimal() read `３３１２５` as 33125: refuse it, never convert it.
        return refuse_non_ascii(v)

    @field_validator("zip")
    @classmethod
    def _zip(cls, v):
        if not (len(v) == 5 and is_ascii_digits(v)):
            raise ValueError("a zip is 5 digits 0-9")
        return v

    @field_validator("external_id", "address", "city", "zip", "folio", "tenant_id")
    @classmethod
    def _printable(cls, v):
        # A NUL or other control character is damage (and PostgreSQL cannot store a NUL).
        if v is not None and any(ord(ch) < 32 or ord(ch) == 127 for ch in v):
            bad = next(ch for ch in v if ord(ch) < 32 or ord(ch) == 127)
            raise ValueError(f"contains a control character ({ord(bad):#04x})")
        return v

    @field_validator("price", "estimated_rent", "bathrooms", mode="before")
    @classmethod
    def _finite(cls, v):
        # JSON's NaN and Infinity (and their Decimal forms) are not amounts.
        if isinstance(v, float | Decimal) and not math.isfinite(v):
            raise ValueError("must be a finite number")
        if isinstance(v, str) and v.strip().lower().lstrip("+-") in ("nan", "inf", "infinity"):
            raise ValueError("must be a finite number")
        return v

    @field_validator("folio")
    @classmethod
    def _folio(cls, v):
        if v is None:
            return None
        digits = v.replace("-", "").replace(" ", "")
        if not (len(digits) == 13 and is_ascii_digits(digits)):
            raise ValueError("a folio is 13 digits 0-9 (dashes allowed)")
        return digits

    @field_validator("year_built")
    @classmethod
    def _not_future(cls, v):
        if v is not None and v > clock.today().year + 1:
            raise ValueError(f"year_built {v} is in the future")
        return v

    @field_validator("listed_at", mode="before")
    @classmethod
    def _when(cls, v):
        if isinstance(v, date) and not isinstance(v, datetime):
            v = datetime.combine(v, time())
        if isinstance(v, str) and len(v.strip()) == 10:
            v = datetime.combine(date.fromisoformat(v.strip()), time())
        return v

    @field_validator("listed_at")
    @classmethod
    def _aware(cls, v: datetime | None):
        if v is None:
            return None
        return v if v.tzinfo else v.replace(tzinfo=ZoneInfo(get_settings().timezone))

    def stored(self) -> dict:
        """The columns this listing sets, plus the hash that tells an update from a repeat."""
        row = self.model_dump(exclude={"tenant_id"})
        row["city"] = row["city"].upper()
        row["address"] = " ".join(row["address"].upper().split())
        # A listed_at not given is not content: re-sending the listing without it changes nothing.
        canonical = json.dumps({k: str(v) for k, v in sorted(row.items()) if k != "listed_at" or v})
        row["content_sha256"] = hashlib.sha256(canonical.encode()).hexdigest()
        return row


def clean(record: dict) -> dict:
    """Blank strings and None become absent, so optional fields read as "not given"."""
    out = {}
    for k, v in record.items():
        key = str(k).strip() if k is not None else ""
        if isinstance(v, str) and not v.strip():
            continue
        if v is None or not key:
            continue
        out[key] = v
    return out


def errors_text(exc: ValidationError) -> str:
    """`price: Input should be greater than 0; zip: String should match pattern …`."""
    parts = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "record"
        parts.append(f"{field}: {err['msg']}")
    return "; ".join(parts)


def validate(record: dict) -> tuple[ListingIn | None, str | None]:
    try:
        return ListingIn.model_validate(clean(record)), None
    except ValidationError as exc:
        return None, errors_text(exc)
