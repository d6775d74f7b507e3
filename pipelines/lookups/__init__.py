"""On-demand property lookups through the county records API (docs/domain.md#lookups)."""
