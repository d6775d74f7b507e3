"""Tokens: the per-tenant ledger (grant, reserve, capture, release, expire) and purchases."""
