"""A run that hangs is noticed: run monitoring (the daemon) fails it past its max runtime, the
dead-letter sensor records it once, and, lookups being critical, an admin alert goes out.
Real webserver and daemon; the lookup's records API accepts the call and never answers."""

import time

import yaml
from sqlalchemy import select

from pipelines.db.engine import get_engine
from pipelines.db.schema import failed_jobs
from pipelines.lookups.query import LookupQuery
from pipelines.lookups.requests import request_lookup
from pipelines.settings import get_settings
from tests.e2e.test_run_queue import Dagster, runs


def test_a_hung_lookup_run_is_failed_by_monitoring_and_lands_in_the_dlq(
    tmp_path,
    monkeypatch,
    silent_server,  # noqa: F811
):
    monkeypatch.setenv("FOLIO_RECORDS_API_URL", silent_server.split("/{", 1)[0])
    monkeypatch.setenv("FOLIO_RECORDS_API_KEY", "hung-test-key")
    monkeypatch.setenv("FOLIO_LOOKUP_MAX_RUNTIME_SECONDS", "6")
    dg = Dagster(tmp_path, monkeypatch, max_concurrent_runs=4)
    home = tmp_path / "dagster_home"
    config = yaml.safe_load((home / "dagster.yaml").read_text())
    config["run_monitoring"].update(poll_interval_seconds=2)
    (home / "dagster.yaml").write_text(yaml.safe_dump(config))
    db = f"sqlite:///{tmp_path / 'data' / 'folio.db'}"
    answer = request_lookup(get_engine(db), 1, LookupQuery(folio="3040120010010"), get_settings())
    assert answer.outcome == "queued"
    try:
        dg.start_daemon()  # its lookup_requests_sensor launches the run; monitoring watches it
        deadline, rows = time.time() + 180, []
        while time.time() < deadline and not rows:
            with get_engine(db).connect() as conn:
                rows = conn.execute(select(failed_jobs)).mappings().all()
            time.sleep(1)
        state = runs(dg.base)
    finally:
        dg.stop()
    assert len(rows) == 1, state
    [row] = rows
    assert (row["job_name"], row["status"], row["alerted"]) == ("lookups", "open", True)
    assert state[row["run_id"]]["status"] == "FAILURE"
    alerts = list((tmp_path / "data" / "outbox" / "admin_alerts").iterdir())
    assert [a.name for a in alerts] == [f"run-failure-{row['run_id']}.txt"]
