"""The product schema as SQLAlchemy Core tables, one module per domain (migrated by Alembic,
see ../migrations/). Import a table from here or from its domain module; both are the same
object.

Staged tables are built from the *default* file layouts (layouts.toml beside this file), so
the two cannot drift; a swapped-in layout must name columns these tables have (checked at
load time). Staged rows and quarantine rows carry no surrogate id and no wall-clock column,
so re-running a partition rewrites them byte for byte.
"""

from pipelines.db.schema.accounts import alert_criteria, api_keys, subscribers, tenants
from pipelines.db.schema.alerts import alert_matches
from pipelines.db.schema.base import metadata
from pipelines.db.schema.billing import token_accounts, token_ledger
from pipelines.db.schema.county import (
    DERIVED_COLUMNS,
    STAGED_TABLES,
    data_ingestion_logs,
    properties,
    quarantine,
    raw_files,
    staged_lookup_records,
)
from pipelines.db.schema.leads import (
    LEAD_STATUSES,
    MATCH_STATUSES,
    lead_events,
    lead_scores,
    leads,
    record_matches,
)
from pipelines.db.schema.listings import listing_quarantine, listing_scores, listing_seq, listings
from pipelines.db.schema.lookups import (
    lookup_requests,
    lookup_unit_days,
    records_api_alerts,
    records_api_log,
)
from pipelines.db.schema.notify import delivery_attempts, notifications
from pipelines.db.schema.outreach import (
    compliance_blocks,
    lead_contacts,
    opt_outs,
    outreach_requests,
)
from pipelines.db.schema.reports import report_requests, reports
from pipelines.db.schema.upkeep import failed_jobs, queue_metrics, scheduled_jobs

__all__ = [
    "compliance_blocks",
    "lead_contacts",
    "opt_outs",
    "outreach_requests",
    "token_accounts",
    "token_ledger",
    "DERIVED_COLUMNS",
    "report_requests",
    "reports",
    "lookup_requests",
    "lookup_unit_days",
    "records_api_alerts",
    "records_api_log",
    "staged_lookup_records",
    "LEAD_STATUSES",
    "MATCH_STATUSES",
    "STAGED_TABLES",
    "alert_criteria",
    "alert_matches",
    "data_ingestion_logs",
    "delivery_attempts",
    "failed_jobs",
    "lead_events",
    "lead_scores",
    "leads",
    "listing_quarantine",
    "listing_scores",
    "listing_seq",
    "listings",
    "metadata",
    "notifications",
    "properties",
    "queue_metrics",
    "quarantine",
    "raw_files",
    "record_matches",
    "scheduled_jobs",
    "subscribers",
    "tenants",
    "api_keys",
]
