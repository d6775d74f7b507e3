"""What the pipeline has produced, for `folio demo` and `folio status` (Dagster-free)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import Engine, func, or_, select

from pipelines.db.schema import (
    data_ingestion_logs,
    lead_scores,
    leads,
    properties,
    quarantine,
    record_matches,
)


def summarize(engine: Engine) -> dict:
    log = data_ingestion_logs.c
    # The latest successful staging of each (partition, file type).
    latest = (
        select(func.max(log.id).label("id"))
        .where(log.status == "success")
        .group_by(log.cadence, log.partition_key, log.file_type)
        .subquery()
    )
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                func.count(func.distinct(log.cadence + ":" + log.partition_key)),
                func.coalesce(func.sum(log.rows_read), 0),
                func.coalesce(func.sum(log.rows_staged), 0),
                func.coalesce(func.sum(log.rows_quarantined), 0),
                func.coalesce(func.sum(log.duplicates_collapsed), 0),
            ).where(log.id.in_(select(latest.c.id)))
        ).one()
        failed = conn.execute(select(func.count()).where(log.status == "failed")).scalar_one()
        by_type = dict(
            conn.execute(select(leads.c.lead_type, func.count()).group_by(leads.c.lead_type)).all()
        )
        by_status = dict(
            conn.execute(select(leads.c.status, func.count()).group_by(leads.c.status)).all()
        )
        reasons = conn.execute(
            select(quarantine.c.reason, func.count())
            .group_by(quarantine.c.reason)
            .order_by(func.count().desc())
            .limit(5)
        ).all()
        m = record_matches.c
        matches = conn.execute(
            select(m.file_type, m.status, m.method, func.count())
            .group_by(m.file_type, m.status, m.method)
            .order_by(m.file_type, m.status)
        ).all()
        scored = conn.execute(select(func.count(), func.avg(lead_scores.c.score))).one()
        n_props = conn.execute(select(func.count()).select_from(properties)).scalar_one()
        owned = conn.execute(
            select(func.count()).where(properties.c.owner_name.is_not(None))
        ).scalar_one()
    return {
        "partitions": rows[0],
        "rows_read": rows[1],
        "rows_staged": rows[2],
        "rows_quarantined": rows[3],
        "duplicates_collapsed": rows[4],
        "failed_stagings": failed,
        "properties": n_props,
        "properties_with_owner": owned,
        "leads_by_type": by_type,
        "leads_by_status": by_status,
        "top_quarantine_reasons": [(r, n) for r, n in reasons],
        "matches": [(f, s, meth, n) for f, s, meth, n in matches],
        "leads_scored": scored[0],
        "mean_score": float(scored[1]) if scored[1] is not None else None,
    }


def run_summary(engine: Engine, run_id: str, since: datetime) -> dict:
    """What one ingestion run did: partitions staged or unchanged, rows, and the leads it
    created (`since`: when the run started)."""
    log = data_ingestion_logs.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                log.partition_key,
                log.status,
                log.rows_read,
                log.rows_staged,
                log.rows_quarantined,
                log.duplicates_collapsed,
                log.cadence,
            ).where(log.run_id == run_id)
        ).all()
        prefixes = sorted({f"{r.cadence}/{r.partition_key}/" for r in rows})
        created = 0
        for i in range(0, len(prefixes), 200):
            created += conn.execute(
                select(func.count()).where(
                    leads.c.created_at >= since,
                    or_(*[leads.c.source_file.startswith(p) for p in prefixes[i : i + 200]]),
                )
            ).scalar_one()
    by_partition: dict[str, set] = {}
    for r in rows:
        by_partition.setdefault(r.partition_key, set()).add(r.status)
    return {
        "partitions": len(by_partition),
        "partitions_unchanged": sum(1 for s in by_partition.values() if s == {"unchanged"}),
        "rows_read": sum(r.rows_read or 0 for r in rows),
        "rows_staged": sum(r.rows_staged or 0 for r in rows),
        "rows_quarantined": sum(r.rows_quarantined or 0 for r in rows),
        "duplicates_collapsed": sum(r.duplicates_collapsed or 0 for r in rows),
        "leads_created": created,
    }


def _files_done(engine: Engine, cadence: str, keys: list[str], since: datetime) -> set:
    """(partition, file type) of `keys` staged (or found unchanged) since `since`."""
    log = data_ingestion_logs.c
    with engine.connect() as conn:
        done = conn.execute(
            select(log.partition_key, log.file_type)
            .where(
                log.cadence == cadence,
                log.started_at >= since,
                log.status.in_(("success", "unchanged")),
            )
            .distinct()
        ).all()
    wanted = set(keys)
    return {(k, ft) for k, ft in done if k in wanted}


def partitions_staged(
    engine: Engine, cadence: str, keys: list[str], files: int, since: datetime
) -> int:
    """How many of `keys` have all `files` file types staged (or unchanged) since `since`:
    the progress of a running ingestion."""
    per_partition = Counter(k for k, _ in _files_done(engine, cadence, keys, since))
    return sum(1 for n in per_partition.values() if n >= files)


def files_staged(engine: Engine, cadence: str, keys: list[str], since: datetime) -> int:
    """How many (partition, file type) of `keys` were staged (or found unchanged) since
    `since`: a long backfill's progress, which moves with every file, not only when a
    partition's last file type is done."""
    return len(_files_done(engine, cadence, keys, since))
