"""Matching scored items (listings, hot county leads) to subscribers' criteria. Dagster-free."""
