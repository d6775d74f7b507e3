"""Loaded by every Python child process of the suite (tests/clock.py puts this folder on its
PYTHONPATH): shifts the child's wall clock by FOLIO_TEST_CLOCK_OFFSET seconds with
time-machine, the way the test's own process is shifted, so both read the same instant.
Monotonic clocks (timeouts, sleeps) are left alone."""

import os

_offset = os.environ.get("FOLIO_TEST_CLOCK_OFFSET")
if _offset:
    import time

    import time_machine

    time_machine.travel(time.time() + float(_offset), tick=True).start()
