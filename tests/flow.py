"""Run the core ingestion steps (no Dagster) over a test source folder."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from pipelines.county.ingest import fetch_file, stage_file
from pipelines.county.merge import merge_properties
from pipelines.county.sources import LocalFolderSource
from pipelines.db.engine import get_engine
from pipelines.db.schema import leads, properties
from pipelines.db.schema.layouts import layouts_for
from pipelines.leads.rules import generate_leads
from pipelines.stores.archive import LocalArchive

PROPERTY_COLUMNS = [c for c in properties.c.keys() if c not in ("first_seen_at", "updated_at")]
LEAD_COLUMNS = [c for c in leads.c.keys() if c not in ("id", "created_at", "scored_at")]


def stage(url: str, root: Path, keys: list[str], landing: Path) -> None:
    engine, source = get_engine(url), LocalFolderSource(root)
    archive = LocalArchive(landing.parent / "archive")
    for key in keys:
        for layout in layouts_for("daily"):
            fetch_file(engine, source, layout, key, landing, archive)
            stage_file(engine, layout, key, archive)


def merge_and_lead(url: str, batches: list[list[str]]) -> None:
    engine = get_engine(url)
    for batch in batches:
        with engine.begin() as conn:
            merge_properties(conn, batch)
            generate_leads(conn, batch)


def ingest(url: str, root: Path, batches: list[list[str]], landing: Path) -> None:
    for batch in batches:
        stage(url, root, batch, landing)
        merge_and_lead(url, [batch])


def property_rows(url: str) -> dict[str, dict]:
    with get_engine(url).connect() as conn:
        rows = conn.execute(select(*(properties.c[c] for c in PROPERTY_COLUMNS))).mappings().all()
    return {r["folio"]: _plain(r) for r in rows}


def lead_rows(url: str) -> list[dict]:
    with get_engine(url).connect() as conn:
        rows = conn.execute(select(*(leads.c[c] for c in LEAD_COLUMNS))).mappings().all()
    return sorted(
        (_plain(r) for r in rows), key=lambda r: (r["lead_type"], r["folio"], r["source_key"])
    )


def _plain(row) -> dict:
    # Numeric comes back as Decimal on PostgreSQL and float on SQLite: compare as float.
    return {
        k: (float(v) if hasattr(v, "as_integer_ratio") and not isinstance(v, int) else v)
        for k, v in dict(row).items()
    }
