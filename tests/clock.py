"""The clocks the suite runs under: no test reads the machine's real date, time or zone.

Every test runs at a fixed instant (`FOLIO_TEST_CLOCK`, default `weekday`) that then ticks:
the test's own process through `time-machine`, and its Python child processes (the `folio`
command, a Dagster daemon, a web server) too, through tests/clockhook/sitecustomize.py, shifted
by the same offset so all of them agree.
The machine's zone is set to one far from the county's, so code that leans on the local zone
shows up as a wrong date.

Tests marked `clock_sensitive` (calendar, schedules, one-off jobs, expiry, quiet hours,
digests, the alert window) run once under each clock below; `clock_sensitive("a", "b")` picks.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

MIAMI = ZoneInfo("America/New_York")

CLOCKS = {
    "weekday": datetime(2026, 12, 2, 10, 0, tzinfo=MIAMI),  # a Wednesday morning
    "saturday_night": datetime(2026, 12, 5, 2, 0, tzinfo=MIAMI),  # Friday's files are complete
    "sunday_late": datetime(2026, 12, 6, 23, 30, tzinfo=MIAMI),  # a UTC machine is on Monday
    "holiday": datetime(2026, 12, 25, 10, 0, tzinfo=MIAMI),  # Christmas, a Friday
    # the spring change: 02:00 EST jumps to 03:00 EDT
    "dst_spring": datetime(2027, 3, 14, 3, 30, tzinfo=MIAMI),
    # the autumn change: 01:30 happens twice; this is the second (EST, fold=1)
    "dst_fall": datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=MIAMI),
}
DEFAULT = "weekday"
# The machine's own zone in tests: a day ahead of the county for most of its day.
MACHINE_ZONE = "Pacific/Auckland"

HOOK = Path(__file__).with_name("clockhook")


def session_clock() -> str:
    name = os.environ.get("FOLIO_TEST_CLOCK", DEFAULT)
    if name not in CLOCKS:
        raise ValueError(f"FOLIO_TEST_CLOCK={name!r}: one of {', '.join(CLOCKS)}")
    return name


def child_env(offset_seconds: float) -> dict[str, str]:
    """What a Python child process needs to read the same shifted clock: the hook folder on
    its path and the offset (tests/clockhook/sitecustomize.py)."""
    path = os.environ.get("PYTHONPATH", "")
    return {
        "PYTHONPATH": os.pathsep.join(p for p in (str(HOOK), path) if p),
        "FOLIO_TEST_CLOCK_OFFSET": f"{offset_seconds:.3f}",
    }


def main(argv: list[str]) -> int:
    """`python -m tests.clock CLOCK COMMAND…`: run COMMAND (and its Python children) at CLOCK
    in the machine zone the suite uses: `python -m tests.clock holiday .venv/bin/folio demo`."""
    import subprocess
    import time

    if len(argv) < 2 or argv[0] not in CLOCKS:
        print(f"usage: python -m tests.clock {{{','.join(CLOCKS)}}} COMMAND [ARG…]")
        return 2
    target = CLOCKS[argv[0]]
    env = {**os.environ, "TZ": MACHINE_ZONE, **child_env(target.timestamp() - time.time())}
    print(f"[{argv[0]}: {target.isoformat()} in the county, machine zone {MACHINE_ZONE}]")
    return subprocess.run(argv[1:], env=env).returncode


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
