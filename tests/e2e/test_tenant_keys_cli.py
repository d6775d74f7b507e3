"""`folio tenants key issue | list | revoke` as an operator types them, at 80 columns."""

import json
import re
from functools import partial

from tests.cli import folio as run_folio

folio = partial(run_folio, columns=80, timeout=180)


def test_issue_list_and_revoke_keys_at_80_columns(tmp_path):
    assert folio("tenants", "add", "acme", cwd=tmp_path).returncode == 0
    issued = folio("tenants", "key", "issue", "acme", "--label", "zapier sync", cwd=tmp_path)
    assert issued.returncode == 0
    key = re.search(r"^API key \(X-API-Key; shown once\): (folio_\S+)$", issued.stdout, re.M)[1]
    assert issued.stdout.startswith("key 2 for acme\n")

    listed = folio("tenants", "key", "list", "acme", cwd=tmp_path)
    assert listed.returncode == 0
    assert all(len(line) <= 80 for line in listed.stdout.splitlines())
    assert f"{key[:10]}…" in listed.stdout and "zapier sync" in listed.stdout
    assert key not in listed.stdout  # a list never shows a whole key

    revoked = folio("tenants", "key", "revoke", "acme", "2", cwd=tmp_path)
    assert (revoked.returncode, revoked.stdout.strip()) == (0, "key 2 of acme revoked")
    again = folio("tenants", "key", "revoke", "acme", "2", cwd=tmp_path)
    assert (again.returncode, again.stdout.strip()) == (
        1,
        "error: no key 2 in use for this tenant (see `folio tenants key list`)",
    )
    rows = json.loads(folio("tenants", "key", "list", "acme", "--json", cwd=tmp_path).stdout)
    assert [(r["id"], r["label"], r["revoked_at"] is not None) for r in rows] == [
        (1, "first key", False),
        (2, "zapier sync", True),
    ]
    missing = folio("tenants", "key", "list", "nosuch", cwd=tmp_path)
    assert (missing.returncode, missing.stdout.strip()) == (
        1,
        "error: no tenant 'nosuch' (create it with `folio tenants add nosuch`)",
    )
