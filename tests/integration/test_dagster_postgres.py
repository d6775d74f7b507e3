"""Dagster's own storage (runs, events) in PostgreSQL through dagster-postgres."""

from sqlalchemy import create_engine, text

from pipelines.control.instance import get_instance
from pipelines.control.runner import run_partitions
from tests.builders import doc, write_partition
from tests.conftest import dagster_pg_url


def test_runs_and_events_are_stored_in_postgres(pg_url, pg_database, tmp_path, monkeypatch):
    # Dagster's storage gets its own database: both it and Folio keep an `alembic_version` table.
    # postgresql+psycopg2:// because SQLAlchemy 2.1 reads a bare postgresql:// as psycopg 3.
    dagster_url = dagster_pg_url(pg_database())
    monkeypatch.setenv("DAGSTER_PG_URL", dagster_url)
    monkeypatch.setenv("FOLIO_DATABASE_URL", pg_url)
    monkeypatch.delenv("DAGSTER_HOME")  # the CLI-managed home, seeded for PostgreSQL
    write_partition(
        tmp_path / "src",
        "2026-01-05",
        {"OfficialRecords.exp": doc(1, "20260105", "WD", "3040120010010", consideration_1="1")},
    )
    monkeypatch.setenv("FOLIO_SOURCE_URL", str(tmp_path / "src"))
    instance = get_instance()
    assert "postgres" in type(instance.run_storage).__module__
    assert dagster_url not in (tmp_path / "data" / "dagster_home" / "dagster.yaml").read_text()
    outcome = run_partitions(instance, "daily", ["2026-01-05"])
    assert outcome.success, outcome.error
    engine = create_engine(dagster_url)
    with engine.connect() as conn:
        runs = conn.execute(text("SELECT run_id, status FROM runs")).all()
        events = conn.execute(
            text("SELECT count(*) FROM event_logs WHERE run_id = :r"), {"r": outcome.run_id}
        ).scalar_one()
    engine.dispose()
    instance.dispose()
    assert runs == [(outcome.run_id, "SUCCESS")]
    assert events > 20
