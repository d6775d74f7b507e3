"""Every final failure lands in the dead-letter queue however the run was launched: a
failed `folio run` makes one open entry; a `folio dlq retry` that fails again re-opens that
entry (attempts + 1) instead of adding one; a retry that succeeds closes it, reading the
files from the original run's --source."""

import json
import os
import subprocess
import sys

from pipelines.control.instance import get_instance
from pipelines.db.engine import get_engine
from pipelines.upkeep.dead_letters import list_failed
from tests.builders import doc, write_partition

DAY = "2026-01-05"


def folio(*args, cwd):
    env = {k: v for k, v in os.environ.items() if k != "FOLIO_SOURCE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        env={**env, "COLUMNS": "80"},
    )


def entries(cwd) -> list[dict]:
    """Every entry, as `folio dlq list --all --json` prints them (read directly: quicker)."""
    rows = list_failed(get_engine(f"sqlite:///{cwd / 'data' / 'folio.db'}"), None)
    return [{**r, "tags": json.loads(r["tags"])} for r in rows]


def test_cli_failure_failed_retry_and_good_retry(tmp_path):
    src = tmp_path / "elsewhere"
    write_partition(src, DAY, {"OfficialRecords.exp": "\r\n" * 10})  # blank: refused
    ran = folio("run", "daily", "--date", DAY, "--source", str(src), cwd=tmp_path)
    assert ran.returncode == 1 and ran.stderr == ""  # no Dagster log, no stack trace
    said = " ".join(ran.stdout[ran.stdout.find("error: run ") :].split())
    assert said.startswith("error: run ") and "Traceback" not in ran.stdout
    assert "no data rows (only blank lines)" in said
    [entry] = entries(tmp_path)
    first_run = entry["run_id"]
    assert (entry["status"], entry["attempts"], entry["job_name"], entry["partition_key"]) == (
        "open",
        1,
        "daily_ingestion",
        DAY,
    )
    assert "no data rows" in entry["error_message"]
    assert entry["tags"]["folio/family"] == "ingestion"

    again = folio("dlq", "retry", str(entry["id"]), cwd=tmp_path)
    assert again.returncode == 1 and "stays open" in " ".join(again.stdout.split())
    [entry] = entries(tmp_path)  # still one entry: re-opened, not added
    assert (entry["status"], entry["attempts"], entry["run_id"]) == ("open", 2, first_run)
    retry_run = get_instance().get_run_by_id(entry["retry_run_id"])
    assert retry_run.tags["folio/retry_of"] == first_run
    assert retry_run.run_config["resources"]["file_source"]["config"]["url"] == str(src.resolve())

    write_partition(
        src,
        DAY,
        {"OfficialRecords.exp": doc(1, "20260105", "WD", "3040120010010", consideration_1="1")},
    )
    fixed = folio("dlq", "retry", str(entry["id"]), cwd=tmp_path)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    [entry] = entries(tmp_path)
    assert (entry["status"], entry["attempts"]) == ("retried", 2)
    assert folio("dlq", "list", "--json", cwd=tmp_path).stdout.strip() == "[]"  # none open
