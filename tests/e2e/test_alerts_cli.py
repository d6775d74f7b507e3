"""Setting up alerts from the command line: tenants, subscribers, criteria, a listing file,
processing, and reading the result back, in separate `folio` processes as a user would."""

import json
import re
from functools import partial

from pipelines.calendar import last_complete_business_day
from tests.cli import folio as run_folio
from tests.listing_helpers import HEADER

folio = partial(run_folio, columns=200, timeout=180)


def test_set_up_submit_process_and_inspect(tmp_path):
    made = folio("tenants", "add", "acme", "--name", "Acme Realty", cwd=tmp_path)
    assert made.returncode == 0 and re.search(
        r"API key \(X-API-Key; shown once\): folio_\S+", made.stdout
    )
    assert (
        folio("tenants", "add", "acme", cwd=tmp_path).stdout.strip()
        == "error: tenant 'acme' already exists"
    )
    assert (
        "subscriber 1 (ann@acme.example) added to acme"
        in folio(
            "subscribers",
            "add",
            "--tenant",
            "acme",
            "--email",
            "ann@acme.example",
            "--name",
            "Ann",
            cwd=tmp_path,
        ).stdout
    )
    bad = folio(
        "criteria",
        "set",
        "--tenant",
        "acme",
        "--subscriber",
        "1",
        "--min-score",
        "140",
        "--zip",
        "33",
        "--channel",
        "fax",
        cwd=tmp_path,
    )
    assert bad.returncode == 1
    assert "min_score: Input should be less than or equal to 100" in bad.stdout
    assert "zip_codes: Value error, zip codes are 5 digits: ['33']" in bad.stdout
    assert "channels.0: Input should be 'email', 'sms', 'voice' or 'webhook'" in bad.stdout
    ok = folio(
        "criteria",
        "set",
        "--tenant",
        "acme",
        "--subscriber",
        "1",
        "--min-score",
        "40",
        "--city",
        "miami",
        cwd=tmp_path,
    )
    assert ok.returncode == 0 and '"cities":["MIAMI"]' in ok.stdout
    assert (
        folio(
            "criteria", "set", "--tenant", "acme", "--subscriber", "9", cwd=tmp_path
        ).stdout.strip()
        == "error: no subscriber 9 in this tenant"
    )

    feed = tmp_path / "feed.csv"
    feed.write_text(
        HEADER + "\nF1,1 Main St,Miami,33125,200000,sale,3,2,1500,2016,2000,,2026-11-20\n"
        "F2,2 Main St,Miami,33125,abc,sale,3,2,1500,2016,2000,,2026-11-20\n"
    )
    added = folio("listings", "add", str(feed), "--tenant", "acme", cwd=tmp_path)
    assert added.returncode == 0
    assert "feed.csv: 1 created, 0 updated, 0 unchanged, 1 quarantined" in added.stdout
    assert "line 3: price: Input should be a valid decimal" in added.stdout
    rejects = folio("listings", "quarantine", "--tenant", "acme", cwd=tmp_path).stdout
    assert (
        "feed.csv" in rejects
        and "│ 3 " in rejects
        and "price: Input should be a valid decimal" in rejects
    )
    processed = folio("tick", "--until-idle", "--json", cwd=tmp_path)
    assert processed.returncode == 0, processed.stdout + processed.stderr
    runs = {k: len(v) for k, v in json.loads(processed.stdout)["runs"].items() if v}
    # Welcome emails and the listing's alert leave in one delivery run or two, depending on
    # whether the listing run finished before the outbox sensor's first look.
    assert runs.pop("new_listings_sensor") == 1 and runs.pop("email_outbox_sensor") in (1, 2)
    assert runs == {}
    # The cursors live in the Dagster instance: a second tick finds nothing to do.
    again = folio("tick", cwd=tmp_path)
    assert again.returncode == 0
    assert again.stdout.strip() == "1 round(s); runs launched: none (nothing to do)"
    assert folio("alerts", "run", cwd=tmp_path).stdout.strip().endswith("nothing to do)")
    # A listing report, requested, built by the next tick, saved.
    asked = folio("reports", "request", "--tenant", "acme", "--listing", "1", cwd=tmp_path)
    assert asked.returncode == 0 and "report request 1 queued" in asked.stdout
    assert "report_requests 1" in folio("tick", cwd=tmp_path).stdout
    shown = folio(
        "reports", "show", "1", "--tenant", "acme", "--out", str(tmp_path / "r.pdf"), cwd=tmp_path
    )
    assert shown.returncode == 0, shown.stdout + shown.stderr
    view = json.loads(shown.stdout[: shown.stdout.rindex("}") + 1])
    assert view["state"] == "ready" and (tmp_path / "r.pdf").stat().st_size == view["bytes"]
    refused = folio("reports", "request", "--tenant", "acme", "--listing", "9", cwd=tmp_path)
    assert (
        refused.returncode == 1 and refused.stdout.strip() == "error: no listing 9 in your tenant"
    )
    export = folio(
        "leads", "export", "--tenant", "acme", "--format", "csv", "--out", "l.csv", cwd=tmp_path
    )
    assert export.stdout.strip() == "wrote 0 lead(s) to l.csv"  # no lead matched acme
    # No digest-only subscriber: the digest run queues nothing, and says so.
    day = last_complete_business_day().isoformat()
    digest = folio("run", "digest", "--date", day, cwd=tmp_path)
    assert digest.returncode == 0, digest.stdout + digest.stderr
    assert f"0 digest email(s) for {day} in the outbox" in " ".join(digest.stdout.split())
    shown = json.loads(folio("listings", "show", "1", "--tenant", "acme", cwd=tmp_path).stdout)
    assert shown["score"]["score"] == 51 and shown["alerts"] == [
        {
            "subscriber_id": 1,
            "channel": "email",
            "state": "sent",
            "attempts": 1,
            "sent_at": shown["alerts"][0]["sent_at"],
        }
    ]
    listed = folio("outbox", "list", cwd=tmp_path).stdout
    assert "listing 1" in listed and "welcome 1" in listed
    assert (
        folio("outbox", "resolve", "1", "--as", "sent", cwd=tmp_path).stdout.strip()
        == "error: notification 1 is not in state unknown"
    )
