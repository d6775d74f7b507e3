"""Notifications: the outbox table, templates, senders and delivery. Dagster-free."""
