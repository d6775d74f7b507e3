"""The Dagster instance the CLI records its runs in (the same one `dagster dev` shows)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from dagster import DagsterInstance

from pipelines.settings import get_settings

PROJECT_DAGSTER_YAML = Path(__file__).resolve().parents[1] / "dagster.yaml"


def ensure_dagster_home() -> Path:
    """DAGSTER_HOME if set, else `<data_dir>/dagster_home` seeded with the project's dagster.yaml."""
    if os.environ.get("DAGSTER_HOME"):
        home = Path(os.environ["DAGSTER_HOME"])
    else:
        home = (get_settings().data_dir / "dagster_home").resolve()
        os.environ["DAGSTER_HOME"] = str(home)
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists() and PROJECT_DAGSTER_YAML.exists():
        shutil.copyfile(PROJECT_DAGSTER_YAML, home / "dagster.yaml")
    return home


def get_instance() -> DagsterInstance:
    ensure_dagster_home()
    return DagsterInstance.get()
