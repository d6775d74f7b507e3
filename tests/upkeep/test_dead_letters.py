"""The dead-letter queue's rules on their own: a run is one entry whoever records it (the
daemon's sensor, the runner), a failed retry re-opens its run's entry once, and a later
success resolves it (with that run and when it ended)."""

from datetime import datetime, timedelta, timezone

from pipelines.db.engine import get_engine
from pipelines.upkeep.dead_letters import (
    FailedRun,
    covers,
    discard,
    list_failed,
    mark_retried,
    record_dead_letter,
    resolve,
    supersedes,
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


def test_which_success_covers_and_supersedes_a_failure():
    day = ("2026-01-05", "2026-01-05")
    assert covers(day, day)
    assert covers(("2026-01-01", "2026-01-31"), day)  # a range run that includes it
    assert not covers(("2026-01-06", "2026-01-06"), day)  # another partition
    assert not covers(day, ("2026-01-05", "2026-01-06"))  # part of a failed range only
    assert not covers(None, day) and not covers(day, None)  # unpartitioned: a retry only
    t = [T0 + timedelta(minutes=m) for m in range(6)]
    # ended after the failure ended: later
    assert supersedes(t[2], t[3], t[0], t[1])
    # a killed run (started 0) only marked failed at 5, after a rerun ran 1..2: later
    assert supersedes(t[1], t[2], t[0], t[5])
    # a failure that started and ended after the success: not superseded
    assert not supersedes(t[0], t[1], t[2], t[3])
    assert not supersedes(None, t[1], t[2], t[3])


def test_a_success_resolves_an_open_entry_once_with_its_run_and_time(db_url):
    engine = get_engine(db_url)
    assert record_dead_letter(engine, failed("r1")) is True
    [entry] = list_failed(engine)
    done = T0 + timedelta(hours=1)
    assert resolve(engine, [entry["id"]], "s1", done) == 1
    assert resolve(engine, [entry["id"]], "s2", done + timedelta(hours=1)) == 0  # once
    assert list_failed(engine) == []
    [entry] = list_failed(engine, None)
    assert (entry["status"], entry["resolved_run_id"], entry["resolved_at"]) == (
        "resolved",
        "s1",
        done,
    )
    # A discarded entry is closed: a success does not touch it.
    record_dead_letter(engine, failed("r2"))
    [open_one] = list_failed(engine)
    assert discard(engine, open_one["id"], "known") is True
    assert resolve(engine, [open_one["id"]], "s3", done) == 0


def test_a_failure_already_superseded_is_kept_resolved_and_pages_nobody(db_url, monkeypatch):
    import pipelines.upkeep.admin_alerts as admin_alerts

    sent = []
    monkeypatch.setattr(admin_alerts, "send_admin_alert", lambda *a, **k: sent.append(a))
    engine = get_engine(db_url)
    critical = failed("k1", **{"folio/family": "ingestion"})
    done = T0 + timedelta(minutes=5)
    assert record_dead_letter(engine, critical, lambda: ("s1", done)) is False
    [entry] = list_failed(engine, None)
    assert (entry["status"], entry["resolved_run_id"], entry["alerted"]) == (
        "resolved",
        "s1",
        False,
    )
    assert sent == []
    # Not superseded: open, and paged.
    assert record_dead_letter(engine, failed("k2", **{"folio/family": "ingestion"}), lambda: None)
    assert [e["run_id"] for e in list_failed(engine)] == ["k2"] and len(sent) == 1


def test_a_successful_retry_resolves_and_a_replayed_failure_does_not_reopen(db_url):
    engine = get_engine(db_url)
    record_dead_letter(engine, failed("r1"))
    retry = failed("r2", **{"folio/retry_of": "r1"})
    assert record_dead_letter(engine, retry) is False  # the retry failed: re-opened
    [entry] = list_failed(engine)
    mark_retried(engine, entry["id"], "r3", T0 + timedelta(hours=2))  # the next one succeeded
    [entry] = list_failed(engine, None)
    assert (entry["status"], entry["retry_run_id"], entry["resolved_run_id"]) == (
        "resolved",
        "r3",
        "r3",
    )
    # The daemon's sensor seeing r2's failure late changes nothing.
    record_dead_letter(engine, retry)
    assert list_failed(engine) == []
