"""/docs in headless Chromium through a real `folio serve`, with every other host unresolvable:
the vendored Swagger UI runs, reads /openapi.json and lists the operations, so nothing it needs
comes from a CDN."""

from __future__ import annotations

import subprocess

from pipelines.db.migrate import upgrade
from tests.e2e.test_ui import OUT, chromium  # noqa: F401 - the chromium fixture
from tests.servers import folio_serve


def test_docs_render_offline(chromium, tmp_path):  # noqa: F811
    url = f"sqlite:///{tmp_path / 'folio.db'}"
    upgrade(url)
    OUT.mkdir(parents=True, exist_ok=True)
    with folio_serve(url, tmp_path) as base:
        flags = [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            f"--user-data-dir={tmp_path / 'profile'}",
            # any host but this server's is unreachable: a CDN file would not load
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--virtual-time-budget=20000",
            "--window-size=1600,1000",
        ]
        subprocess.run(
            [*flags, f"--screenshot={OUT / 'api-docs.png'}", f"{base}/docs"],
            capture_output=True,
            timeout=120,
        )
        dom = subprocess.run(
            [*flags, "--dump-dom", f"{base}/docs"], capture_output=True, text=True, timeout=120
        ).stdout
    assert "swagger-ui" in dom and "Folio intake" in dom, dom[:2000]
    for path in ("/listings", "/leads/{lead_id}", "/lookups", "/queues", "/verify/check"):
        assert f'data-path="{path}"' in dom, path
    assert 'data-path="/billing/stripe"' not in dom and 'data-path="/l/{token}"' not in dom
    assert "Authorize" in dom  # the security schemes
