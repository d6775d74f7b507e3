"""Dagster's conventions in the UI, checked on the loaded definitions: every asset has owners,
a code reference and a description; a run carries at most 4 `folio/*` tags; and loading the
code location, as its code server does, prints no beta or preview notice
(docs/decisions.md#dagster-conventions)."""

import json
import subprocess
import sys
from pathlib import Path

from pipelines.control.runner import retry_tags
from pipelines.location.definitions import OWNERS_BY_GROUP, defs
from pipelines.location.jobs import JOB_TAG_KEYS
from sensors.orphaned_runs import process_tags

ROOT = Path(__file__).resolve().parents[2]
MAX_FOLIO_TAGS = 4


def _folio(tags) -> set[str]:
    return {k for k in tags if k.startswith("folio/")}


def _jobs():
    return [j for j in defs.resolve_all_job_defs() if not j.name.startswith("__")]


def test_every_asset_has_owners_a_code_reference_and_a_description():
    specs = list(defs.resolve_all_asset_specs())
    assert len(specs) == 33
    for spec in specs:
        name = spec.key.to_user_string()
        assert spec.owners, name
        assert spec.owners == OWNERS_BY_GROUP[spec.group_name], name
        refs = spec.metadata["dagster/code_references"].code_references
        assert refs and all(Path(r.file_path).is_file() and r.line_number for r in refs), name
        assert Path(refs[0].file_path).resolve().parent == ROOT / "assets", name
        assert spec.description and len(spec.description) > 40, name


def test_a_job_sets_its_family_and_at_most_one_tag_a_limit_reads():
    for job in _jobs():
        tags = _folio(job.tags)
        assert "folio/family" in tags, job.name
        assert tags - {"folio/family"} <= set(JOB_TAG_KEYS) and len(tags) <= 2, job.name
        assert {"priority", "retry"} <= set(job.metadata), job.name


def test_a_run_the_daemon_or_the_cli_launches_carries_at_most_four_folio_tags():
    for job in _jobs():
        queued = dict(job.tags)  # a schedule's, or a CLI run submitted to the run queue
        retried = {**queued, **retry_tags({**queued, **process_tags()}, "run-1")}  # submitted
        in_process = {**queued, **process_tags()}  # `folio run`, `folio backfill`, no daemon
        for tags in (queued, retried, in_process):
            assert len(_folio(tags)) <= MAX_FOLIO_TAGS, (job.name, sorted(_folio(tags)))


def test_a_run_retried_in_process_carries_at_most_four_folio_tags():
    """family, cadence or channel, retry_of and the one process tag (host:pid)."""
    for job in _jobs():
        first = {**job.tags, **process_tags()}
        retry = {**job.tags, **retry_tags(first, "run-1"), **process_tags()}
        assert len(_folio(retry)) <= MAX_FOLIO_TAGS, (job.name, sorted(_folio(retry)))


# Loads the code location in a fresh process, as `dagster dev`'s code server does, with every
# warning recorded (the code's own filters, installed as it loads, still apply).
_LOAD = """
import json, warnings
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    from pipelines.location.definitions import defs
    defs.get_repository_def()
print(json.dumps([[w.category.__name__, str(w.message)[:200]] for w in caught]))
"""


def test_loading_the_definitions_emits_no_beta_or_preview_warning():
    proc = subprocess.run(
        [sys.executable, "-c", _LOAD], cwd=ROOT, capture_output=True, text=True, timeout=180
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    caught = json.loads(proc.stdout.strip().splitlines()[-1])
    notices = [w for w in caught if w[0] in ("BetaWarning", "PreviewWarning")]
    assert notices == []
    # Nor a deprecated Dagster API (Dagster's are plain DeprecationWarnings; other libraries'
    # own subclasses, e.g. SQLAlchemy's, are theirs to fix and `dagster dev` does not print them).
    assert [w for w in caught if w[0] == "DeprecationWarning"] == []
