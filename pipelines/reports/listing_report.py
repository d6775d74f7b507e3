"""The per-listing investment report (PDF): the listing, its score with the breakdown, cap rate
and ROI, the scorer's reasoning, and its price per sqft against the zip's active listings."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, select

from pipelines import clock
from pipelines.db.schema import listings
from pipelines.listings.views import listing_view
from pipelines.reports import pdf
from pipelines.settings import get_settings

MAX_PEERS = 30  # bars in the chart: the listing and the zip's nearest-priced others


class ReportError(Exception):
    """A report that cannot be built, with the reason (shown to whoever asked)."""


def zip_price_per_sqft(engine: Engine, tenant_id: int, zip_code: str) -> list[tuple[int, float]]:
    """(listing id, price per sqft) of the tenant's active listings in one zip."""
    since = clock.now() - timedelta(days=get_settings().active_listing_days)
    c = listings.c
    q = select(c.id, c.price, c.sqft).where(
        c.tenant_id == tenant_id, c.zip == zip_code, c.sqft > 0, c.listed_at >= since
    )
    with engine.connect() as conn:
        rows = [(r.id, float(r.price) / r.sqft) for r in conn.execute(q)]
    return sorted(rows, key=lambda r: (r[1], r[0]))  # cheapest per sqft first


def listing_pdf(engine: Engine, tenant_id: int, listing_id: int) -> bytes:
    view = listing_view(engine, tenant_id, listing_id)
    if view is None:
        raise ReportError(f"no listing {listing_id} for this tenant")
    score = view["score"]
    if score is None:
        raise ReportError(f"listing {listing_id} has no score yet; try again once it is scored")
    where = f"{view['address']}, {view['city']} {view['zip']}"
    facts = [
        ["Listing", f"#{listing_id} ({view['external_id']})"],
        ["Type", view["listing_type"]],
        ["Price", f"${view['price']:,.0f}"],
        ["Bedrooms / bathrooms", f"{view.get('bedrooms') or '-'} / {view.get('bathrooms') or '-'}"],
        ["Living area", f"{view['sqft']:,} sqft" if view.get("sqft") else "unknown"],
        ["Year built", view.get("year_built") or "unknown"],
        [
            "Estimated rent",
            f"${view['estimated_rent']:,.0f}/month" if view.get("estimated_rent") else "unknown",
        ],
    ]
    parts = [["Part", "Points"], *[[k.replace("_", " "), v] for k, v in score["breakdown"].items()]]
    money = [
        ["Measure", "Value"],
        ["Investment score", f"{score['score']}/100"],
        ["Cap rate", f"{score['cap_rate'] * 100:.2f}%" if score["cap_rate"] is not None else "n/a"],
        *_roi_row(score),
        [
            "Scorer",
            score["scorer"]
            + (f" (fallback: {score['fallback_reason']})" if score["fallback_reason"] else ""),
        ],
    ]
    peers = zip_price_per_sqft(engine, tenant_id, view["zip"])
    flow = [
        pdf.title(f"Investment report: {where}"),
        pdf.table(facts, widths=[140, 330]),
        pdf.heading("Score"),
        pdf.table(money, widths=[140, 330]),
        pdf.table(parts, widths=[140, 80]),
        pdf.para(f"Why: {score['reasoning']}"),
    ]
    if peers:
        mine = next((i for i, (pid, _) in enumerate(peers) if pid == listing_id), None)
        if mine is not None and len(peers) > MAX_PEERS:
            lo = max(0, min(mine - MAX_PEERS // 2, len(peers) - MAX_PEERS))
            peers, mine = peers[lo : lo + MAX_PEERS], mine - lo
        flow += [
            pdf.heading(f"Price per sqft, zip {view['zip']}"),
            pdf.bar_chart(
                [f"#{pid}" for pid, _ in peers],
                [round(v, 2) for _, v in peers],
                f"{len(peers)} active listing(s); this one highlighted",
                mine,
            ),
        ]
    return pdf.render(flow, f"Folio investment report {where}")


def _roi_row(score: dict) -> list[list[str]]:
    """The ROI, unless it is the cap rate again (the rule scorer's all-cash ROI is)."""
    roi, cap = score["roi"], score["cap_rate"]
    if roi is None:
        return [["ROI", "n/a"]]
    if cap is not None and abs(roi - cap * 100) < 0.05:
        return []
    return [["ROI", f"{roi:.2f}%"]]
