"""Paid outreach as tenants meet it: SMS and call requests, phones attached to leads, token
purchases and expiry (the money itself is pipelines/billing, the sending pipelines/notify)."""
