"""gRPC hands the C core absolute deadlines computed from `time.time()`, which the core
compares with the real clock: under a shifted clock every call would expire at once (or
never). gRPC's own modules therefore keep the real `time.time`; nothing else does."""

import importlib
import types

GRPC_MODULES = ("grpc._channel", "grpc._common", "grpc._server", "grpc._utilities")


def keep_grpc_on_real_time() -> None:
    import time

    from time_machine import escape_hatch

    class _RealTime(types.ModuleType):
        def __getattr__(self, name):
            return getattr(time, name)

    real = _RealTime("time")
    real.time = escape_hatch.time.time
    for name in GRPC_MODULES:
        try:
            importlib.import_module(name).time = real
        except ImportError:  # no gRPC in this environment: nothing to keep
            return
