"""The daily market report (PDF, county-wide): the business day's new leads by type and by zip,
the top leads by score, and this week against last week per lead type."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from sqlalchemy import Engine, func, select

from pipelines.db.schema import leads, properties
from pipelines.reports import pdf
from pipelines.settings import get_settings


def market_figures(engine: Engine, day: date) -> dict:
    """What the report shows, also the asset's metadata."""
    q = (
        select(
            leads.c.id,
            leads.c.lead_type,
            leads.c.score,
            leads.c.folio,
            properties.c.zip,
            properties.c.address,
            properties.c.city,
        )
        .join(properties, properties.c.folio == leads.c.folio, isouter=True)
        .where(leads.c.lead_date == day)
        .order_by(leads.c.score.desc(), leads.c.lead_date.desc(), leads.c.id)
    )
    week = (
        select(leads.c.lead_type, func.count())
        .where(leads.c.lead_date > day - timedelta(days=7), leads.c.lead_date <= day)
        .group_by(leads.c.lead_type)
    )
    last_week = (
        select(leads.c.lead_type, func.count())
        .where(
            leads.c.lead_date > day - timedelta(days=14),
            leads.c.lead_date <= day - timedelta(days=7),
        )
        .group_by(leads.c.lead_type)
    )
    with engine.connect() as conn:
        rows = conn.execute(q).all()
        this, prev = dict(conn.execute(week).all()), dict(conn.execute(last_week).all())
    return {
        "day": day.isoformat(),
        "new_leads": len(rows),
        "by_type": dict(sorted(Counter(r.lead_type for r in rows).items())),
        "by_zip": Counter(r.zip or "unknown" for r in rows).most_common(15),
        "top": [
            (r.id, r.lead_type, round(r.score, 1), r.address or r.folio, r.zip or "")
            for r in rows[: get_settings().market_report_top]
        ],
        "week_over_week": {
            t: (this.get(t, 0), prev.get(t, 0)) for t in sorted(set(this) | set(prev))
        },
    }


def market_pdf(figures: dict) -> bytes:
    wow = figures["week_over_week"]
    flow = [
        pdf.title(f"Miami-Dade market report, {figures['day']}"),
        pdf.para(f"{figures['new_leads']} new lead(s) dated {figures['day']}."),
        pdf.heading("New leads by type"),
        pdf.table(
            [["Lead type", "Leads"], *figures["by_type"].items()]
            if figures["by_type"]
            else [["Lead type", "Leads"], ["none", 0]],
            widths=[160, 60],
        ),
        pdf.heading("New leads by zip"),
        pdf.table(
            [["Zip", "Leads"], *figures["by_zip"]]
            if figures["by_zip"]
            else [["Zip", "Leads"], ["none", 0]],
            widths=[160, 60],
        ),
        pdf.heading(f"Top {len(figures['top'])} by score"),
        pdf.table(
            [["Lead", "Type", "Score", "Address", "Zip"], *figures["top"]],
            widths=[45, 85, 45, 230, 50],
        ),
        pdf.heading("This week against last week"),
        pdf.table(
            [
                ["Lead type", "Last 7 days", "The 7 before"],
                *[(t, a, b) for t, (a, b) in wow.items()],
            ],
            widths=[160, 80, 80],
        ),
    ]
    if wow:
        labels = [f"{t} {w}" for t in wow for w in ("now", "before")]
        values = [v for a, b in wow.values() for v in (a, b)]
        flow.append(
            pdf.bar_chart(labels, values, "Leads per type: the last 7 days, then the 7 before")
        )
    return pdf.render(flow, f"Folio market report {figures['day']}")
