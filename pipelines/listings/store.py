"""Store validated listings for one tenant, and quarantine the refused ones, in one transaction.

(tenant_id, external_id) is unique: a re-submission updates the row. A repeat with the
same content changes nothing (no new change_seq, so it is not scored or alerted again);
new or changed content takes the next numbers from `listing_seq` under a row lock held
until commit, so change_seq order is commit order (the new-listings sensor relies on it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, Engine, select

from pipelines import clock
from pipelines.db import sequences
from pipelines.db.schema import listing_quarantine, listings
from pipelines.db.upsert import insert_ignore_rows, upsert
from pipelines.listings.model import LISTING_FIELDS, ListingIn, validate
from pipelines.listings.readers import RawRecord

CHUNK = 500
# A re-submission replaces what the listing says, and records where this version came from.
UPDATABLE = [
    *LISTING_FIELDS,
    "content_sha256",
    "change_seq",
    "source",
    "source_file",
    "source_line",
    "updated_at",
]


@dataclass
class IntakeResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    ids: dict[str, int] = field(default_factory=dict)  # external_id → listing id
    status: dict[str, str] = field(
        default_factory=dict
    )  # external_id → created | updated | unchanged
    rejects: list[tuple[int, str]] = field(default_factory=list)  # (line_no, reason)

    def summary(self) -> str:
        return (
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.quarantined} quarantined"
        )


def lock_listings(conn: Connection) -> None:
    """Hold the listing counter's row lock until this transaction ends."""
    sequences.hold(conn, "listings")


def next_seqs(conn: Connection, n: int) -> range:
    """Take n numbers from the listing counter (pipelines/db/sequences.py)."""
    return sequences.take(conn, "listings", n)


def save_listings(
    conn: Connection,
    tenant: dict,
    records: Iterable[tuple[int | None, ListingIn]],
    source: str,
    source_file: str | None = None,
) -> IntakeResult:
    """Upsert validated listings (the last record wins when an external_id repeats).

    The listing counter's row lock is taken first, so concurrent writers of the same tenant's
    listings run one after another: each sees what the previous one committed, and a listing
    sent 200 times at once is created once and unchanged 199 times."""
    lock_listings(conn)
    result = IntakeResult()
    latest: dict[str, tuple[int | None, dict]] = {}
    for line_no, listing in records:
        latest[listing.external_id] = (line_no, listing.stored())
    existing: dict[str, tuple[int, str]] = {}
    first_listed: dict[str, datetime] = {}
    keys = list(latest)
    for i in range(0, len(keys), CHUNK):
        lc = listings.c
        q = select(lc.external_id, lc.id, lc.content_sha256, lc.listed_at).where(
            lc.tenant_id == tenant["id"], lc.external_id.in_(keys[i : i + CHUNK])
        )
        for r in conn.execute(q):
            existing[r.external_id] = (r.id, r.content_sha256)
            first_listed[r.external_id] = r.listed_at
    changed = [
        k for k in keys if k not in existing or existing[k][1] != latest[k][1]["content_sha256"]
    ]
    now = clock.now()
    rows = []
    for key, seq in zip(changed, next_seqs(conn, len(changed)) if changed else [], strict=True):
        line_no, row = latest[key]
        rows.append(
            {
                **row,
                "listed_at": row["listed_at"] or first_listed.get(key) or now,
                "tenant_id": tenant["id"],
                "change_seq": seq,
                "source": source,
                "source_file": source_file,
                "source_line": line_no,
                "created_at": now,
                "updated_at": now,
            }
        )
    for i in range(0, len(rows), CHUNK):
        upsert(conn, listings, rows[i : i + CHUNK], ["tenant_id", "external_id"], UPDATABLE)
    fresh = [k for k in changed if k not in existing]
    fresh_set, changed_set = set(fresh), set(changed)
    for i in range(0, len(fresh), CHUNK):
        q = select(listings.c.external_id, listings.c.id).where(
            listings.c.tenant_id == tenant["id"], listings.c.external_id.in_(fresh[i : i + CHUNK])
        )
        existing.update({r.external_id: (r.id, "") for r in conn.execute(q)})
    for key in keys:
        result.ids[key] = existing[key][0]
        status = "created" if key in fresh_set else "updated" if key in changed_set else "unchanged"
        result.status[key] = status
        setattr(result, status, getattr(result, status) + 1)
    return result


def quarantine(
    conn: Connection,
    tenant: dict,
    rejects: list[tuple[int | None, str, str]],
    source: str,
    source_file: str | None,
    source_sha256: str | None,
) -> int:
    """Record refused records with file, line and reason (idempotent per file and line)."""
    now = clock.now()
    rows = [
        {
            "tenant_id": tenant["id"],
            "source": source,
            "source_file": source_file,
            "source_sha256": source_sha256,
            "line_no": line_no,
            # As it arrived, but a NUL (which PostgreSQL cannot store) is written as \x00.
            "raw": raw.replace("\x00", "\\x00"),
            "reason": reason.replace("\x00", "\\x00"),
            "created_at": now,
        }
        for line_no, raw, reason in rejects
    ]
    if source_sha256:
        return insert_ignore_rows(
            conn, listing_quarantine, rows, ["tenant_id", "source_sha256", "line_no"]
        )
    if rows:
        conn.execute(listing_quarantine.insert(), rows)
    return len(rows)


def ingest_records(
    engine: Engine,
    tenant: dict,
    records: list[RawRecord],
    source: str,
    source_file: str | None = None,
    source_sha256: str | None = None,
) -> IntakeResult:
    """Validate every record; store the good ones and quarantine the rest, all or nothing."""
    good: dict[str, tuple[int, ListingIn, str]] = {}  # external_id → (line, listing, raw)
    rejects: list[tuple[int | None, str, str]] = []
    for rec in records:
        listing, reason = (None, rec.error) if rec.values is None else validate(rec.values)
        if listing is not None and listing.tenant_id not in (
            None,
            tenant["slug"],
            str(tenant["id"]),
        ):
            listing, reason = (
                None,
                f"tenant_id: {listing.tenant_id!r} is not this file's tenant {tenant['slug']!r}",
            )
        if listing is None:
            rejects.append((rec.line_no, rec.raw, reason))
            continue
        if listing.external_id in good:
            # The later record wins; the earlier one is kept in quarantine, not dropped.
            earlier, _, raw = good[listing.external_id]
            reason = (
                f"external_id {listing.external_id!r} repeats: line {rec.line_no} supersedes it"
            )
            rejects.append((earlier, raw, reason))
        good[listing.external_id] = (rec.line_no, listing, rec.raw)
    with engine.begin() as conn:
        result = save_listings(
            conn, tenant, [(n, item) for n, item, _ in good.values()], source, source_file
        )
        result.quarantined = quarantine(conn, tenant, rejects, source, source_file, source_sha256)
    result.rejects = [(n, reason) for n, _raw, reason in rejects]
    return result


def quarantined_records(engine: Engine, tenant_id: int, limit: int = 50) -> list[dict]:
    """A tenant's refused listing records, newest first: source, file, line, reason, raw record."""
    q = listing_quarantine.c
    with engine.connect() as conn:
        rows = (
            conn.execute(
                select(q.source, q.source_file, q.line_no, q.reason, q.raw)
                .where(q.tenant_id == tenant_id)
                .order_by(q.id.desc())
                .limit(limit)
            )
            .mappings()
            .all()
        )
    return [dict(r) for r in rows]
