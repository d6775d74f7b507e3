"""A report requested over HTTP, built by its run, polled, emailed and downloaded through the
signed link, against a real `folio serve`; a failed build says why and a new request works;
another tenant sees nothing."""

import hashlib
import re
import time
from email import message_from_bytes, policy
from urllib.parse import urlsplit

import httpx
from dagster import DagsterInstance

from pipelines.control.runner import tick_sensor
from pipelines.db.engine import get_engine
from pipelines.listings.scoring import RuleScorer, score_listings
from pipelines.notify.links import make_token
from pipelines.settings import get_settings
from tests.listing_helpers import add_listings, listing, tenant_with_subscribers
from tests.servers import folio_serve


def test_request_build_poll_email_download(sqlite_url, tmp_path, monkeypatch, poppler):
    monkeypatch.setenv("FOLIO_DATABASE_URL", sqlite_url)
    a, (sub,), key_a = tenant_with_subscribers(sqlite_url, "tenant-a", [{}])
    _, _, key_b = tenant_with_subscribers(sqlite_url, "tenant-b", [])
    add_listings(sqlite_url, a, [listing("L1"), listing("L2")])
    engine = get_engine(sqlite_url)
    score_listings(engine, RuleScorer(), get_settings(), 0, 1)  # L2 stays unscored
    instance = DagsterInstance.get()
    with folio_serve(sqlite_url, tmp_path) as base, httpx.Client(base_url=base) as http:
        a_hdr, b_hdr = {"X-API-Key": key_a}, {"X-API-Key": key_b}
        bad = http.post("/reports", json={"kind": "listing", "format": "csv"}, headers=a_hdr)
        assert bad.status_code == 422
        assert "listing_id is required" in bad.text
        foreign = http.post(
            "/reports", json={"kind": "listing", "format": "pdf", "listing_id": 1}, headers=b_hdr
        )
        assert foreign.status_code == 422
        assert foreign.json()["detail"][0]["loc"] == ["body", "listing_id"]
        asked = http.post(
            "/reports",
            json={"kind": "listing", "format": "pdf", "listing_id": 1, "subscriber_id": sub},
            headers=a_hdr,
        )
        assert asked.status_code == 202 and asked.json() == {"id": 1, "state": "queued"}
        unscored = http.post(
            "/reports", json={"kind": "listing", "format": "pdf", "listing_id": 2}, headers=a_hdr
        ).json()["id"]
        assert http.get("/reports/1", headers=b_hdr).status_code == 404

        built = tick_sensor(instance, "report_requests_sensor", None)
        assert [r.success for r in built.runs] == [True, False]
        assert "has no score yet" in built.runs[1].error
        failed = http.get(f"/reports/{unscored}", headers=a_hdr).json()
        assert (failed["state"], failed["attempts"]) == ("failed", 1)
        assert "listing 2 has no score yet" in failed["error"]
        ready = http.get("/reports/1", headers=a_hdr).json()
        assert (ready["state"], ready["progress"]) == ("ready", 100)

        # The report_ready email carries a link that downloads exactly the stored bytes.
        sent = tick_sensor(instance, "email_outbox_sensor", None)
        assert all(r.success for r in sent.runs)
        eml = tmp_path / "data" / "outbox" / "email" / f"email_s{sub}_report_1.eml"
        mail = message_from_bytes(eml.read_bytes(), policy=policy.default)
        assert mail["Subject"] == "Your Folio listing report is ready (PDF)"
        link = re.search(
            r"https?://\S+/r/[\w\-]+\.[\w\-]+", mail.get_body(("plain",)).get_content()
        )
        path = urlsplit(link.group(0)).path
        pdf = http.get(path)
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        assert hashlib.sha256(pdf.content).hexdigest() == ready["sha256"]
        assert len(pdf.content) == ready["bytes"]
        assert "Investment report" in poppler(pdf.content, tmp_path)
        assert http.get(f"{base}{path[:-3]}xyz").status_code == 403  # tampered
        expired = make_token("report", 1, sub, a["id"], now=time.time() - 40 * 86400)
        assert http.get(f"/r/{expired}").status_code == 403
        assert http.get(f"/r/{make_token('report', 1, 0, 999)}").status_code == 404  # not theirs
        # The API's own URL works too.
        assert http.get(urlsplit(ready["url"]).path).content == pdf.content

        # Scored now: asking again builds it.
        score_listings(engine, RuleScorer(), get_settings())
        again = http.post(
            "/reports", json={"kind": "listing", "format": "pdf", "listing_id": 2}, headers=a_hdr
        ).json()["id"]
        assert [r.success for r in tick_sensor(instance, "report_requests_sensor", "2").runs] == [
            True
        ]
        assert http.get(f"/reports/{again}", headers=a_hdr).json()["state"] == "ready"
