"""The code location: what it holds, and the tags, retries and schedule SPEC §5 asks for."""

import subprocess
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

from dagster import AssetKey, build_schedule_context

from pipelines.definitions import defs
from pipelines.schedules import daily_ingestion_schedule

NY = ZoneInfo("America/New_York")
DAILY_FILES = ["official_records", "cases", "parties", "dockets", "docktext"]


def test_asset_graph():
    keys = {a.key for a in defs.resolve_all_asset_specs()}
    expected = {AssetKey(f"{stage}_{f}") for f in DAILY_FILES for stage in ("raw", "staged")}
    assert keys == expected | {AssetKey("properties"), AssetKey("leads")}
    graph = defs.resolve_asset_graph()
    assert graph.get(AssetKey("staged_official_records")).parent_keys == {AssetKey("raw_official_records")}
    assert graph.get(AssetKey("properties")).parent_keys == {AssetKey("staged_official_records")}
    assert graph.get(AssetKey("leads")).parent_keys == {
        AssetKey("properties"), AssetKey("staged_official_records"), AssetKey("staged_cases")}


def test_asset_checks():
    checks = {(c.asset_key.path[0], c.name) for c in defs.resolve_asset_graph().asset_check_keys}
    for f in DAILY_FILES:
        assert {(f"raw_{f}", "file_present"), (f"staged_{f}", "quarantine_ratio"),
                (f"staged_{f}", "no_duplicate_keys")} <= checks
    assert ("leads", "every_lead_has_property") in checks


def test_daily_job_tags_and_retry_policy():
    job = defs.resolve_job_def("daily_ingestion")
    assert job.tags["dagster/priority"] == "5"  # HIGH
    assert job.tags["folio/cadence"] == "daily"
    assert int(job.tags["dagster/max_runtime"]) > 0
    policy = job.op_retry_policy
    assert (policy.max_retries + 1, policy.delay, policy.backoff) == (3, 300, None)  # 3 attempts, fixed 5 min


def _tick(year, month, day, hour=6):
    ctx = build_schedule_context(scheduled_execution_time=datetime(year, month, day, hour, tzinfo=NY),
                                 repository_def=defs.get_repository_def())
    return daily_ingestion_schedule.evaluate_tick(ctx).run_requests


def test_schedule_cron_and_timezone():
    assert daily_ingestion_schedule.cron_schedule == "0 6 * * 1-5"
    assert daily_ingestion_schedule.execution_timezone == "America/New_York"


def test_schedule_picks_the_last_complete_business_day():
    monday, tuesday = _tick(2026, 1, 12), _tick(2026, 1, 13)
    assert [(r.partition_key, r.run_key) for r in monday] == [("2026-01-09", "daily-2026-01-09")]  # Friday
    assert [r.partition_key for r in tuesday] == ["2026-01-12"]


def test_definitions_validate_cli():
    proc = subprocess.run([sys.executable, "-m", "dagster", "definitions", "validate", "-m", "pipelines.definitions"],
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "All code locations passed validation" in proc.stderr + proc.stdout
