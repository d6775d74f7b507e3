"""The weekly subscriber report (PDF, one per tenant and week): per subscriber, the week's
matches by type, alert emails sent, and the opens and clicks they made; then the tenant's
top leads of the week. The weekly email links it."""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy import Engine, and_, func, select

from pipelines.alerts.weekly import week_bounds
from pipelines.db.schema import alert_matches, lead_events, leads, notifications, subscribers
from pipelines.reports import pdf
from pipelines.settings import get_settings


def tenants_with_matches(engine: Engine, monday: date) -> list[int]:
    start, end = week_bounds(monday)
    am = alert_matches.c
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(am.tenant_id)
                .where(am.matched_at >= start, am.matched_at < end)
                .group_by(am.tenant_id)
                .order_by(am.tenant_id)
            ).scalars()
        )


def weekly_figures(engine: Engine, tenant_id: int, monday: date) -> dict:
    start, end = week_bounds(monday)
    am, n, ev = alert_matches.c, notifications.c, lead_events.c
    in_week = and_(am.tenant_id == tenant_id, am.matched_at >= start, am.matched_at < end)
    with engine.connect() as conn:
        subs = conn.execute(
            select(subscribers.c.id, subscribers.c.email)
            .where(subscribers.c.tenant_id == tenant_id)
            .order_by(subscribers.c.id)
        ).all()
        matched = Counter(
            dict(
                conn.execute(
                    select(am.subscriber_id, func.count()).where(in_week).group_by(am.subscriber_id)
                ).all()
            )
        )
        sent = Counter(
            dict(
                conn.execute(
                    select(n.subscriber_id, func.count())
                    .where(
                        n.tenant_id == tenant_id,
                        n.state == "sent",
                        n.sent_at >= start,
                        n.sent_at < end,
                    )
                    .group_by(n.subscriber_id)
                ).all()
            )
        )
        events = conn.execute(
            select(ev.subscriber_id, ev.event, func.count())
            .where(ev.tenant_id == tenant_id, ev.occurred_at >= start, ev.occurred_at < end)
            .group_by(ev.subscriber_id, ev.event)
        ).all()
        top = conn.execute(
            select(leads.c.id, leads.c.lead_type, leads.c.score, leads.c.lead_date)
            .join(alert_matches, and_(am.item_kind == "lead", am.item_id == leads.c.id))
            .where(in_week)
            .group_by(leads.c.id, leads.c.lead_type, leads.c.score, leads.c.lead_date)
            .order_by(leads.c.score.desc(), leads.c.lead_date.desc(), leads.c.id)
            .limit(get_settings().weekly_report_top)
        ).all()
        by_type = conn.execute(
            select(leads.c.lead_type, func.count(func.distinct(leads.c.id)))
            .join(alert_matches, and_(am.item_kind == "lead", am.item_id == leads.c.id))
            .where(in_week)
            .group_by(leads.c.lead_type)
            .order_by(leads.c.lead_type)
        ).all()
    counts = {(s, e): k for s, e, k in events}
    return {
        "week": monday.isoformat(),
        "subscribers": [
            (
                s.email,
                matched[s.id],
                sent[s.id],
                counts.get((s.id, "opened"), 0),
                counts.get((s.id, "clicked"), 0),
            )
            for s in subs
        ],
        "by_type": [tuple(r) for r in by_type],
        "top": [(r.id, r.lead_type, round(r.score, 1), r.lead_date.isoformat()) for r in top],
    }


def weekly_pdf(figures: dict, tenant_name: str) -> bytes:
    flow = [
        pdf.title(f"{tenant_name}: the week from {figures['week']}"),
        pdf.heading("Subscribers"),
        pdf.table(
            [
                ["Subscriber", "Matches", "Emails sent", "Opened", "Clicked"],
                *figures["subscribers"],
            ],
            widths=[200, 60, 70, 55, 55],
        ),
        pdf.heading("Leads matched, by type"),
        pdf.table(
            [["Lead type", "Leads"], *(figures["by_type"] or [("none", 0)])], widths=[160, 60]
        ),
        pdf.heading(f"Top {len(figures['top'])} leads"),
        pdf.table([["Lead", "Type", "Score", "Date"], *figures["top"]], widths=[50, 110, 50, 80]),
    ]
    return pdf.render(flow, f"Folio weekly report {tenant_name} {figures['week']}")
