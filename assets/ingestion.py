"""raw_<file> → staged_<file> assets for one cadence, built from the file layouts.
Thin wrappers: fetching, parsing and staging live in `pipelines.county.ingest`. Every asset
uses a single-run backfill policy, so a range of partitions is one run (one Dagster
launch) that stages partition by partition, each in its own transaction.
"""

import time

import polars as pl
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    BackfillPolicy,
    Failure,
    MaterializeResult,
    asset,
)

from assets.metadata import markdown_table, partition_label
from assets.partitions import PARTITIONS_BY_CADENCE
from pipelines.county.ingest import MissingRawFileError, fetch_file, stage_files
from pipelines.county.parse import FileUnreadableError
from pipelines.county.sources import SourceError, TransientSourceError
from pipelines.county.staging import LayoutTableMismatch
from pipelines.db.schema.layouts import FileLayout, layouts_for
from pipelines.settings import get_settings
from resources.database import FolioDatabase
from resources.file_source import ArchiveResource, FileSourceResource

# Run tag that makes staging rewrite partitions whose file is unchanged (e.g. after a layout fix).
FORCE_RESTAGE_TAG = "folio/force_restage"


def _raw_asset(layout: FileLayout) -> AssetsDefinition:
    key = AssetKey(f"raw_{layout.file_type}")

    @asset(
        key=key,
        group_name=f"{layout.cadence}_ingestion",
        partitions_def=PARTITIONS_BY_CADENCE[layout.cadence],
        backfill_policy=BackfillPolicy.single_run(),
        check_specs=[
            AssetCheckSpec(
                "file_present",
                asset=key,
                blocking=True,
                description=f"{layout.file_name} is present and non-empty"
                + (
                    " (or not delivered this time: it is published irregularly)"
                    if layout.optional
                    else ""
                ),
            )
        ],
        kinds={"file"},
        description=f"`{layout.file_name}` fetched from the file source, hashed (sha256) and "
        f"landed; "
        f"recorded in `raw_files`.",
    )
    def _raw(
        context: AssetExecutionContext,
        database: FolioDatabase,
        file_source: FileSourceResource,
        archive: ArchiveResource,
    ):
        engine, source, store = database.engine(), file_source.client(), archive.store()
        rows, missing = [], []
        for pk in context.partition_keys:
            try:
                landed = fetch_file(engine, source, layout, pk, file_source.landing_path(), store)
            except TransientSourceError:
                raise  # the job's retry policy gets another go
            except SourceError as exc:
                # Refused host key or login, a bad zip: retrying will not help.
                raise Failure(description=str(exc), allow_retries=False) from exc
            if landed is None or landed.size_bytes == 0:
                missing.append(pk)
                rows.append(
                    {
                        "partition": pk,
                        "file": None if landed is None else landed.file_name,
                        "bytes": 0,
                        "sha256": None,
                        "resent": None,
                        "seconds": None,
                    }
                )
                continue
            rows.append(
                {
                    "partition": pk,
                    "file": landed.file_name,
                    "bytes": landed.size_bytes,
                    "sha256": landed.sha256,
                    "resent": landed.already_known,
                    "seconds": round(landed.download_seconds, 3),
                }
            )
        table = pl.DataFrame(rows)
        metadata = {
            "partitions": partition_label(context.partition_keys),
            "source": source.describe(),
            "archive": store.describe(),
            "download_seconds": float(table["seconds"].fill_null(0).sum()),
            "files_landed": len(rows) - len(missing),
            "bytes": int(table["bytes"].sum()),
            "resent_identical": int(table["resent"].fill_null(False).sum()),
            "files": markdown_table(table, max_rows=20),
        }
        if len(rows) == 1 and rows[0]["sha256"]:
            metadata["sha256"] = rows[0]["sha256"]
        for row in rows:  # each partition's own file (a range run shows the totals above)
            context.add_asset_metadata(
                {
                    "partitions": row["partition"],
                    "files_landed": int(row["bytes"] > 0),
                    "bytes": row["bytes"],
                    "resent_identical": int(bool(row["resent"])),
                    "download_seconds": float(row["seconds"] or 0),
                    **({"sha256": row["sha256"]} if row["sha256"] else {}),
                },
                partition_key=row["partition"],
            )
        said = None
        if missing:
            said = f"{layout.file_name} missing or empty in {source.describe()} for: "
            said += ", ".join(missing)
            if layout.optional:
                said += " (delivered when published: nothing to stage)"
        check = AssetCheckResult(
            check_name="file_present",
            passed=not missing or layout.optional,
            severity=AssetCheckSeverity.ERROR,
            description=said,
            metadata={"missing_partitions": ", ".join(missing) or "none"},
        )
        return MaterializeResult(metadata=metadata, check_results=[check])

    return _raw


def _staged_asset(layout: FileLayout) -> AssetsDefinition:
    key = AssetKey(f"staged_{layout.file_type}")
    max_ratio = get_settings().quarantine_max_ratio

    @asset(
        key=key,
        deps=[AssetKey(f"raw_{layout.file_type}")],
        group_name=f"{layout.cadence}_ingestion",
        partitions_def=PARTITIONS_BY_CADENCE[layout.cadence],
        backfill_policy=BackfillPolicy.single_run(),
        check_specs=[
            AssetCheckSpec(
                "quarantine_ratio",
                asset=key,
                description=f"at most {max_ratio:.0%} of rows quarantined",
            ),
            AssetCheckSpec(
                "no_duplicate_keys",
                asset=key,
                description=f"({', '.join(layout.key)}) unique within a partition",
            ),
        ],
        kinds={"polars", "sql"},
        description=f"`{layout.file_name}` parsed into `{layout.table}` (partition-scoped "
        f"delete+insert in one "
        f"transaction); bad rows go to `quarantine` with file, line and reason.",
    )
    def _staged(context: AssetExecutionContext, database: FolioDatabase, archive: ArchiveResource):
        engine, store = database.engine(), archive.store()
        force = context.run.tags.get(FORCE_RESTAGE_TAG) == "true"
        total, last = len(context.partition_keys), [0.0]

        def progress(done: int, pk: str) -> None:
            # A long range shows how far it got in the run's logs, every few seconds (a line
            # per partition was thousands of event-log writes in a 5-year backfill).
            if total > 1 and (done == total or time.monotonic() - last[0] >= 5):
                last[0] = time.monotonic()
                context.log.info(f"{layout.file_name}: {done}/{total} partitions ({pk})")

        try:
            reports = stage_files(
                engine, layout, context.partition_keys, store, context.run_id, force, progress
            )
        except (FileUnreadableError, LayoutTableMismatch, MissingRawFileError) as exc:
            # Retrying cannot fix the file or the layout: fail once, with the reason.
            raise Failure(description=str(exc), allow_retries=False) from exc
        staged = sum(r.counts.staged for r in reports)
        quarantined = sum(r.counts.quarantined for r in reports)
        ratio = quarantined / (staged + quarantined) if staged + quarantined else 0.0
        over = [r.partition_key for r in reports if r.quarantine_ratio > max_ratio]
        dups = sum(r.totals.duplicate_keys for r in reports)  # counted while loading
        reasons = pl.concat([r.totals.quarantine_head for r in reports], how="diagonal_relaxed")
        for r in reports:  # each partition's own counts (the result's are the range's totals)
            context.add_asset_metadata(partition_metadata(r), partition_key=r.partition_key)
        return MaterializeResult(
            metadata={
                "partitions": partition_label(context.partition_keys),
                "rows_read": sum(r.totals.lines_read for r in reports),
                "partitions_unchanged": sum(not r.restaged for r in reports),
                "rows_staged": staged,
                "rows_quarantined": quarantined,
                "duplicates_collapsed": sum(r.totals.duplicates_collapsed for r in reports),
                "undecodable_bytes": sum(r.totals.replaced_bytes for r in reports),
                "control_bytes_removed": sum(r.totals.control_bytes_removed for r in reports),
                "quarantine_ratio": round(ratio, 5),
                "seconds": round(sum(r.seconds for r in reports), 3),
                "preview": markdown_table(reports[-1].totals.preview),
                "quarantined_rows": markdown_table(reasons, max_rows=10),
            },
            check_results=[
                AssetCheckResult(
                    check_name="quarantine_ratio",
                    passed=not over,
                    severity=AssetCheckSeverity.ERROR,
                    description=f"over {max_ratio:.0%} in: {', '.join(over)}" if over else None,
                    metadata={
                        "ratio": round(ratio, 5),
                        "partitions_over": ", ".join(over) or "none",
                    },
                ),
                AssetCheckResult(
                    check_name="no_duplicate_keys",
                    passed=dups == 0,
                    metadata={"duplicate_keys": dups},
                ),
            ],
        )

    return _staged


def partition_metadata(r) -> dict:
    """One partition's staging counts, for its own materialisation in a range run."""
    return {
        "partitions": r.partition_key,
        "rows_read": r.totals.lines_read,
        "partitions_unchanged": int(not r.restaged),
        "rows_staged": r.counts.staged,
        "rows_quarantined": r.counts.quarantined,
        "duplicates_collapsed": r.totals.duplicates_collapsed,
        "undecodable_bytes": r.totals.replaced_bytes,
        "control_bytes_removed": r.totals.control_bytes_removed,
        "quarantine_ratio": round(r.quarantine_ratio, 5),
        "seconds": round(r.seconds, 3),
    }


def build_ingestion_assets(cadence: str) -> list[AssetsDefinition]:
    out: list[AssetsDefinition] = []
    for layout in layouts_for(cadence):
        out += [_raw_asset(layout), _staged_asset(layout)]
    return out


# Module-level, so the code location finds them by loading the package (no list to keep).
daily_ingestion_assets = build_ingestion_assets("daily")
weekly_ingestion_assets = build_ingestion_assets("weekly")
monthly_ingestion_assets = build_ingestion_assets("monthly")
