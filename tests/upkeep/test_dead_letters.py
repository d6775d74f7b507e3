"""The dead-letter queue's rules on their own: a run is one entry whoever records it (the
daemon's sensor, the runner), and a failed retry re-opens its run's entry once."""

from datetime import datetime, timezone

from pipelines.db.engine import get_engine
from pipelines.upkeep.dead_letters import (
    FailedRun,
    list_failed,
    mark_retried,
    record_dead_letter,
)

T0 = datetime(2026, 11, 24, 6, tzinfo=timezone.utc)


def failed(run_id: str, **tags) -> FailedRun:
    return FailedRun(
        run_id,
        "lead_scoring",
        None,
        {"folio/family": "maintenance", **tags},
        "Failure",
        f"{run_id} broke",
        1,
        T0,
        T0,
    )


def test_one_entry_per_run_and_a_failed_retry_reopens_it_once(sqlite_url):
    engine = get_engine(sqlite_url)
    assert record_dead_letter(engine, failed("r1")) is True
    assert record_dead_letter(engine, failed("r1")) is False  # the sensor after the runner
    [entry] = list_failed(engine)
    mark_retried(engine, entry["id"], "r2")
    assert list_failed(engine) == []
    retry = failed("r2", **{"folio/retry_of": "r1"})
    assert record_dead_letter(engine, retry) is False  # re-opened, not a new entry
    assert record_dead_letter(engine, retry) is False  # seen twice: still once
    [entry] = list_failed(engine)
    assert (entry["run_id"], entry["attempts"], entry["retry_run_id"], entry["error_message"]) == (
        "r1",
        2,
        "r2",
        "r2 broke",
    )
    # a retry of the retry finds the entry through its last retry run
    assert record_dead_letter(engine, failed("r3", **{"folio/retry_of": "r2"})) is False
    [entry] = list_failed(engine, None)
    assert (entry["attempts"], entry["retry_run_id"]) == (3, "r3")
    # a retry of a run that never failed into the queue is an ordinary new entry
    assert record_dead_letter(engine, failed("r9", **{"folio/retry_of": "r8"})) is True
