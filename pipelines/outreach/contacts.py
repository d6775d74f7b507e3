"""Phones a tenant attaches to leads: one per (tenant, lead), by `PUT /leads/{id}/contact` or
a CSV import (`folio leads contacts import`, columns folio,name,phone)."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, Engine, select

from pipelines import clock
from pipelines.county.values import normalize_folio
from pipelines.db.schema import lead_contacts, leads
from pipelines.db.upsert import upsert
from pipelines.leads.views import entitled
from pipelines.notify.phones import BadPhone, normalise


def set_contact(conn: Connection, tenant_id: int, lead_id: int, phone: str, name: str | None):
    row = {
        "tenant_id": tenant_id,
        "lead_id": lead_id,
        "name": name or None,
        "phone": normalise(phone),
        "updated_at": clock.now(),
    }
    upsert(conn, lead_contacts, [row], ["tenant_id", "lead_id"], ["name", "phone", "updated_at"])
    return row["phone"]


def is_entitled(conn: Connection, tenant_id: int, lead_id: int) -> bool:
    q = select(leads.c.id).where(leads.c.id == lead_id, entitled(tenant_id))
    return conn.execute(q).first() is not None


def contact_for(conn: Connection, tenant_id: int, lead_id: int):
    return conn.execute(
        select(lead_contacts).where(
            lead_contacts.c.tenant_id == tenant_id, lead_contacts.c.lead_id == lead_id
        )
    ).first()


@dataclass
class ImportResult:
    attached: int = 0  # (lead, phone) pairs written
    errors: list[str] = field(default_factory=list)  # "line N: reason"


def import_contacts(engine: Engine, tenant_id: int, path: Path) -> ImportResult:
    """Attach each row's phone to every lead on its folio this tenant may see. Bad rows are
    reported with their line and skipped; the good ones are written in one transaction."""
    out = ImportResult()
    with path.open(newline="", encoding="utf-8-sig") as f, engine.begin() as conn:
        reader = csv.DictReader(f)
        missing = {"folio", "phone"} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path.name}: the header must name {', '.join(sorted(missing))}")
        for row in reader:
            line = reader.line_num
            folio = normalize_folio(row.get("folio") or "")
            if folio is None:
                out.errors.append(f"line {line}: folio {row.get('folio')!r} is not a folio")
                continue
            try:
                phone = normalise(row.get("phone") or "")
            except BadPhone as exc:
                out.errors.append(f"line {line}: {exc}")
                continue
            ids = (
                conn.execute(select(leads.c.id).where(leads.c.folio == folio, entitled(tenant_id)))
                .scalars()
                .all()
            )
            if not ids:
                out.errors.append(f"line {line}: no lead of yours on folio {folio}")
                continue
            for lead_id in ids:
                set_contact(conn, tenant_id, lead_id, phone, (row.get("name") or "").strip())
                out.attached += 1
    return out
