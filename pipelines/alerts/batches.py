"""The batch an alert run works on, carried as a run tag from the sensor to the assets.

`listings:<from>-<to>` is a change_seq range of listing versions; `leads:<from>-<to>` a lead
id range (from exclusive, to inclusive). A run without the tag takes whatever is pending.
"""

from __future__ import annotations

BATCH_TAG = "folio/batch"


def batch_tag(kind: str, lo: int, hi: int) -> dict[str, str]:
    return {BATCH_TAG: f"{kind}:{lo}-{hi}"}


def parse_batch(tags: dict[str, str]) -> tuple[str, int, int] | None:
    """(kind, from exclusive, to inclusive) from a run's tags, or None (a hand-started run)."""
    raw = tags.get(BATCH_TAG)
    if not raw:
        return None
    kind, _, span = raw.partition(":")
    lo, _, hi = span.partition("-")
    return kind, int(lo), int(hi)
