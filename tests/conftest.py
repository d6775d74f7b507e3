"""Shared fixtures: isolated settings per test, SQLite and (when reachable) PostgreSQL databases.

PostgreSQL tests skip with a reason on a machine without the server, and fail instead
when FOLIO_REQUIRE_SERVICES=1 (as in CI), so a missing service can never pass silently.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import create_engine, text

from pipelines.db.engine import get_engine
from pipelines.db.migrate import upgrade
from tests import clock as test_clock
from tests.clockhook.grpc_real_time import keep_grpc_on_real_time

# `postgresql://`, as users write it: Folio's own tables run on psycopg 3 (the default driver for
# it). Dagster's storage keeps psycopg2 (dagster-postgres): see `dagster_pg_url`.
PG_ADMIN_URL = os.environ.get("FOLIO_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def dagster_pg_url(url: str) -> str:
    """A test database's URL in the form dagster-postgres takes (psycopg2)."""
    return "postgresql+psycopg2://" + url.split("://", 1)[1]


REQUIRED = "FOLIO_REQUIRE_SERVICES"
REQUIRE_SERVICES = os.environ.get(REQUIRED) == "1"


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "clock_sensitive(*clocks): run once under each test clock (tests/clock.py), or those named",
    )
    # The machine's zone, for this process and its children: far from the county's.
    os.environ["TZ"] = test_clock.MACHINE_ZONE
    time.tzset()
    keep_grpc_on_real_time()


def pytest_report_header(config):
    return f"test clock: {test_clock.session_clock()}, machine zone {test_clock.MACHINE_ZONE}"


def pytest_generate_tests(metafunc):
    mark = metafunc.definition.get_closest_marker("clock_sensitive")
    if mark is not None:
        names = list(mark.args) or list(test_clock.CLOCKS)
        metafunc.fixturenames.append("clock_name")
        metafunc.parametrize("clock_name", names, indirect=True)


@pytest.fixture
def clock_name(request):
    return request.param


@pytest.fixture(autouse=True)
def frozen_clock(request, monkeypatch, isolated_settings):
    """Every test at a fixed instant that ticks (tests/clock.py): this process by time-machine,
    its Python children by the same offset (tests/clockhook), so all agree."""
    name = (
        request.getfixturevalue("clock_name")
        if "clock_name" in request.fixturenames
        else test_clock.session_clock()
    )
    target = test_clock.CLOCKS[name]
    for key, value in test_clock.child_env(target.timestamp() - time.time()).items():
        monkeypatch.setenv(key, value)
    with time_machine.travel(target, tick=True) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, monkeypatch):
    """Every test gets its own data folder; no FOLIO_* from the developer's shell leaks in."""
    for key in list(os.environ):
        if key.startswith("FOLIO_") and not key.startswith("FOLIO_TEST_") and key != REQUIRED:
            monkeypatch.delenv(key)
    monkeypatch.setenv("FOLIO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    # nor a developer's `.env` in the working directory (this one is never written)
    monkeypatch.setattr("pipelines.settings.ENV_FILE", str(tmp_path / "no.env"))
    (tmp_path / "dagster_home").mkdir()
    return tmp_path


def _pg_available() -> str | None:
    try:
        engine = create_engine(
            PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
        )
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {type(exc).__name__}"


def skip_or_fail(reason: str):
    """Skip on a machine without the service; fail where services are required (CI)."""
    if REQUIRE_SERVICES:
        pytest.fail(f"FOLIO_REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pg_server():
    reason = _pg_available()
    if reason:
        skip_or_fail(reason)
    return PG_ADMIN_URL


@pytest.fixture(scope="session")
def rabbitmq():
    """The local RabbitMQ broker URL (skips, or fails under FOLIO_REQUIRE_SERVICES=1)."""
    import socket

    host, port = "127.0.0.1", 5672
    try:
        socket.create_connection((host, port), timeout=3).close()
    except OSError as exc:
        skip_or_fail(f"RabbitMQ not reachable at {host}:{port}: {exc}")
    return f"pyamqp://guest:guest@{host}:{port}//"


@pytest.fixture
def pg_database(pg_server):
    """Makes empty PostgreSQL databases for one test (dropped afterwards); returns their URLs."""
    admin = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    made: list[str] = []

    def make() -> str:
        name = f"folio_test_{uuid.uuid4().hex[:12]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        return pg_server.rsplit("/", 1)[0] + f"/{name}"

    yield make
    get_engine.cache_clear()
    with admin.connect() as conn:
        for name in made:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def pg_url(pg_database):
    """A fresh, migrated PostgreSQL database for one test."""
    url = pg_database()
    upgrade(url)
    yield url
    get_engine(url).dispose()


@pytest.fixture
def sqlite_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'folio.db'}"
    upgrade(url)
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request):
    """The same test on SQLite and on PostgreSQL."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


@pytest.fixture
def sshd(tmp_path):
    """A real OpenSSH server on a free loopback port (skips, or fails under
    FOLIO_REQUIRE_SERVICES=1, when sshd is not installed)."""
    from tests.servers import SSHD, Sshd

    if SSHD is None:
        skip_or_fail("OpenSSH sshd is not installed (apt-get install openssh-server)")
    server = Sshd(tmp_path / "sshd").start()
    yield server
    server.stop()


@pytest.fixture
def poppler():
    """Checks a PDF with poppler: page 1 renders to a real PNG; returns the PDF's text."""
    if not (shutil.which("pdftoppm") and shutil.which("pdftotext")):
        skip_or_fail(
            "poppler's pdftoppm/pdftotext are not installed (apt-get install poppler-utils)"
        )

    def check(pdf: bytes, tmp: Path) -> str:
        """Render page 1 to PNG (it must be a real image) and return the PDF's text."""
        path = tmp / "check.pdf"
        path.write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(path), str(tmp / "page")],
            check=True,
        )
        png = next(tmp.glob("page*.png"))
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5_000
        text = subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
        )
        return text.stdout

    return check
