"""`folio runs list/show/cancel/retry` against the instance the CLI records its runs in."""

import os
from functools import partial

from pipelines.control.instance import get_instance
from pipelines.location.definitions import defs
from tests.builders import doc, write_partition
from tests.cli import folio as run_folio

folio = partial(run_folio, columns=220)


def test_list_show_retry_and_cancel(tmp_path, monkeypatch):
    src = tmp_path / "src"
    write_partition(
        src,
        "2026-01-05",
        {"OfficialRecords.exp": doc(1, "20260105", "WD", "3040120010010", consideration_1="1")},
    )
    ran = folio("run", "daily", "--date", "2026-01-05", "--source", str(src), cwd=tmp_path)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    run_id = ran.stdout.split("run ", 1)[1].split(" ", 1)[0]
    listed = folio("runs", "list", "--job", "daily_ingestion", cwd=tmp_path)
    assert run_id in listed.stdout and "SUCCESS" in listed.stdout and "2026-01-05" in listed.stdout
    shown = folio("runs", "show", run_id, cwd=tmp_path)
    assert shown.returncode == 0 and "status SUCCESS" in shown.stdout
    assert (
        "staged_official_records" in shown.stdout and "1/3" in shown.stdout
    )  # attempts of max attempts
    monkeypatch.setenv("FOLIO_SOURCE_URL", str(src))
    retried = folio("runs", "retry", run_id, cwd=tmp_path)
    assert retried.returncode == 0 and "succeeded" in retried.stdout
    # A run that has not started yet can be canceled.
    instance = get_instance()
    pending = instance.create_run_for_job(defs.resolve_job_def("lead_scoring"), run_config={})
    canceled = folio("runs", "cancel", pending.run_id, cwd=tmp_path)
    assert canceled.returncode == 0 and "CANCELED" in canceled.stdout
    assert instance.get_run_by_id(pending.run_id).status.value == "CANCELED"
    again = folio("runs", "cancel", run_id, cwd=tmp_path)
    assert again.returncode == 1 and "is SUCCESS: nothing to cancel" in again.stdout
    missing = folio("runs", "show", "nope", cwd=tmp_path)
    assert missing.returncode == 1 and "no run nope" in missing.stdout
    assert len(folio("runs", "list", cwd=tmp_path).stdout.split("SUCCESS")) - 1 == 2


def test_source_travels_as_run_config_and_a_retry_reads_there_again(tmp_path):
    src = tmp_path / "elsewhere"
    write_partition(
        src,
        "2026-01-05",
        {"OfficialRecords.exp": doc(1, "20260105", "WD", "3040120010010", consideration_1="1")},
    )
    before = dict(os.environ)
    ran = folio("run", "daily", "--date", "2026-01-05", "--source", str(src), cwd=tmp_path)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert dict(os.environ) == before  # nothing leaks through the environment
    run_id = ran.stdout.split("run ", 1)[1].split(" ", 1)[0]
    instance = get_instance()
    wanted = {"file_source": {"config": {"url": str(src.resolve())}}}
    assert instance.get_run_by_id(run_id).run_config["resources"] == wanted
    # No FOLIO_SOURCE_URL: the default folder (data/source) does not exist, yet the retry
    # reads the files from where the first run did.
    assert "FOLIO_SOURCE_URL" not in os.environ
    retried = folio("runs", "retry", run_id, cwd=tmp_path)
    assert retried.returncode == 0, retried.stdout + retried.stderr
    retry_id = retried.stdout.split("retried as ", 1)[1].split(":", 1)[0]
    retry = instance.get_run_by_id(retry_id)
    assert (
        retry.run_config["resources"] == wanted and retry.tags["dagster/partition"] == "2026-01-05"
    )
