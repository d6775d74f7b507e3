"""The daemon killed mid-tick (a real `dagster-daemon`, SIGKILL, restarted): every run key its
sensors request is launched exactly once, and every listing is scored exactly once."""

import signal
import time
from collections import Counter

from sqlalchemy import func, select

from pipelines.db.engine import get_engine
from pipelines.db.schema import listing_scores
from tests.e2e.test_run_queue import Dagster, runs
from tests.listing_helpers import add_listings, listing, tenant_with_subscribers


def test_sigkilled_daemon_launches_every_run_key_once(tmp_path, monkeypatch):
    monkeypatch.setenv("FOLIO_LISTING_BATCH_SIZE", "2")  # 16 listings: 8 run keys
    monkeypatch.setenv("FOLIO_LISTINGS_SENSOR_INTERVAL_SECONDS", "1")
    dg = Dagster(tmp_path, monkeypatch, max_concurrent_runs=4)
    db = f"sqlite:///{tmp_path / 'data' / 'folio.db'}"
    tenant, _, _ = tenant_with_subscribers(db, "acme", [{}])
    add_listings(db, tenant, [listing(f"K{n:02d}") for n in range(16)])
    try:
        for pause in (6.0, 4.0):  # kill while it starts, ticks and launches
            dg.start_daemon()
            time.sleep(pause)
            daemon = dg.procs.pop()
            daemon.send_signal(signal.SIGKILL)
            daemon.wait(timeout=30)
        dg.start_daemon()
        deadline, scored = time.time() + 240, 0
        while time.time() < deadline:
            with get_engine(db).connect() as conn:
                scored = conn.execute(select(func.count()).select_from(listing_scores)).scalar()
            state = runs(dg.base)
            live = [
                r for r in state.values() if r["status"] not in ("SUCCESS", "FAILURE", "CANCELED")
            ]
            if scored == 16 and not live:
                break
            time.sleep(1)
    finally:
        dg.stop()
    keys = Counter(
        tag["value"] for r in state.values() for tag in r["tags"] if tag["key"] == "dagster/run_key"
    )
    listing_keys = {k: n for k, n in keys.items() if k.startswith("listings:")}
    assert scored == 16
    assert listing_keys and set(listing_keys.values()) == {1}, listing_keys  # no key twice
    assert {r["status"] for r in state.values()} <= {"SUCCESS"}
