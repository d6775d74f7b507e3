"""90-day cleanup: what goes, what stays, resuming after a stop, and the email-log archive."""

from datetime import date, datetime, timezone

import polars as pl
from sqlalchemy import func, select

from pipelines.db.engine import get_engine
from pipelines.db.schema import STAGED_TABLES, data_ingestion_logs, delivery_attempts, quarantine
from pipelines.stores.archive import LocalArchive
from pipelines.upkeep.cleanup import cleanup
from tests.builders import doc, write_partition
from tests.flow import stage

TODAY = date(2026, 6, 30)  # cutoff = 2026-04-01
OLD, NEW = "2026-01-05", "2026-06-22"


def _setup(url, tmp_path):
    for day in (OLD, NEW):
        write_partition(
            tmp_path / "src",
            day,
            {
                "OfficialRecords.exp": doc(1, day.replace("-", ""), "DEE", "3040120010010")
                + ["bad^row"]
            },
        )
    stage(url, tmp_path / "src", [OLD, NEW], tmp_path / "landing")
    engine = get_engine(url)
    with engine.begin() as conn:
        conn.execute(
            data_ingestion_logs.insert(),
            [
                {
                    "cadence": "daily",
                    "partition_key": OLD,
                    "file_type": "x",
                    "status": "success",
                    "duration_ms": 1,
                    "started_at": datetime(2026, 1, 5, tzinfo=timezone.utc),
                    "finished_at": datetime(2026, 1, 5, tzinfo=timezone.utc),
                }
            ],
        )
        conn.execute(
            delivery_attempts.insert(),
            [
                {
                    "channel": ("email", "sms", "voice", "webhook")[i % 4],
                    "to_address": f"user{i}@example.com",
                    "template": "new_lead_alert",
                    "status": "sent",
                    "attempt": 1,
                    "created_at": datetime(2026, 1 if i < 7 else 6, 10 + i, tzinfo=timezone.utc),
                }
                for i in range(12)
            ],
        )
    return engine


def _state(engine):
    with engine.connect() as conn:
        staged = STAGED_TABLES["official_records"]
        return {
            "staged": conn.execute(select(staged.c.partition_key).distinct()).scalars().all(),
            "quarantine": conn.execute(select(quarantine.c.partition_key).distinct())
            .scalars()
            .all(),
            "email_ids": conn.execute(
                select(delivery_attempts.c.id).order_by(delivery_attempts.c.id)
            )
            .scalars()
            .all(),
            "old_logs": conn.execute(
                select(func.count()).where(
                    data_ingestion_logs.c.started_at < datetime(2026, 4, 1, tzinfo=timezone.utc)
                )
            ).scalar_one(),
        }


def _archived_ids(root):
    files = sorted((root / "delivery_attempts").glob("*.parquet"))
    return files, sorted(
        pl.concat([pl.read_parquet(f) for f in files])["id"].to_list()
    ) if files else []


def test_old_rows_go_new_rows_stay_and_delivery_attempts_are_archived_first(db_url, tmp_path):
    engine = _setup(db_url, tmp_path)
    archive = LocalArchive(tmp_path / "archive")
    counts = cleanup(engine, archive, TODAY, retention_days=90, batch_rows=3)
    assert counts.finished
    assert _state(engine) == {
        "staged": [NEW],
        "quarantine": [NEW],
        "email_ids": list(range(8, 13)),
        "old_logs": 0,
    }
    assert (
        counts.deleted["delivery_attempts"] == 7 and counts.deleted["staged_official_records"] == 2
    )
    files, ids = _archived_ids(archive.root)
    assert len(files) == 3 and ids == list(range(1, 8))  # exactly the deleted rows, once each
    frame = pl.read_parquet(files[0])
    assert (
        frame.columns == [c.name for c in delivery_attempts.c]
        and frame["to_address"][0] == "user0@example.com"
    )


def test_a_stopped_cleanup_loses_nothing_and_the_next_run_finishes(db_url, tmp_path):
    engine = _setup(db_url, tmp_path)
    archive = LocalArchive(tmp_path / "archive")
    partial = cleanup(engine, archive, TODAY, retention_days=90, batch_rows=3, max_batches=8)
    assert (
        not partial.finished and partial.batches == 8
    )  # 5 staged tables, quarantine, logs, 1 email batch
    middle = _state(engine)
    assert (
        middle["email_ids"][0] > 1 and len(middle["email_ids"]) > 5
    )  # part-way through the email logs
    _, archived = _archived_ids(archive.root)
    assert set(archived).isdisjoint(middle["email_ids"])  # nothing deleted that was not archived
    cleanup(engine, archive, TODAY, retention_days=90, batch_rows=3)
    assert _state(engine) == {
        "staged": [NEW],
        "quarantine": [NEW],
        "email_ids": list(range(8, 13)),
        "old_logs": 0,
    }
    assert _archived_ids(archive.root)[1] == list(range(1, 8))
    again = cleanup(engine, archive, TODAY, retention_days=90, batch_rows=3)
    assert again.deleted == {} and again.batches == 0


def test_the_records_api_log_keeps_90_days(sqlite_url, tmp_path):
    from pipelines.db.schema import records_api_log

    engine = get_engine(sqlite_url)
    with engine.begin() as conn:
        conn.execute(
            records_api_log.insert(),
            [
                {
                    "query_kind": "folio",
                    "attempt": 1,
                    "duration_ms": 5,
                    "created_at": datetime(2026, m, 1, tzinfo=timezone.utc),
                }
                for m in (1, 3, 5, 6)
            ],
        )
    counts = cleanup(
        engine, LocalArchive(tmp_path / "archive"), TODAY, retention_days=90, batch_rows=3
    )
    assert counts.finished and counts.deleted["records_api_log"] == 2
    with engine.connect() as conn:
        assert conn.execute(
            select(records_api_log.c.id).order_by(records_api_log.c.id)
        ).scalars().all() == [3, 4]
