"""Runs whose process is gone: a `folio` CLI run (or an in-process sensor tick) executes in
its own process, outside the run launcher, so run monitoring cannot see it die. Each such run
is tagged with its host and process id; a run still STARTED whose process no longer exists on
this host is marked failed, so it stops holding its cadence's one-run-at-a-time slot and the
dead-letter queue records it."""

from __future__ import annotations

import os
import socket

from dagster import (
    DagsterInstance,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunsFilter,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

# One tag, `<host>:<pid>`, ties an in-process run to its process (a run's tags stay within
# four folio/* tags). Runs tagged before carry the pair folio/pid and folio/host.
PROCESS_TAG = "folio/process"
LEGACY_TAGS = ("folio/pid", "folio/host")
LIVE = [DagsterRunStatus.STARTING, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]


def process_tags() -> dict[str, str]:
    """The tag that ties a run to the process executing it."""
    return {PROCESS_TAG: f"{socket.gethostname()}:{os.getpid()}"}


def process_of(tags: dict[str, str]) -> tuple[str, int] | None:
    """(host, pid) of the process that executed a run, when it was tagged with one."""
    host, _, pid = tags.get(PROCESS_TAG, "").rpartition(":")
    if not host:
        pid, host = (tags.get(t, "") for t in LEGACY_TAGS)
    return (host, int(pid)) if host and pid.isdigit() else None


def process_gone(tags: dict[str, str]) -> bool | None:
    """True when the run's process is known to be gone; None when it cannot be known here
    (no tag, or another host)."""
    where = process_of(tags)
    if where is None or where[0] != socket.gethostname():
        return None
    try:
        os.kill(where[1], 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, someone else's
        return False
    return False


def fail_orphaned_runs(instance: DagsterInstance) -> list[str]:
    failed = []
    for run in instance.get_runs(RunsFilter(statuses=LIVE)):
        if process_gone(run.tags):
            instance.report_run_failed(
                run,
                message=f"its process (pid {process_of(run.tags)[1]}) is gone: killed or crashed",
            )
            failed.append(run.run_id)
    return failed


@sensor(
    name="orphaned_runs_sensor",
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description="Marks failed the CLI runs whose process died (they would hold their slot).",
)
def orphaned_runs_sensor(context: SensorEvaluationContext):
    failed = fail_orphaned_runs(context.instance)
    return SkipReason(f"marked {len(failed)} orphaned run(s) failed: {', '.join(failed) or 'none'}")
