"""A retry budget (settings.RETRY_BUDGETS' RetryPolicySpec) as a tenacity `Retrying`: the one
translation every in-step retry loop uses (email and outreach delivery, file sources, records
API lookups, the AI scorer).

`retrying(policy, retry=..., sleep=...)` stops after `policy.max_attempts`, waits
`policy.delay_before(next attempt, scale)` between attempts (never less than `at_least(error)
* scale` when the error says how long to wait), sleeps with the caller's `sleep` (tests pass
a recorder) and re-raises the last error itself (`reraise=True`), never a RetryError. Which
errors retry stays the caller's (`retry=retry_if_exception_type(...)`), as does what it logs
per attempt (the iterator form: `for attempt in retrying(...): with attempt: ...`).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from tenacity import RetryCallState, Retrying, stop_after_attempt
from tenacity.retry import retry_base

from pipelines.settings import RetryPolicySpec


def retrying(
    policy: RetryPolicySpec,
    *,
    retry: retry_base,
    sleep: Callable[[float], None] = time.sleep,
    scale: float = 1.0,
    at_least: Callable[[BaseException], float | None] | None = None,
    before_sleep: Callable[[RetryCallState], None] | None = None,
) -> Retrying:
    """The budget `policy` as a tenacity Retrying (see the module's docstring)."""

    def wait(state: RetryCallState) -> float:
        delay = policy.delay_before(state.attempt_number + 1, scale)
        if at_least is not None and state.outcome is not None and state.outcome.failed:
            floor = at_least(state.outcome.exception())
            if floor is not None:
                delay = max(delay, floor * scale)
        return delay

    return Retrying(
        retry=retry,
        stop=stop_after_attempt(policy.max_attempts),
        wait=wait,
        sleep=lambda seconds: sleep(float(seconds)),
        before_sleep=before_sleep,
        reraise=True,
    )
