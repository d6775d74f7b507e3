"""The `folio` command line, as an operator runs it (subprocesses, embedded defaults)."""

import email
import email.policy
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import DagsterInstance, RunsFilter
from sqlalchemy import func, select

from pipelines.db.engine import get_engine
from pipelines.db.schema import STAGED_TABLES, leads, properties

FOLIO = [sys.executable, "-m", "pipelines.cli"]


def folio(*args, cwd: Path, timeout=300) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [*FOLIO, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env
    )


@pytest.fixture
def samples(tmp_path):
    out = tmp_path / "samples"
    proc = folio(
        "samples",
        "--days",
        "3",
        "--out",
        str(out),
        "--end",
        "2026-01-09",
        "--docs-per-day",
        "80",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert "wrote 3 business days (2026-01-07..2026-01-09)" in proc.stdout
    return out


def test_samples_writes_every_daily_file(samples):
    for day in ("2026-01-07", "2026-01-08", "2026-01-09"):
        names = sorted(p.name for p in (samples / "daily" / day).iterdir())
        assert names == [
            "Cases.exp",
            "Dockets.exp",
            "Docktext.exp",
            "OfficialRecords.exp",
            "Parties.exp",
        ]
    assert not (samples / "daily" / "2026-01-10").exists()  # a Saturday


def test_run_one_partition_then_backfill_a_range_in_one_run(samples, tmp_path):
    proc = folio("run", "daily", "--date", "2026-01-08", "--source", str(samples), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "succeeded: 1 partition(s)" in proc.stdout and "partitions ingested" in proc.stdout
    proc = folio(
        "backfill",
        "daily",
        "--from",
        "2026-01-07",
        "--to",
        "2026-01-09",
        "--source",
        str(samples),
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "succeeded: 3 partition(s)" in proc.stdout
    engine = get_engine(f"sqlite:///{tmp_path / 'data' / 'folio.db'}")
    with engine.connect() as conn:
        staged = STAGED_TABLES["official_records"]
        parts = conn.execute(select(func.count(func.distinct(staged.c.partition_key)))).scalar_one()
        assert parts == 3
        assert conn.execute(select(func.count()).select_from(properties)).scalar_one() > 100
        assert conn.execute(select(func.count()).select_from(leads)).scalar_one() > 10
    instance = DagsterInstance.from_config(os.environ["DAGSTER_HOME"])
    runs = instance.get_runs(RunsFilter(job_name="daily_ingestion"))
    assert len(runs) == 2  # the range was one run
    assert runs[0].tags["dagster/asset_partition_range_start"] == "2026-01-07"
    assert runs[0].tags["dagster/asset_partition_range_end"] == "2026-01-09"
    assert runs[1].tags["dagster/partition"] == "2026-01-08"


def test_clear_errors_for_bad_requests(samples, tmp_path):
    saturday = folio("run", "daily", "--date", "2026-01-10", "--source", str(samples), cwd=tmp_path)
    assert (
        saturday.returncode == 1
        and "no complete daily partition between 2026-01-10" in saturday.stdout
    )
    bad = folio("run", "daily", "--date", "01/08/2026", cwd=tmp_path)
    assert bad.returncode == 2 and "use YYYY-MM-DD" in bad.stderr
    missing = folio("run", "daily", "--date", "2026-01-06", "--source", str(samples), cwd=tmp_path)
    assert missing.returncode == 1
    assert (
        "2026-01-06: OfficialRecords.exp" in missing.stdout
        and "Traceback" not in missing.stdout + missing.stderr
    )
    nosrc = folio(
        "run", "daily", "--date", "2026-01-08", "--source", str(tmp_path / "nope"), cwd=tmp_path
    )
    assert nosrc.returncode == 1 and "no such folder" in nosrc.stdout


def test_demo_runs_end_to_end_on_embedded_defaults(tmp_path):
    proc = folio("demo", "--days", "3", "--docs-per-day", "60", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "partitions ingested" in out and "│ 3 " in out
    assert "leads: new_homeowner" in out and "leads: foreclosure" in out
    assert "rows quarantined" in out
    assert (tmp_path / "data" / "folio.db").exists()
    # The alerting half: 300 listings scored; every sent email is an .eml with both parts.
    assert re.search(r"listings scored\s+│ 300 ", out), out
    sent = int(re.search(r"emails sent\s+│ (\d+)", out).group(1))
    digests = int(re.search(r"daily digest for [\d-]+: (\d+) email", out).group(1))
    emails = sorted((tmp_path / "data" / "outbox" / "email").glob("*.eml"))
    ready = re.findall(r"report \d+ \((listing, pdf|leads_export, xlsx)\): ready", out)
    assert len(ready) == 2  # the investor's listing PDF and leads export
    # Four welcome emails and the alerts, the digest, and one report_ready per report.
    assert sent + digests + len(ready) == len(emails) > 6
    assert len(list((tmp_path / "data" / "reports").rglob("*.pdf"))) == 1
    assert digests == 1  # the digest-only subscriber's
    assert len(list((tmp_path / "data" / "outbox" / "email").glob("*_digest_*.eml"))) == 1
    # A subscriber's email link was followed through `folio serve`, and the score moved.
    assert re.search(r"link\s+http://127.0.0.1:8000/c/\S+: page 200", " ".join(out.split()))
    before, after = map(int, re.search(r"score (\d+) → (\d+) at the next", out).groups())
    assert after == before + 3  # one open (+1) and one click (+2)
    # The demo tenant's key is printed, with the line that tries the leads API with it.
    key = re.search(r"API key of demo-realty \(shown once; [^)]*\): (folio_\S+)", out)[1]
    assert f"curl -H 'X-API-Key: {key}' 'http://127.0.0.1:8000/leads?limit=5'" in out
    message = email.message_from_bytes(emails[0].read_bytes(), policy=email.policy.default)
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]


def test_weekly_and_monthly_runs_by_any_date_in_the_period(tmp_path):
    out = tmp_path / "samples"
    proc = folio(
        "samples",
        "--days",
        "10",
        "--out",
        str(out),
        "--end",
        "2026-02-13",
        "--docs-per-day",
        "40",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert "weeks 2026-02-02" in proc.stdout and "months 2026-01" in proc.stdout
    assert (
        folio(
            "backfill",
            "daily",
            "--from",
            "2026-02-02",
            "--to",
            "2026-02-13",
            "--source",
            str(out),
            cwd=tmp_path,
        ).returncode
        == 0
    )
    weekly = folio(
        "run", "weekly", "--date", "2026-02-04", "--source", str(out), cwd=tmp_path
    )  # a Wednesday
    assert weekly.returncode == 0, weekly.stdout + weekly.stderr
    assert "evictions matched by address" in weekly.stdout
    monthly = folio("run", "monthly", "--date", "2026-01-20", "--source", str(out), cwd=tmp_path)
    assert monthly.returncode == 0, monthly.stdout + monthly.stderr
    assert "probate matched by" in monthly.stdout and "leads: probate" in monthly.stdout


def test_a_blank_or_all_bad_resend_fails_visibly_and_keeps_the_day(samples, tmp_path):
    """Re-sent files that would replace a good day with nothing are refused: non-zero exit,
    one line saying why, and the partition's staged rows untouched."""
    day_dir = samples / "daily" / "2026-01-09"
    ran = folio("run", "daily", "--date", "2026-01-09", "--source", str(samples), cwd=tmp_path)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    engine = get_engine(f"sqlite:///{tmp_path / 'data' / 'folio.db'}")
    staged = STAGED_TABLES["official_records"]

    def staged_rows():
        with engine.connect() as conn:
            return conn.execute(
                select(func.count())
                .select_from(staged)
                .where(staged.c.partition_key == "2026-01-09")
            ).scalar()

    before = staged_rows()
    assert before > 100
    (day_dir / "OfficialRecords.exp").write_bytes(b"\r\n" * 100)
    blank = folio("run", "daily", "--date", "2026-01-09", "--source", str(samples), cwd=tmp_path)
    said = " ".join(blank.stdout.split())  # the terminal may wrap the one line
    assert blank.returncode == 1 and said.startswith("error: run ")
    assert (
        "failed: staged_official_records: daily/2026-01-09/OfficialRecords.exp: no data rows "
        "(only blank lines): refused like an empty file; partition 2026-01-09 keeps its previous "
        "rows" in said
    )
    assert staged_rows() == before
    (day_dir / "OfficialRecords.exp").write_bytes(b"not^a^record\r\n" * 5)
    bad = folio("run", "daily", "--date", "2026-01-09", "--source", str(samples), cwd=tmp_path)
    assert bad.returncode == 1
    assert (
        "quarantine_ratio: all 5 rows of daily/2026-01-09/OfficialRecords.exp were quarantined"
        in bad.stdout
    )
    assert staged_rows() == before
