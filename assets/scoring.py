"""`lead_scores`: the nightly re-score of every open lead, with its breakdown."""

from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    MaterializeResult,
    asset,
)

from assets.metadata import markdown_table, rows_frame
from pipelines import clock
from pipelines.leads.previews import score_spread, scores_out_of_bounds, top_scores
from pipelines.leads.scoring import score_leads
from resources.database import FolioDatabase


@asset(
    deps=[
        AssetKey("leads"),
        AssetKey("eviction_and_lien_leads"),
        AssetKey("probate_and_judgment_leads"),
    ],
    group_name="scoring",
    check_specs=[
        AssetCheckSpec(
            "scores_within_bounds",
            asset="lead_scores",
            description="every open lead has tonight's score, within 0–100 and the sum of its "
            "parts, the same on the lead",
        )
    ],
    kinds={"polars", "sql"},
    description="score = base (the record's kind) + stacked distress + equity + years owned + "
    "freshness + engagement + absentee, 0–100, for every open lead, the parts kept per lead; "
    "leads past their age limit become expired. Recomputed whole each night (no retry: a "
    "re-run recomputes).",
)
def lead_scores(context: AssetExecutionContext, database: FolioDatabase) -> MaterializeResult:
    today = clock.today()
    with database.engine().begin() as conn:
        counts = score_leads(conn, today=today, now=clock.now())
        top = top_scores(conn, today)
        spread = score_spread(conn)
        bad = scores_out_of_bounds(conn, today)
    return MaterializeResult(
        metadata={
            "scored_on": today.isoformat(),
            "leads_scored": counts.scored,
            "leads_expired": counts.expired,
            "mean_score": round(counts.mean_score, 2) if counts.mean_score is not None else 0.0,
            "top_leads": markdown_table(rows_frame(top)),
            **{f"scores_{k}": v for k, v in spread.items() if k != "open_leads"},
        },
        check_results=[
            AssetCheckResult(
                check_name="scores_within_bounds",
                passed=not any(bad.values()),
                metadata=bad,
            )
        ],
    )
