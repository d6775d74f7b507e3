"""A range's partitions staged two at a time on PostgreSQL: reports come back in key order,
and after a refused file no new partition starts (those committed stay, the rest wait for
the rerun)."""

import pytest
from sqlalchemy import select

from pipelines.county.ingest import fetch_file, stage_files
from pipelines.county.parse import FileUnreadableError
from pipelines.county.sources import LocalFolderSource
from pipelines.db.engine import get_engine
from pipelines.db.migrate import upgrade
from pipelines.db.schema import data_ingestion_logs
from pipelines.db.schema.layouts import get_layout
from pipelines.stores.archive import LocalArchive
from tests.builders import doc, write_partition

OR = get_layout("official_records")
DAYS = ["2026-01-05", "2026-01-06", "2026-01-07", "2026-01-08", "2026-01-09", "2026-01-12"]
pytestmark = pytest.mark.postgres


def _setup(pg_url, tmp_path, bad_day=None):
    upgrade(pg_url)
    engine, archive = get_engine(pg_url), LocalArchive(tmp_path / "archive")
    for n, day in enumerate(DAYS, start=1):
        lines = (
            [f"{n}^broken" * 40]
            if day == bad_day
            else doc(n, day.replace("-", ""), "WD", "3040120010010")
        )
        write_partition(tmp_path / "src", day, {"OfficialRecords.exp": lines})
        fetch_file(engine, LocalFolderSource(tmp_path / "src"), OR, day, tmp_path / "land", archive)
    return engine, archive


def _logged(engine) -> dict[str, str]:
    log = data_ingestion_logs.c
    with engine.connect() as conn:
        return dict(conn.execute(select(log.partition_key, log.status)).all())


def test_reports_in_key_order(pg_url, tmp_path, monkeypatch):
    monkeypatch.setenv("FOLIO_STAGE_WORKERS", "2")
    engine, archive = _setup(pg_url, tmp_path)
    seen = []
    reports = stage_files(engine, OR, DAYS, archive, progress=lambda n, k: seen.append((n, k)))
    assert [r.partition_key for r in reports] == DAYS
    assert [r.counts.staged for r in reports] == [2] * 6
    assert [n for n, _ in seen] == [1, 2, 3, 4, 5, 6] and {k for _, k in seen} == set(DAYS)


def test_a_refused_file_stops_new_partitions(pg_url, tmp_path, monkeypatch):
    monkeypatch.setenv("FOLIO_STAGE_WORKERS", "2")
    engine, archive = _setup(pg_url, tmp_path, bad_day=DAYS[2])
    with pytest.raises(FileUnreadableError):
        stage_files(engine, OR, DAYS, archive)
    logged = _logged(engine)
    assert logged[DAYS[0]] == logged[DAYS[1]] == "success"  # committed before the failure
    assert logged[DAYS[2]] == "failed"
    assert DAYS[4] not in logged and DAYS[5] not in logged  # never started
