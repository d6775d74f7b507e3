"""`folio tick`: every sensor evaluated once in this process, as the daemon would.

Each sensor's cursor is kept in the Dagster instance (key `folio.tick.<sensor>`), so a
second `folio tick` continues where the first stopped instead of starting at 0. What a
sensor requests is launched like every CLI run; a run key already in the instance (from
an earlier tick or from the daemon) is dropped, so the two never launch one batch twice.
`until_idle` repeats until no sensor requests anything (or `max_rounds`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dagster import DagsterInstance

from pipelines.control.dagster_private import load_cursors, save_cursors
from pipelines.control.runner import RunOutcome, tick_sensor

CURSOR_PREFIX = "folio.tick."
# Sensors that wait on wall-clock time or another process, never on data this tick made:
# ticking them in a loop would only repeat their work.
ONCE_PER_TICK = ("queue_metrics_sensor", "orphaned_runs_sensor", "due_jobs_sensor")


@dataclass
class TickReport:
    runs: dict[str, list[RunOutcome]] = field(default_factory=dict)
    skipped_run_keys: dict[str, int] = field(default_factory=dict)
    rounds: int = 0

    @property
    def failed(self) -> list[tuple[str, RunOutcome]]:
        return [(name, r) for name, runs in self.runs.items() for r in runs if not r.success]


def sensor_names() -> list[str]:
    from pipelines.location.definitions import defs

    return [s.name for s in defs.sensors]


def tick(
    instance: DagsterInstance, until_idle: bool = False, max_rounds: int = 50, only=None
) -> TickReport:
    names = [n for n in sensor_names() if only is None or n in only]
    report = TickReport(runs={n: [] for n in names}, skipped_run_keys=dict.fromkeys(names, 0))
    for round_no in range(max_rounds if until_idle else 1):
        report.rounds = round_no + 1
        busy = False
        for name in names:
            if round_no and name in ONCE_PER_TICK:
                continue
            key = CURSOR_PREFIX + name
            cursor = load_cursors(instance, {key}).get(key)
            outcome = tick_sensor(instance, name, cursor)
            if outcome.cursor is not None and outcome.cursor != cursor:
                save_cursors(instance, {key: outcome.cursor})
            report.runs[name] += outcome.runs
            report.skipped_run_keys[name] += len(outcome.skipped_run_keys)
            busy = busy or bool(outcome.runs)
        if not busy:
            break
    return report
