"""A backfill killed half way resumes: the next `folio backfill` over the same range skips the
partitions whose files were committed (logged `unchanged`, not staged again) and stages the
rest; nothing is lost or doubled. Its bar counts the range's files as they are staged."""

import os
import pty
import signal
import subprocess
import sys
import time

from sqlalchemy import func, select

from pipelines.db.engine import get_engine
from pipelines.db.migrate import upgrade
from pipelines.db.schema import STAGED_TABLES, data_ingestion_logs

FIRST, LAST, DAYS = "2026-01-06", "2026-01-15", 8  # eight business days


def folio(args, cwd, db_url, **popen):
    env = {**os.environ, "FOLIO_DATABASE_URL": db_url, "COLUMNS": "100"}
    return subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", *args], cwd=cwd, env=env, **popen
    )


def log_rows(db_url) -> list[tuple]:
    log = data_ingestion_logs.c
    with get_engine(db_url).connect() as conn:
        q = select(log.run_id, log.file_type, log.partition_key, log.status, log.rows_staged)
        return [tuple(r) for r in conn.execute(q.order_by(log.id))]


def test_a_killed_backfill_resumes_without_restaging(sqlite_url, tmp_path):
    src = tmp_path / "src"
    made = folio(
        ["samples", "--days", str(DAYS), "--end", LAST, "--docs-per-day", "4000", "--out", src],
        tmp_path,
        sqlite_url,
        stdout=subprocess.DEVNULL,
    )
    assert made.wait(timeout=300) == 0
    upgrade(sqlite_url)
    fill = ["backfill", "daily", "--from", FIRST, "--to", LAST, "--source", str(src)]
    victim = folio(fill, tmp_path, sqlite_url, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    committed: list[tuple] = []
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and victim.poll() is None:
        rows = [r for r in log_rows(sqlite_url) if r[3] == "success"]
        by_type = {}
        for r in rows:
            by_type.setdefault(r[1], []).append(r)
        # Kill once one file type is part way through the range: some partitions committed.
        if any(2 <= len(v) < DAYS for v in by_type.values()):
            victim.send_signal(signal.SIGKILL)
            victim.wait(timeout=30)
            committed = [(r[1], r[2]) for r in log_rows(sqlite_url) if r[3] == "success"]
            break
        time.sleep(0.02)
    assert victim.returncode == -signal.SIGKILL, "the backfill ended before it could be killed"
    assert 2 <= len(committed) < DAYS * 5
    first_run = {r[0] for r in log_rows(sqlite_url)}

    # The second backfill, on a terminal so its bar shows.
    main, follower = pty.openpty()
    resumed = folio(fill, tmp_path, sqlite_url, stdout=follower, stderr=follower)
    os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    assert resumed.wait(timeout=300) == 0, out.decode(errors="replace")[-3000:]
    text = out.decode(errors="replace")
    assert "files staged" in text and f"{DAYS * 5}/{DAYS * 5}" in text

    second = [r for r in log_rows(sqlite_url) if r[0] not in first_run]
    by_status = {}
    for _run, ft, pk, status, _ in second:
        by_status.setdefault(status, set()).add((ft, pk))
    assert by_status["unchanged"] == set(committed)  # committed before the kill: skipped
    assert not by_status["success"] & set(committed)
    assert len(by_status["success"]) + len(committed) == DAYS * 5  # the rest: staged now
    # Nothing lost or doubled: each partition holds exactly what its one successful load wrote.
    staged = {(ft, pk): n for _, ft, pk, status, n in log_rows(sqlite_url) if status == "success"}
    table = STAGED_TABLES["official_records"]
    with get_engine(sqlite_url).connect() as conn:
        counts = dict(
            conn.execute(
                select(table.c.partition_key, func.count()).group_by(table.c.partition_key)
            ).all()
        )
    assert counts == {pk: n for (ft, pk), n in staged.items() if ft == "official_records"}
    assert len(counts) == DAYS
