"""Phone numbers: E.164 normalising, masking for logs, and the recipient's time zone.

The time zone decides quiet hours (docs/domain.md#compliance). It comes from the number's
area code when we know it, else from the lead's zip, else it is the county's zone. The area
code table covers Florida and the largest metro areas of each US zone, not every code:
an unknown code falls through to the zip and then to the county, which is where almost all
of our recipients are.
"""

from __future__ import annotations

import re

_ZONES = {
    "America/New_York": "201 202 212 215 239 267 305 321 347 352 386 404 407 470 561 617 646 "
    "656 689 718 727 754 772 786 813 850 863 904 917 941 954",
    "America/Chicago": "205 214 225 251 281 312 314 316 414 469 504 612 615 713 773 816 832 "
    "872 901 972",
    "America/Denver": "208 303 307 406 505 720 801",
    "America/Phoenix": "480 520 602 623 928",  # Arizona keeps standard time all year
    "America/Los_Angeles": "206 213 253 310 323 408 415 424 503 510 619 650 702 858 916",
    "America/Anchorage": "907",
    "Pacific/Honolulu": "808",
    "America/Puerto_Rico": "787 939",
}
AREA_CODE_ZONE = {code: zone for zone, codes in _ZONES.items() for code in codes.split()}
# Florida's zips are Eastern but for the western panhandle (324xx, 325xx).
_ZIP3_CENTRAL = ("324", "325")


class BadPhone(ValueError):
    pass


def normalise(raw: str) -> str:
    """A US number in any usual spelling, or an international one with +, as E.164."""
    text = (raw or "").strip()
    digits = re.sub(r"[\s().\-]", "", text)
    if digits.startswith("+"):
        if re.fullmatch(r"\+[1-9]\d{7,14}", digits):
            return digits
    elif re.fullmatch(r"\d{10}", digits):
        return "+1" + digits
    elif re.fullmatch(r"1\d{10}", digits):
        return "+" + digits
    raise BadPhone(f"{raw!r} is not a phone number (E.164, e.g. +13055550100)")


def mask(phone: str | None) -> str:
    """What a log may show of a number: country and area code, and the last two digits."""
    if not phone:
        return "?"
    return phone[:5] + "*" * max(0, len(phone) - 7) + phone[-2:]


def time_zone(phone: str, zip_code: str | None, default: str) -> str:
    if phone.startswith("+1") and len(phone) == 12 and phone[2:5] in AREA_CODE_ZONE:
        return AREA_CODE_ZONE[phone[2:5]]
    if zip_code and zip_code[:2] in ("32", "33", "34"):
        return "America/Chicago" if zip_code[:3] in _ZIP3_CENTRAL else "America/New_York"
    return default
