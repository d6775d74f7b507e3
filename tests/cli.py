"""`folio` run as a user runs it: a subprocess of this Python, at a given terminal width."""

from __future__ import annotations

import os
import subprocess
import sys


def folio(
    *args: str, cwd, columns: int = 200, timeout: int = 300, env: dict | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        env={**os.environ, "COLUMNS": str(columns), **(env or {})},
    )
