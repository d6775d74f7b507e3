"""The code location: what it holds, and the tags, retries and schedules of
docs/operations.md."""

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from dagster import AssetKey, build_schedule_context

from pipelines.location.definitions import defs
from pipelines.location.schedules import daily_ingestion_schedule

NY = ZoneInfo("America/New_York")
DAILY_FILES = ["official_records", "cases", "parties", "dockets", "docktext"]
ALL_FILES = DAILY_FILES + ["evictions", "indebtedness", "property_roll", "probate", "verdicts"]


def graph_parents(key: str) -> set:
    return defs.resolve_asset_graph().get(AssetKey(key)).parent_keys


def test_asset_graph():
    keys = {a.key for a in defs.resolve_all_asset_specs()}
    expected = {AssetKey(f"{stage}_{f}") for f in ALL_FILES for stage in ("raw", "staged")}
    assert keys == expected | {
        AssetKey(k)
        for k in (
            "properties",
            "leads",
            "eviction_and_lien_leads",
            "probate_and_judgment_leads",
            "property_facts",
            "lead_scores",
            "listing_scores",
            "alert_matches",
            "notifications",
            "daily_digest",
            "weekly_report",
            "daily_market_report",
            "weekly_subscriber_report",
        )
    }
    assert graph_parents("notifications") == {AssetKey("alert_matches")}
    assert graph_parents("daily_digest") == {AssetKey("alert_matches")}
    assert graph_parents("weekly_report") == {
        AssetKey("alert_matches"),
        AssetKey("weekly_subscriber_report"),  # the email links the week's PDF
    }
    assert graph_parents("daily_market_report") == {AssetKey("leads")}
    assert AssetKey("listing_scores") in graph_parents("alert_matches")
    graph = defs.resolve_asset_graph()
    assert graph.get(AssetKey("staged_official_records")).parent_keys == {
        AssetKey("raw_official_records")
    }
    assert graph.get(AssetKey("properties")).parent_keys == {AssetKey("staged_official_records")}
    assert graph.get(AssetKey("leads")).parent_keys == {
        AssetKey("properties"),
        AssetKey("staged_official_records"),
        AssetKey("staged_cases"),
    }
    assert graph.get(AssetKey("probate_and_judgment_leads")).parent_keys == {
        AssetKey("staged_probate"),
        AssetKey("staged_verdicts"),
        AssetKey("properties"),
    }


def test_asset_checks():
    checks = {(c.asset_key.path[0], c.name) for c in defs.resolve_asset_graph().asset_check_keys}
    for f in ALL_FILES:
        assert {
            (f"raw_{f}", "file_present"),
            (f"staged_{f}", "quarantine_ratio"),
            (f"staged_{f}", "no_duplicate_keys"),
        } <= checks
    assert ("leads", "every_lead_has_property") in checks
    assert {
        ("lead_scores", "scores_within_bounds"),
        ("alert_matches", "matches_meet_min_score"),
        ("alert_matches", "matches_stay_in_tenant"),
        ("notifications", "no_alert_below_min_score"),
        ("daily_market_report", "counts_match_leads"),
        ("weekly_subscriber_report", "every_tenant_reported"),
    } <= checks


def test_daily_job_tags_and_retry_policy():
    job = defs.resolve_job_def("daily_ingestion")
    assert job.tags["dagster/priority"] == "5"  # HIGH
    assert job.tags["folio/cadence"] == "daily"
    assert int(job.tags["dagster/max_runtime"]) > 0
    policy = job.op_retry_policy
    assert (policy.max_retries + 1, policy.delay, policy.backoff) == (
        3,
        300,
        None,
    )  # 3 attempts, fixed 5 min


def test_weekly_monthly_scoring_and_cleanup_jobs():
    expected = {  # job: (priority, attempts, delay seconds)
        "weekly_ingestion": ("-5", 3, 600),
        "monthly_ingestion": ("-5", 3, 900),
    }
    for name, (priority, attempts, delay) in expected.items():
        job = defs.resolve_job_def(name)
        assert job.tags["dagster/priority"] == priority  # MEDIUM
        assert (job.op_retry_policy.max_retries + 1, job.op_retry_policy.delay) == (attempts, delay)
    scoring = defs.resolve_job_def("lead_scoring")
    assert scoring.op_retry_policy is None and scoring.tags["dagster/priority"] == "0"  # no retry
    assert defs.resolve_job_def("cleanup").tags["dagster/priority"] == "-10"  # LOW
    crons = {s.name: (s.cron_schedule, s.execution_timezone) for s in defs.schedules}
    assert crons["weekly_ingestion_schedule"] == ("0 7 * * 1", "America/New_York")
    assert crons["monthly_ingestion_schedule"] == ("0 8 1 * *", "America/New_York")
    assert crons["lead_scoring_schedule"] == ("0 2 * * *", "America/New_York")
    assert crons["cleanup_schedule"] == ("0 3 * * *", "America/New_York")


def _tick(year, month, day, hour=6, schedule=None):
    ctx = build_schedule_context(
        scheduled_execution_time=datetime(year, month, day, hour, tzinfo=NY),
        repository_def=defs.get_repository_def(),
    )
    return (schedule or daily_ingestion_schedule).evaluate_tick(ctx).run_requests


def test_weekly_and_monthly_ticks_take_the_period_that_ended():
    from pipelines.location.schedules import monthly_ingestion_schedule, weekly_ingestion_schedule

    assert [r.partition_key for r in _tick(2026, 3, 16, 7, weekly_ingestion_schedule)] == [
        "2026-03-09"
    ]
    assert [r.partition_key for r in _tick(2026, 3, 1, 8, monthly_ingestion_schedule)] == [
        "2026-02"
    ]


def test_schedule_cron_and_timezone():
    assert daily_ingestion_schedule.cron_schedule == "0 6 * * 1-5"
    assert daily_ingestion_schedule.execution_timezone == "America/New_York"


def test_schedule_picks_the_last_complete_business_day():
    monday, tuesday = _tick(2026, 1, 12), _tick(2026, 1, 13)
    assert [(r.partition_key, r.run_key) for r in monday] == [
        ("2026-01-09", "daily-2026-01-09")
    ]  # Friday
    assert [r.partition_key for r in tuesday] == ["2026-01-12"]


def test_dg_check_defs():
    """`dg check defs` (dagster-dg-cli, the dev extras; `dagster definitions validate` is
    superseded by it) loads the code location named in pyproject.toml's [tool.dg]."""
    dg = Path(sys.executable).with_name("dg")
    if not dg.exists():
        pytest.skip("dagster-dg-cli is not installed: pip install -e '.[dev]'")
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [str(dg), "check", "defs", "--no-check-yaml"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "VIRTUAL_ENV": str(Path(sys.executable).parents[1])},
    )
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-2000:]
    assert "All definitions loaded successfully" in proc.stdout + proc.stderr


def test_every_job_has_a_priority_and_a_max_runtime():
    from pipelines.settings import PRIORITY

    for job in defs.resolve_all_job_defs():
        if job.name.startswith("__"):
            continue
        assert int(job.tags["dagster/priority"]) in PRIORITY.values(), job.name
        assert int(job.tags["dagster/max_runtime"]) > 0, (
            job.name
        )  # run monitoring notices a dead run


def test_every_job_retries_as_the_budget_table_says():
    """One table (RETRY_BUDGETS) decides every job's retries; the job's page in the UI shows it
    (its `retry` metadata: a run tag no code reads would crowd the runs list)."""
    from pipelines.settings import RETRY_BUDGETS

    expected_attempts = {
        "daily_ingestion": (3, 300),
        "weekly_ingestion": (3, 600),
        "monthly_ingestion": (3, 900),
        "reports": (2, 5),  # one report per run, 2 attempts 5 s apart
        "market_report": (2, 5),
    }
    for job in defs.resolve_all_job_defs():
        if job.name.startswith("__"):
            continue
        spec = RETRY_BUDGETS.get(job.name)
        policy = job.op_retry_policy
        if job.name in expected_attempts:
            assert (policy.max_retries + 1, policy.delay) == expected_attempts[job.name]
            assert job.metadata["retry"].value == spec.describe()
            assert "folio/retry" not in job.tags
        elif spec is None:
            assert policy is None, job.name
        assert int(job.tags["dagster/max_runtime"]) > 0, job.name
        assert "dagster/priority" in job.tags, job.name
    assert RETRY_BUDGETS["email"].describe() == "6 attempts, exponential from 1 s"
    assert [RETRY_BUDGETS["email"].delay_before(n) for n in range(2, 7)] == [1, 2, 4, 8, 16]
    assert [RETRY_BUDGETS["sms"].delay_before(n) for n in (2, 3)] == [5, 5]
    assert [RETRY_BUDGETS["voice"].delay_before(n) for n in (2, 3)] == [30, 30]


def test_lookups_run_urgent_ten_at_a_time_and_retry_each_call():
    import yaml

    from pipelines.settings import PRIORITY, RETRY_BUDGETS

    job = defs.resolve_job_def("lookups")
    assert job.tags["dagster/priority"] == str(PRIORITY["URGENT"]) == "10"
    assert job.tags["folio/family"] == "lookups" and job.op_retry_policy is None
    budget = RETRY_BUDGETS["records_api"]
    assert (budget.max_attempts, [budget.delay_before(n) for n in (2, 3)]) == (3, [2, 4])
    root = Path(__file__).resolve().parents[2]
    instance = yaml.safe_load((root / "dagster.yaml").read_text())
    limits = instance["run_coordinator"]["config"]["tag_concurrency_limits"]
    assert {"key": "folio/family", "value": "lookups", "limit": 10} in limits
