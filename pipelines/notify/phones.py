"""Phone numbers: parsing to E.164, masking for logs, and the recipient's time zone.

Numbers are parsed by `phonenumbers` (Google's libphonenumber metadata): a number without a
country code is taken as a US one, and a number no carrier could dial (an area code that does
not exist, a 555 area code, too few digits) is refused. Only ASCII digits are accepted:
libphonenumber would quietly read a full-width `７` or an Arabic-Indic `٧` as a 7, and a
number spelled that way is someone getting past the opt-out list, not a typo to fix.

The time zone decides quiet hours (docs/domain.md#compliance). It comes from the number
(libphonenumber's prefix → zone data) when that names one zone, else from the lead's zip,
else it is the county's zone.
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import timezone as phone_zones

DEFAULT_REGION = "US"
# What a person may type around the digits: spaces, dashes, dots, brackets, a leading +.
_SPELLING = re.compile(r"[0-9+().\- ]+")
_MAX_TEXT = 30  # longer than any real spelling of a number; refused before parsing
# Florida's zips are Eastern but for the western panhandle (324xx, 325xx).
_ZIP3_CENTRAL = ("324", "325")


class BadPhone(ValueError):
    pass


def normalise(raw: str) -> str:
    """A US number in any usual spelling, or an international one with +, as E.164."""
    text = (raw or "").strip()
    if any(c.isdigit() and not c.isascii() for c in text):
        raise BadPhone(f"{raw!r} is not a phone number: only ASCII digits 0-9 are accepted")
    if not text.isascii():
        raise BadPhone(
            f"{raw!r} is not a phone number: only ASCII digits 0-9, spaces and + - . ( ) "
            "are accepted"
        )
    if len(text) > _MAX_TEXT or not _SPELLING.fullmatch(text):
        raise BadPhone(f"{raw!r} is not a phone number (E.164, e.g. +13055550100)")
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise BadPhone(f"{raw!r} is not a phone number (E.164, e.g. +13055550100)")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask(phone: str | None) -> str:
    """What a log may show of a number: country and area code, and the last two digits."""
    if not phone:
        return "?"
    return phone[:5] + "*" * max(0, len(phone) - 7) + phone[-2:]


def number_zones(phone: str) -> tuple[str, ...]:
    """The zones libphonenumber places an E.164 number in (empty when it does not know)."""
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return ()
    zones = phone_zones.time_zones_for_number(number)
    return tuple(z for z in zones if z != phone_zones.UNKNOWN_TIMEZONE)


def zip_zone(zip_code: str | None) -> str | None:
    """The zone of a Florida zip (the county's state), None for any other."""
    if zip_code and zip_code[:2] in ("32", "33", "34"):
        return "America/Chicago" if zip_code[:3] in _ZIP3_CENTRAL else "America/New_York"
    return None


def time_zone(phone: str, zip_code: str | None, default: str) -> str:
    """The recipient's zone. A number libphonenumber places in several zones (an area code
    across a zone line) takes the zip's zone, or the county's, when it is one of them."""
    zones = number_zones(phone)
    by_zip = zip_zone(zip_code)
    if len(zones) == 1:
        return zones[0]
    for candidate in (by_zip, default):
        if candidate and (not zones or candidate in zones):
            return candidate
    return sorted(zones)[0]
