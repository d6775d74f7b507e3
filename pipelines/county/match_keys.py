"""Which columns of each civil file carry the address, unit and name a record is matched by.

Staging turns these into normalised keys (`address_key`, `unit_key`, `owner_key`, see
addresses.py) so matching records to properties is a join on equal keys
(docs/domain.md#matching).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KeyColumns:
    address_col: str  # the street line the record carries
    unit_col: str | None  # a separate unit column, when the file has one
    name_col: str | None  # owner-name fallback (None: address only)


KEY_COLUMNS = {
    "evictions": KeyColumns("property_address", "unit", None),
    "indebtedness": KeyColumns("debtor_address", None, "debtor_name"),
    "probate": KeyColumns("decedent_address", None, "decedent_name"),
    "verdicts": KeyColumns("defendant_address", None, "defendant"),
    # the roll's rows become properties (a parcel no document named yet): keyed the same way
    "property_roll": KeyColumns("site_address", None, "owner_name"),
}
