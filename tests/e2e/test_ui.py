"""The Dagster UI as an operator sees it: webserver + daemon on a free port, pages rendered in
headless Chromium, screenshots saved under test-output/ui/."""

import json
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from pipelines.control.instance import get_instance
from pipelines.control.runner import run_partitions
from pipelines.db.migrate import upgrade
from tests.builders import doc, write_partition
from tests.conftest import skip_or_fail
from tests.servers import free_port, stop_processes

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BIN = Path(sys.executable).parent
OUT = ROOT / "test-output" / "ui"


@pytest.fixture
def chromium():
    if CHROMIUM is None:
        skip_or_fail("Debian chromium is not installed (apt-get install chromium)")
    return CHROMIUM


def render(chromium: str, url: str, profile: Path, screenshot: Path | None = None) -> str:
    flags = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=20000",
        "--window-size=1600,1000",
    ]
    if screenshot:
        subprocess.run(
            [*flags, f"--screenshot={screenshot}", url], capture_output=True, timeout=120
        )
    return subprocess.run(
        [*flags, "--dump-dom", url], capture_output=True, text=True, timeout=120
    ).stdout


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(url)


def test_asset_graph_and_run_page(chromium, tmp_path, monkeypatch):
    src = tmp_path / "src"
    write_partition(
        src,
        "2026-01-05",
        {"OfficialRecords.exp": doc(1, "20260105", "WD", "3040120010010", consideration_1="1")},
    )
    monkeypatch.setenv("FOLIO_SOURCE_URL", str(src))
    upgrade(f"sqlite:///{tmp_path / 'data' / 'folio.db'}")
    run_id = run_partitions(get_instance(), "daily", ["2026-01-05"]).run_id
    port = free_port()
    procs = [
        subprocess.Popen(
            [
                str(BIN / "dagster-webserver"),
                "-w",
                str(ROOT / "workspace.yaml"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
            ],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
        subprocess.Popen(
            [str(BIN / "dagster-daemon"), "run", "-w", str(ROOT / "workspace.yaml")],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
    ]
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(f"{base}/server_info")
        OUT.mkdir(parents=True, exist_ok=True)
        graph = render(
            chromium,
            f"{base}/locations/folio/asset-groups/daily_ingestion",
            tmp_path / "p1",
            OUT / "asset-graph.png",
        )
        for asset in (
            "raw_official_records",
            "staged_official_records",
            "staged_cases",
            "properties",
        ):
            assert asset in graph
        alerts = render(
            chromium,
            f"{base}/locations/folio/asset-groups/alerts",
            tmp_path / "p3",
            OUT / "alerts-graph.png",
        )
        for asset in ("listing_scores", "alert_matches", "notifications"):
            assert asset in alerts
        run_page = render(chromium, f"{base}/runs/{run_id}", tmp_path / "p2", OUT / "run.png")
        assert run_id in run_page and "Success" in run_page
        assert (OUT / "asset-graph.png").stat().st_size > 10_000
        # With the daemon up, `folio health` sees its heartbeats.
        deadline, daemon_ok = time.time() + 90, False
        while time.time() < deadline and not daemon_ok:
            proc = subprocess.run(
                [sys.executable, "-m", "pipelines.cli", "health", "--json"],
                capture_output=True,
                text=True,
                cwd=tmp_path,
                timeout=120,
            )
            daemon_ok = any(
                c["name"] == "daemon" and c["ok"] for c in json.loads(proc.stdout)["checks"]
            )
            time.sleep(0 if daemon_ok else 3)
        assert daemon_ok
    finally:
        stop_processes(procs)
