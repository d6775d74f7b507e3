"""Daily ingestion throughput on PostgreSQL against a raw floor and a naive baseline.

    .venv/bin/python benchmarks/ingest.py [--rows 1000000] [--pg-url postgresql+psycopg2://postgres@127.0.0.1/postgres]

Generates one OfficialRecords file of N rows, then times, each in a fresh database:
  (a) floor  — polars read + COPY into an UNLOGGED table + one
               INSERT ... SELECT DISTINCT ON (folio) ... ON CONFLICT merge
  (b) folio  — Folio's ingestion of the same file: land (sha256) + parse/validate/quarantine
               + partition delete+COPY into staged_official_records + properties merge + leads
  (c) naive  — Python split + batched 1,000-row INSERT statements + the same merge as (a)
and prints each time and the ratios. Targets: b/a <= 1.5, c/b >= 5.
"""

from __future__ import annotations

import argparse
import functools
import io
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

import polars as pl
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.county.ingest import fetch_file, stage_file  # noqa: E402
from pipelines.county.merge import merge_properties  # noqa: E402
from pipelines.county.samples import generate_day, new_state  # noqa: E402
from pipelines.county.sources import LocalFolderSource  # noqa: E402
from pipelines.db.engine import get_engine  # noqa: E402
from pipelines.db.migrate import upgrade  # noqa: E402
from pipelines.db.schema.layouts import get_layout  # noqa: E402
from pipelines.leads.rules import generate_leads  # noqa: E402
from pipelines.stores.archive import LocalArchive  # noqa: E402

print = functools.partial(print, flush=True)  # noqa: A001 - progress lines as they happen
DAY = date(2026, 1, 5)
LAYOUT = get_layout("official_records")
COLS = [c.name for c in LAYOUT.columns]

FLOOR_DDL = f"""
CREATE UNLOGGED TABLE raw_or ({", ".join(f'"{c}" text' for c in COLS)});
CREATE TABLE props (folio text PRIMARY KEY, rec_date text, cfn text, doc_type text, address text);
"""
# The floor's merge: latest document per folio, one statement.
MERGE = """
INSERT INTO props (folio, rec_date, cfn, doc_type, address)
SELECT DISTINCT ON (folio) folio, rec_date, cfn_year || '-' || cfn_seq, doc_type, address
FROM raw_or WHERE folio <> ''
ORDER BY folio, rec_date DESC, cfn_year DESC, cfn_seq DESC
ON CONFLICT (folio) DO UPDATE SET rec_date = excluded.rec_date, cfn = excluded.cfn,
    doc_type = excluded.doc_type, address = excluded.address
"""


def make_file(rows: int, folder: Path) -> Path:
    state = new_state(seed=11, parcels=max(rows // 4, 1000))
    docs = int(rows / 2.2)
    data = generate_day(state, DAY, docs=docs)["OfficialRecords.exp"]
    path = folder / "daily" / DAY.isoformat() / "OfficialRecords.exp"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


class Database:
    def __init__(self, admin_url: str):
        self.admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        self.name = f"folio_bench_{uuid.uuid4().hex[:8]}"
        with self.admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{self.name}"'))
        self.url = admin_url.rsplit("/", 1)[0] + "/" + self.name

    def drop(self):
        get_engine.cache_clear()
        with self.admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))


def floor(path: Path, url: str) -> float:
    engine = create_engine(url)
    with engine.begin() as c:
        c.exec_driver_sql(FLOOR_DDL)
    t0 = time.perf_counter()
    df = pl.read_csv(
        path,
        separator="^",
        has_header=False,
        quote_char=None,
        encoding="utf8-lossy",
        infer_schema=False,
        truncate_ragged_lines=True,
    )
    kept = df.columns[: len(COLS)]  # a long row elsewhere in the file may add columns
    df = df.select(kept).rename(dict(zip(kept, COLS, strict=True)))
    buf = io.BytesIO()
    df.write_csv(buf, include_header=False)
    buf.seek(0)
    with engine.begin() as c:
        cur = c.connection.dbapi_connection.cursor()
        cur.copy_expert("COPY raw_or FROM STDIN WITH (FORMAT csv)", buf)
        c.exec_driver_sql(MERGE)
    elapsed = time.perf_counter() - t0
    engine.dispose()
    return elapsed


def folio(path: Path, url: str, source_root: Path) -> tuple[float, dict]:
    upgrade(url)
    engine = get_engine(url)
    with tempfile.TemporaryDirectory() as landing:
        t0 = time.perf_counter()
        archive = LocalArchive(Path(landing) / "archive")
        fetch_file(
            engine, LocalFolderSource(source_root), LAYOUT, DAY.isoformat(), Path(landing), archive
        )
        t1 = time.perf_counter()
        report = stage_file(engine, LAYOUT, DAY.isoformat(), archive)
        t2 = time.perf_counter()
        with engine.begin() as conn:
            merged = merge_properties(conn, [DAY.isoformat()])
            t3 = time.perf_counter()
            leads = generate_leads(conn, [DAY.isoformat()])
        t4 = time.perf_counter()
    parts = {
        "land": t1 - t0,
        "parse+stage": t2 - t1,
        "merge": t3 - t2,
        "leads": t4 - t3,
        "staged": report.counts.staged,
        "quarantined": report.counts.quarantined,
        "properties": merged.inserted,
        "leads_created": sum(leads.created.values()),
    }
    return t4 - t0, parts


def naive(path: Path, url: str) -> float:
    engine = create_engine(url)
    with engine.begin() as c:
        c.exec_driver_sql(FLOOR_DDL)
    t0 = time.perf_counter()
    width = len(COLS)
    rows = []
    for raw in path.read_bytes().decode("cp1252", errors="replace").splitlines():
        if raw.strip():
            fields = (raw.split("^") + [""] * width)[:width]
            rows.append(fields)
    placeholders = "(" + ", ".join(["%s"] * width) + ")"
    with engine.begin() as c:
        cur = c.connection.dbapi_connection.cursor()
        for i in range(0, len(rows), 1000):
            batch = rows[i : i + 1000]
            sql = f"INSERT INTO raw_or VALUES {', '.join([placeholders] * len(batch))}"
            cur.execute(sql, [v for r in batch for v in r])
        c.exec_driver_sql(MERGE)
    elapsed = time.perf_counter() - t0
    engine.dispose()
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--pg-url", default="postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "src"
        t = time.perf_counter()
        path = make_file(args.rows, root)
        n_lines = path.read_bytes().count(b"\n")
        print(
            f"generated {n_lines:,} OfficialRecords lines ({path.stat().st_size / 1e6:.1f} MB) "
            f"in {time.perf_counter() - t:.1f}s"
        )
        results = {}
        for name in ("floor", "folio", "naive"):
            db = Database(args.pg_url)
            try:
                if name == "floor":
                    results[name] = floor(path, db.url)
                elif name == "folio":
                    results[name], parts = folio(path, db.url, root)
                else:
                    results[name] = naive(path, db.url)
            finally:
                db.drop()
            print(
                f"({'abc'[list(results).index(name)]}) {name:6s} {results[name]:8.2f} s"
                f"  {n_lines / results[name]:>10,.0f} rows/s"
            )
        print(
            "folio breakdown: "
            + ", ".join(
                f"{k} {v:.2f}s" if isinstance(v, float) else f"{k} {v:,}" for k, v in parts.items()
            )
        )
        b_a = results["folio"] / results["floor"]
        c_b = results["naive"] / results["folio"]
        print(f"b/a = {b_a:.2f}  (target <= 1.5)   c/b = {c_b:.2f}  (target >= 5)")


if __name__ == "__main__":
    main()
