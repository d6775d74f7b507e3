"""Do lead scores rank? The score targets of docs/domain.md#lead-scoring, measured on the
path users run.

    .venv/bin/python benchmarks/lead_scores.py demo
    .venv/bin/python benchmarks/lead_scores.py county [--days 60] [--docs-per-day 1500]
        [--parcels 40000]
    .venv/bin/python benchmarks/lead_scores.py database --url sqlite:///data/folio.db

`demo` runs `folio demo` in a scratch folder and measures its database; `county` writes a
larger generated county with `folio samples`, ingests it with `folio backfill` (daily) and
`folio run` (weekly, monthly) and scores it with the nightly job; `database` measures a
database as it is. Each then re-scores once more and checks that the ranking (score, then
the newer lead, then the lower id) came out the same.

Targets: open leads' p10–p90 spread ≥ 40 points; at most 10% of them score ≥ 90; at most 1%
share the highest score; the same order on a re-run.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipelines import clock  # noqa: E402

print = functools.partial(print, flush=True)  # noqa: A001 - progress lines as they happen
FOLIO = str(ROOT / ".venv" / "bin" / "folio")


def folio(env: dict, *args: str) -> None:
    started = time.monotonic()
    done = subprocess.run([FOLIO, *args], env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        print(done.stdout[-3000:], done.stderr[-3000:])
        raise SystemExit(f"folio {' '.join(args)} failed ({done.returncode})")
    print(f"  folio {' '.join(args)}: {time.monotonic() - started:.1f} s")


def scratch_env(work: Path) -> dict:
    (work / "dagster_home").mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOLIO_")}
    env |= {
        "FOLIO_DATA_DIR": str(work / "data"),
        "DAGSTER_HOME": str(work / "dagster_home"),
        "COLUMNS": "100",
    }
    return env


def generated_county(work: Path, days: int, docs: int, parcels: int) -> str:
    from pipelines.calendar import last_complete_business_day

    env = scratch_env(work)
    source = work / "source"
    end = last_complete_business_day()
    folio(env, "samples", "--days", str(days), "--docs-per-day", str(docs),
          "--parcels", str(parcels), "--out", str(source), "--end", end.isoformat())  # fmt: skip
    daily = sorted(p.name for p in (source / "daily").iterdir())
    folio(env, "backfill", "daily", "--from", daily[0], "--to", daily[-1], "--source", str(source))
    for cadence in ("weekly", "monthly"):
        for key in sorted(p.name for p in (source / cadence).iterdir()):
            day = key if cadence == "weekly" else f"{key}-01"
            folio(env, "run", cadence, "--date", day, "--source", str(source))
    return f"sqlite:///{work / 'data' / 'folio.db'}"


def ranking(url: str) -> list[int]:
    from sqlalchemy import select

    from pipelines.db.engine import get_engine
    from pipelines.db.schema import leads
    from pipelines.leads.scoring import OPEN_STATUSES

    q = (
        select(leads.c.id)
        .where(leads.c.status.in_(OPEN_STATUSES))
        .order_by(leads.c.score.desc(), leads.c.lead_date.desc(), leads.c.id)
    )
    with get_engine(url).connect() as conn:
        return list(conn.execute(q).scalars())


def measure(url: str, label: str) -> dict:
    from sqlalchemy import func, select

    from pipelines.db.engine import get_engine
    from pipelines.db.schema import leads
    from pipelines.leads.previews import score_spread
    from pipelines.leads.scoring import OPEN_STATUSES, score_leads

    engine = get_engine(url)
    with engine.begin() as conn:
        score_leads(conn)  # tonight's scoring, as the lead_scoring job runs it
    first = ranking(url)
    with engine.begin() as conn:
        score_leads(conn)
    second = ranking(url)
    with engine.connect() as conn:
        spread = score_spread(conn)
        by_type = conn.execute(
            select(leads.c.lead_type, func.count(), func.avg(leads.c.score))
            .where(leads.c.status.in_(OPEN_STATUSES))
            .group_by(leads.c.lead_type)
            .order_by(leads.c.lead_type)
        ).all()
    spread["same_order_on_rerun"] = first == second
    print(f"\n{label}: {spread['open_leads']:,} open leads")
    for lead_type, n, mean in by_type:
        print(f"  {lead_type:<14} {n:>7,}  mean {mean:5.1f}")
    checks = [
        ("p10–p90 spread", f"{spread['spread_p10_p90']:.0f} points "
         f"(p10 {spread['p10']:.0f}, p50 {spread['p50']:.0f}, p90 {spread['p90']:.0f})",
         "≥ 40", spread["spread_p10_p90"] >= 40),
        ("scoring ≥ 90", f"{spread['share_90_or_more']:.2%}", "≤ 10%",
         spread["share_90_or_more"] <= 0.10),
        ("tied at the highest", f"{spread['share_tied_at_highest']:.2%} "
         f"(at {spread['highest']:.0f})", "≤ 1%", spread["share_tied_at_highest"] <= 0.01),
        ("same order on a re-run", str(spread["same_order_on_rerun"]), "True",
         spread["same_order_on_rerun"]),
    ]  # fmt: skip
    for name, got, target, ok in checks:
        print(f"  {name:<24} {got:<34} target {target:<6} {'met' if ok else 'NOT MET'}")
    return spread | {"all_met": all(ok for *_, ok in checks)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    sub.add_parser("demo")
    county = sub.add_parser("county")
    county.add_argument("--days", type=int, default=60)
    county.add_argument("--docs-per-day", type=int, default=1500)
    county.add_argument("--parcels", type=int, default=40_000)
    db = sub.add_parser("database")
    db.add_argument("--url", required=True)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="folio-scores-") as tmp:
        work = Path(tmp)
        if args.what == "demo":
            folio(scratch_env(work), "demo")
            url, label = f"sqlite:///{work / 'data' / 'folio.db'}", "demo"
        elif args.what == "county":
            url = generated_county(work, args.days, args.docs_per_day, args.parcels)
            label = f"generated county ({args.days} days × {args.docs_per_day} documents, "
            label += f"{args.parcels:,} parcels)"
        else:
            url, label = args.url, args.url
        os.environ["FOLIO_DATABASE_URL"] = url
        figures = measure(url, f"{label}, scored {clock.today().isoformat()}")
    if args.json:
        print(json.dumps(figures))
    raise SystemExit(0 if figures["all_met"] else 1)


if __name__ == "__main__":
    main()
