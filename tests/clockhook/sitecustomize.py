"""Loaded by every Python child process of the suite (tests/clock.py puts this folder on its
PYTHONPATH): shifts the child's wall clock by FOLIO_TEST_CLOCK_OFFSET seconds with
time-machine, the way the test's own process is shifted, so both read the same instant.
Monotonic clocks (timeouts, sleeps) and gRPC's deadlines keep real time."""

import os

_offset = os.environ.get("FOLIO_TEST_CLOCK_OFFSET")
if _offset:
    import time

    import time_machine
    from grpc_real_time import keep_grpc_on_real_time

    time_machine.travel(time.time() + float(_offset), tick=True).start()
    keep_grpc_on_real_time()
