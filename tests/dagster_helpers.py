"""Materialise Folio's daily assets in-process against a test database and source."""

from __future__ import annotations

from pathlib import Path

from dagster import DagsterInstance, materialize
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)
from sqlalchemy import inspect, select

from pipelines.db.engine import get_engine
from pipelines.db.schema import metadata
from pipelines.location.definitions import defs
from resources.database import FolioDatabase
from resources.file_source import ArchiveResource, FileSourceResource

LEAD_ASSETS = {
    "daily": {"properties", "leads"},
    "weekly": {"eviction_and_lien_leads"},
    "monthly": {"probate_and_judgment_leads"},
}


def cadence_assets(cadence: str) -> list:
    """The assets of one cadence's ingestion job: raw → staged → (properties →) leads."""
    return [
        a
        for a in defs.assets
        if set(a.group_names_by_key.values()) == {f"{cadence}_ingestion"}
        or a.key.path[0] in LEAD_ASSETS[cadence]
    ]


def run_daily(
    db_url: str,
    source,
    keys: list[str],
    landing: Path,
    instance=None,
    raise_on_error=True,
    tags: dict | None = None,
    cadence: str = "daily",
):
    resources = {
        "database": FolioDatabase(url=db_url),
        "file_source": FileSourceResource(url=str(source), landing_dir=str(landing)),
        "archive": ArchiveResource(url=str(landing.parent / "archive")),
    }
    kwargs = (
        {"partition_key": keys[0], "tags": dict(tags or {})}
        if len(keys) == 1
        else {
            "tags": {
                **(tags or {}),
                ASSET_PARTITION_RANGE_START_TAG: keys[0],
                ASSET_PARTITION_RANGE_END_TAG: keys[-1],
            }
        }
    )
    return materialize(
        cadence_assets(cadence),
        resources=resources,
        instance=instance or DagsterInstance.ephemeral(),
        raise_on_error=raise_on_error,
        **kwargs,
    )


def dump_tables(
    db_url: str, skip: tuple[str, ...] = ("data_ingestion_logs",)
) -> dict[str, list[tuple]]:
    """Every row of every product table, in a stable order (for byte-for-byte comparisons)."""
    engine = get_engine(db_url)
    out = {}
    with engine.connect() as conn:
        for name in sorted(set(inspect(conn).get_table_names()) - {"alembic_version", *skip}):
            table = metadata.tables[name]
            rows = conn.execute(select(table)).all()
            out[name] = sorted((tuple(r) for r in rows), key=repr)
    return out


def materializations(result, asset: str) -> dict:
    mats = [m for m in result.get_asset_materialization_events() if m.asset_key.path == [asset]]
    return {k: v.value for k, v in mats[-1].materialization.metadata.items()}


def check_results(result) -> dict[tuple[str, str], bool]:
    return {
        (e.asset_key.path[0], e.check_name): e.passed for e in result.get_asset_check_evaluations()
    }
