"""The nightly lead-scoring asset and the cleanup job, run as Dagster runs."""

from dagster import DagsterInstance, materialize
from sqlalchemy import func, select

from assets.scoring import lead_scores
from pipelines.db.engine import get_engine
from pipelines.db.schema import delivery_attempts
from pipelines.db.schema import lead_scores as lead_scores_table
from pipelines.location.definitions import defs
from resources.database import FolioDatabase
from resources.file_source import ArchiveResource
from tests.builders import doc, write_partition
from tests.dagster_helpers import run_daily


def test_lead_scores_asset_scores_every_open_lead(sqlite_url, tmp_path):
    write_partition(
        tmp_path / "src",
        "2026-01-05",
        {
            "OfficialRecords.exp": doc(
                1, "20260105", "WD", "3040120010010", consideration_1="300000"
            )
            + doc(2, "20260105", "LIS", "3040120010020")
        },
    )
    assert run_daily(sqlite_url, tmp_path / "src", ["2026-01-05"], tmp_path / "landing").success
    result = materialize(
        [lead_scores],
        resources={"database": FolioDatabase(url=sqlite_url)},
        instance=DagsterInstance.ephemeral(),
    )
    assert result.success
    md = result.get_asset_materialization_events()[0].materialization.metadata
    # Both leads are far older than 180 days by now (the partition is in January 2026): expired.
    assert (md["leads_scored"].value, md["leads_expired"].value) == (0, 2)


def test_cleanup_job_runs_with_its_resources(sqlite_url, tmp_path):
    from datetime import datetime, timezone

    engine = get_engine(sqlite_url)
    with engine.begin() as conn:
        conn.execute(
            delivery_attempts.insert(),
            [
                {
                    "channel": "email",
                    "to_address": "a@example.com",
                    "template": "welcome_email",
                    "status": "sent",
                    "attempt": 1,
                    "created_at": datetime(2020, 1, 1, tzinfo=timezone.utc),
                }
            ],
        )
    job = defs.resolve_job_def("cleanup")
    result = job.execute_in_process(
        instance=DagsterInstance.ephemeral(),
        resources={
            "database": FolioDatabase(url=sqlite_url),
            "archive": ArchiveResource(url=str(tmp_path / "arc")),
        },
    )
    assert result.success
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(delivery_attempts)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(lead_scores_table)).scalar_one() == 0
    assert len(list((tmp_path / "arc" / "delivery_attempts").glob("*.parquet"))) == 1
