"""The Dagster instance the CLI records its runs in (the same one `dagster dev` shows).

Storage is SQLite under DAGSTER_HOME by default; with DAGSTER_PG_URL set, runs, events
and schedules live in PostgreSQL (dagster-postgres). The URL stays in the environment:
the instance file only names the variable.
"""

from __future__ import annotations

import os
from pathlib import Path

from dagster import DagsterInstance

from pipelines.settings import get_settings

PROJECT_DAGSTER_YAML = Path(__file__).resolve().parents[2] / "dagster.yaml"
POSTGRES_STORAGE = """
storage:
  postgres:
    postgres_url:
      env: DAGSTER_PG_URL
"""


def instance_yaml() -> str:
    base = PROJECT_DAGSTER_YAML.read_text() if PROJECT_DAGSTER_YAML.exists() else ""
    return base + (POSTGRES_STORAGE if os.environ.get("DAGSTER_PG_URL") else "")


def ensure_dagster_home() -> Path:
    """DAGSTER_HOME if set (its dagster.yaml is the operator's, written only when missing);
    else `<data_dir>/dagster_home`, whose dagster.yaml follows this repo's and DAGSTER_PG_URL."""
    managed = not os.environ.get("DAGSTER_HOME")
    home = (
        (get_settings().data_dir / "dagster_home").resolve()
        if managed
        else Path(os.environ["DAGSTER_HOME"])
    )
    os.environ["DAGSTER_HOME"] = str(home)
    home.mkdir(parents=True, exist_ok=True)
    target = home / "dagster.yaml"
    if managed or not target.exists():
        wanted = instance_yaml()
        if not target.exists() or target.read_text() != wanted:
            target.write_text(wanted)
    return home


def get_instance() -> DagsterInstance:
    ensure_dagster_home()
    return DagsterInstance.get()
