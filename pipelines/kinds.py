"""The product's closed vocabularies, spelled once: lead types, listing types, channels.

Each is a `StrEnum`, so a value compares equal to its string (rows and JSON keep plain
strings) while pydantic, FastAPI, click and the OpenAPI page all take their choices from
here."""

from __future__ import annotations

from enum import StrEnum


class LeadType(StrEnum):
    """County leads (docs/domain.md#leads)."""

    NEW_HOMEOWNER = "new_homeowner"  # product A: a sale deed
    FORECLOSURE = "foreclosure"  # product B: a lis pendens
    PROBATE = "probate"
    EVICTION = "eviction"
    LIEN = "lien"
    JUDGMENT = "judgment"


class ListingType(StrEnum):
    SALE = "sale"
    RENT = "rent"
    AUCTION = "auction"
    FORECLOSURE = "foreclosure"


class Channel(StrEnum):
    """How a subscriber hears of something (the outbox's `channel`)."""

    EMAIL = "email"
    SMS = "sms"
    VOICE = "voice"
    WEBHOOK = "webhook"


def values(kind: type[StrEnum]) -> tuple[str, ...]:
    """The plain strings of a vocabulary, in declared order (for click choices, help texts)."""
    return tuple(member.value for member in kind)
