"""Listings: intake (validation, readers, storage), scoring. Dagster-free."""
