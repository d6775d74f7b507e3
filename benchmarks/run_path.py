"""The path operators run, timed as they meet it: `folio run daily` and `folio backfill daily`
as processes (wall time, peak RSS), interleaved in one benchmark run with the raw floor and
the naive loader of benchmarks/ingest.py on the same rows, each in a fresh PostgreSQL
database; then the run's steps from its Dagster events, so the next person sees where the
time goes.

    .venv/bin/python benchmarks/run_path.py [--rows 1000000] [--runs 2]
        [--big-rows 0] [--backfill-days 0 --rows-per-day 12000 --parcels 480000]
        [--pg-url postgresql+psycopg2://postgres@127.0.0.1:5432/postgres] [--sqlite]

Targets (issue 17): run daily ≤ 1.5× the floor and ≥ 5× faster than the naive loader;
peak RSS ≤ 1 GiB; a backfill ≤ 2× the floor for the same rows.

The figures in docs/performance.md came from:
    run_path.py --rows 1000000 --runs 2
    run_path.py --rows 0 --big-rows 10000000 --runs 1
    run_path.py --rows 0 --backfill-days 1305 --rows-per-day 12000 --runs 1
    run_path.py --rows 1000000 --runs 1 --sqlite
(`--rows 0` skips the 1M-row scenario; `--big-rows` and the backfill skip the naive loader,
which would take minutes per million rows.)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))

import ingest as core  # noqa: E402 - benchmarks/ingest.py: the floor and the naive loader

from pipelines.county.samples import generate_day, new_state  # noqa: E402

print = core.print  # noqa: A001 - flushed progress lines
FOLIO = [sys.executable, "-m", "pipelines.cli"]
# The backfill: `--from 2021-11-22 --to 2026-11-20` is 1,305 business days. The
# daily partitions then start in 2021 (FOLIO_DAILY_START_DATE, set for every folio process).
BACKFILL_END = date(2026, 11, 20)
DAILY_START = "2021-01-01"


def business_days(last: date, n: int) -> list[date]:
    out, day = [], last
    while len(out) < n:
        if day.weekday() < 5:
            out.append(day)
        day -= timedelta(days=1)
    return sorted(out)


def write_days(root: Path, days: list[date], rows_per_day: int, parcels: int = 0) -> Path:
    """Every daily file for each day (OfficialRecords at about `rows_per_day` lines); returns
    the concatenated OfficialRecords (what the floor loads for the same rows)."""
    state = new_state(seed=11, parcels=parcels or max(rows_per_day // 4, 1000))
    root.mkdir(parents=True, exist_ok=True)
    everything = root / "all_official_records.exp"
    with everything.open("wb") as out:
        for day in days:
            files = generate_day(state, day, docs=max(int(rows_per_day / 2.2), 10))
            folder = root / "daily" / day.isoformat()
            folder.mkdir(parents=True, exist_ok=True)
            for name, data in files.items():
                (folder / name).write_bytes(data)
            out.write(files["OfficialRecords.exp"])
    return everything


def _high_water_mib(pid: int) -> float | None:
    """The process's own peak RSS so far (VmHWM). Not `wait4`'s ru_maxrss: that one keeps the
    high-water mark of the forking parent (this benchmark, which holds the generated data)."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def timed_process(args: list[str], env: dict, cwd: Path) -> tuple[float, float, str]:
    """(seconds, peak RSS in MiB, output) of one process, start to exit. The peak is sampled
    every 50 ms (VmHWM only grows, so the last sample is the peak up to 50 ms before exit)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        args, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    peak = [0.0]

    def sample() -> None:
        while proc.poll() is None:
            hwm = _high_water_mib(proc.pid)
            if hwm:
                peak[0] = max(peak[0], hwm)
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out = proc.stdout.read()
    proc.wait()
    elapsed = time.perf_counter() - t0
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{out[-2000:]}")
    return elapsed, peak[0], out


def steps(home: Path) -> list[tuple[str, float]]:
    os.environ["DAGSTER_HOME"] = str(home)
    from dagster import DagsterInstance

    instance = DagsterInstance.get()
    [run] = instance.get_runs(limit=1)
    stats = instance.get_run_step_stats(run.run_id)
    out = [(s.step_key, s.end_time - s.start_time) for s in stats if s.end_time and s.start_time]
    instance.dispose()
    return sorted(out, key=lambda x: -x[1])


def folio_process(args: list[str], db_url: str, work: Path) -> tuple[float, float, list]:
    home = work / f"dagster_{time.monotonic_ns()}"
    home.mkdir()
    env = {
        **os.environ,
        "FOLIO_DATABASE_URL": db_url,
        "DAGSTER_HOME": str(home),
        "FOLIO_DATA_DIR": str(work / "data"),
        "FOLIO_DAILY_START_DATE": DAILY_START,
        "COLUMNS": "100",
    }
    subprocess.run(
        [*FOLIO, "db", "upgrade"], env=env, cwd=work, check=True, capture_output=True
    )  # the schema, as a deployment has it
    seconds, rss, _ = timed_process([*FOLIO, *args], env, work)
    return seconds, rss, steps(home)


def sqlite_scenario(name, n_lines, folio_args, runs, work) -> dict:
    """The same `folio` command on the embedded SQLite (no floor: it is a PostgreSQL COPY)."""
    results: dict[str, list] = {"floor": [], "folio": [], "naive": [], "rss": []}
    for i in range(runs):
        url = f"sqlite:///{work / f'folio-{time.monotonic_ns()}.db'}"
        seconds, rss, breakdown = folio_process(folio_args, url, work)
        results["folio"].append(seconds)
        results["rss"].append(rss)
        print(f"{name} run {i + 1}: folio {seconds:.1f} s, rss {rss:.1f} MiB")
    return {**results, "breakdown": breakdown, "lines": n_lines}


def scenario(name, path, n_lines, folio_args, runs, pg_url, work, naive=True) -> dict:
    results: dict[str, list] = {"floor": [], "folio": [], "naive": [], "rss": []}
    breakdown = []
    for i in range(runs):
        for what in ("floor", "folio", "naive") if naive else ("floor", "folio"):
            db = core.Database(pg_url)
            try:
                if what == "floor":
                    results["floor"].append(core.floor(path, db.url))
                elif what == "naive":
                    results["naive"].append(core.naive(path, db.url))
                else:
                    seconds, rss, breakdown = folio_process(folio_args, db.url, work)
                    results["folio"].append(seconds)
                    results["rss"].append(rss)
            finally:
                db.drop()
        print(
            f"{name} run {i + 1}: "
            + ", ".join(
                f"{k} {v[-1]:.1f}{' MiB' if k == 'rss' else ' s'}" for k, v in results.items() if v
            )
        )
    results["breakdown"] = breakdown
    results["lines"] = n_lines
    return results


def report(name: str, r: dict) -> None:
    print(f"\n## {name}: {r['lines']:,} OfficialRecords lines")
    print(f"{'path':<38}" + "".join(f"{'run ' + str(i + 1):>10}" for i in range(len(r["folio"]))))
    rows = [
        ("raw floor (s)", r["floor"]),
        ("folio process (s)", r["folio"]),
        ("naive loader (s)", r["naive"]),
        ("folio peak RSS (MiB)", r["rss"]),
    ]
    for label, values in rows:
        if values:
            print(f"{label:<38}" + "".join(f"{v:>10.1f}" for v in values))
    ratios = [f / a for f, a in zip(r["folio"], r["floor"], strict=False)]
    if ratios:
        print(f"{'folio / floor':<38}" + "".join(f"{x:>10.2f}" for x in ratios))
    if r["naive"]:
        faster = [n / f for n, f in zip(r["naive"], r["folio"], strict=False)]
        print(f"{'naive / folio':<38}" + "".join(f"{x:>10.2f}" for x in faster))
    print("slowest steps of the last folio run:")
    for key, seconds in r["breakdown"][:8]:
        print(f"  {key:<40}{seconds:>8.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--big-rows", type=int, default=0, help="one OfficialRecords file this big")
    ap.add_argument("--backfill-days", type=int, default=0)
    ap.add_argument("--rows-per-day", type=int, default=12_000)
    ap.add_argument("--parcels", type=int, default=480_000, help="distinct folios (backfill)")
    ap.add_argument("--pg-url", default="postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
    ap.add_argument(
        "--sqlite", action="store_true", help="`folio run daily` of --rows on SQLite instead"
    )
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        results = {}
        for label, rows, naive in (
            ("run daily", args.rows, True),
            ("run daily, one big file", args.big_rows, False),
        ):
            if not rows:
                continue
            single = work / f"single{rows}"
            t = time.perf_counter()
            path = write_days(single, [core.DAY], rows)
            n = count_lines(path)
            print(
                f"generated {n:,} OfficialRecords lines ({path.stat().st_size / 1e6:.1f} MB) "
                f"in {time.perf_counter() - t:.0f} s"
            )
            daily = ["run", "daily", "--date", core.DAY.isoformat(), "--source", str(single)]
            if args.sqlite:
                results[f"folio {label} (SQLite)"] = sqlite_scenario(
                    label, n, daily, args.runs, work
                )
                continue
            results[f"folio {label}"] = scenario(
                label, path, n, daily, args.runs, args.pg_url, work, naive=naive
            )
        if args.backfill_days:
            days = business_days(BACKFILL_END, args.backfill_days)
            many = work / "many"
            t = time.perf_counter()
            path = write_days(many, days, args.rows_per_day, args.parcels)
            n = count_lines(path)
            print(
                f"generated {len(days)} days, {n:,} OfficialRecords lines "
                f"({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.0f} s"
            )
            fill = backfill_args(days, many)
            results[f"folio backfill daily ({len(days)} days)"] = scenario(
                "backfill", path, n, fill, args.runs, args.pg_url, work, naive=False
            )
        for name, r in results.items():
            report(name, r)


def backfill_args(days: list[date], source: Path) -> list[str]:
    """`folio backfill daily` over these days from `source`."""
    first, last = days[0].isoformat(), days[-1].isoformat()
    return ["backfill", "daily", "--from", first, "--to", last, "--source", str(source)]


def count_lines(path: Path) -> int:
    n = 0
    with path.open("rb") as fh:
        while block := fh.read(1 << 24):
            n += block.count(b"\n")
    return n


if __name__ == "__main__":
    main()
