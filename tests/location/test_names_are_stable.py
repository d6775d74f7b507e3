"""The names an existing Dagster instance keys its runs, cursors and history by. Renaming one
orphans that history, so a change here must be deliberate (and migrated)."""

from pipelines.location.definitions import defs

ASSETS = [
    "alert_matches",
    "daily_digest",
    "daily_market_report",
    "eviction_and_lien_leads",
    "lead_scores",
    "leads",
    "listing_scores",
    "notifications",
    "probate_and_judgment_leads",
    "properties",
    "property_facts",  # new: the property roll merged into properties
    "raw_cases",
    "raw_dockets",
    "raw_docktext",
    "raw_evictions",
    "raw_indebtedness",
    "raw_official_records",
    "raw_parties",
    "raw_probate",
    "raw_property_roll",  # new
    "raw_verdicts",
    "staged_cases",
    "staged_dockets",
    "staged_docktext",
    "staged_evictions",
    "staged_indebtedness",
    "staged_official_records",
    "staged_parties",
    "staged_probate",
    "staged_property_roll",  # new
    "staged_verdicts",
    "weekly_report",
    "weekly_subscriber_report",
]
JOBS = [
    "__ASSET_JOB",
    "cleanup",
    "daily_digest_emails",
    "daily_ingestion",
    "deliver_email",
    "deliver_outreach",  # new: SMS, calls and webhooks
    "lead_alerts",  # was hot_lead_alerts: every lead type alerts now (its runs keep the old name)
    "lead_scoring",
    "listing_alerts",
    "listing_intake",
    "lookups",
    "market_report",
    "monthly_ingestion",
    "reports",
    "token_expiry",  # new: lapsed token grants
    "weekly_ingestion",
    "weekly_report_emails",
]
SCHEDULES = [
    "cleanup_schedule",
    "daily_digest_schedule",
    "daily_ingestion_schedule",
    "lead_scoring_schedule",
    "market_report_schedule",
    "monthly_ingestion_schedule",
    "token_expiry_schedule",
    "weekly_ingestion_schedule",
    "weekly_report_schedule",
]
SENSORS = [
    "dead_letter_resolution_sensor",  # new: a later success resolves dead letters
    "dead_letter_sensor",
    "due_jobs_sensor",
    "email_outbox_sensor",
    "inbox_sensor",
    "lead_alerts_sensor",  # was hot_leads_sensor (its cursor, a lead id, is read as one)
    "lookup_requests_sensor",
    "new_listings_sensor",
    "orphaned_runs_sensor",
    "outreach_outbox_sensor",
    "queue_metrics_sensor",
    "report_requests_sensor",
]
STAGED = [
    "cases",
    "dockets",
    "docktext",
    "evictions",
    "indebtedness",
    "official_records",
    "parties",
    "probate",
    "property_roll",  # new
    "verdicts",
]
CHECKS = sorted(
    [
        "leads:every_lead_has_property",
        # new: checks on the scoring, alert and report assets
        "lead_scores:scores_within_bounds",
        "alert_matches:matches_meet_min_score",
        "alert_matches:matches_stay_in_tenant",
        "notifications:no_alert_below_min_score",
        "daily_market_report:counts_match_leads",
        "weekly_subscriber_report:every_tenant_reported",
        "property_facts:facts_on_properties",  # new
    ]
    + [f"raw_{ft}:file_present" for ft in STAGED]
    + [
        f"staged_{ft}:{check}"
        for ft in STAGED
        for check in ("no_duplicate_keys", "quarantine_ratio")
    ]
)


def test_asset_job_schedule_sensor_and_check_names_are_unchanged():
    repo = defs.get_repository_def()
    assert sorted(k.to_user_string() for k in repo.asset_graph.get_all_asset_keys()) == ASSETS
    assert sorted(j.name for j in repo.get_all_jobs()) == JOBS
    assert sorted(s.name for s in repo.schedule_defs) == SCHEDULES
    assert sorted(s.name for s in repo.sensor_defs) == SENSORS
    assert (
        sorted(
            f"{c.asset_key.to_user_string()}:{c.name}" for c in repo.asset_graph.asset_check_keys
        )
        == CHECKS
    )


def test_the_code_location_is_named_folio():
    from pathlib import Path

    import yaml

    root = Path(__file__).resolve().parents[2]
    workspace = yaml.safe_load((root / "workspace.yaml").read_text())
    assert workspace["load_from"][0]["python_module"] == {
        "module_name": "pipelines.location.definitions",
        "location_name": "folio",
    }
