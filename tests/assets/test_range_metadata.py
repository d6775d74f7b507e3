"""A single-run backfill of three days: each partition's materialisation carries its own
counts (what the UI's partition view shows), not the range's totals."""

from tests.builders import doc, write_partition
from tests.dagster_helpers import run_daily

DAYS = ["2026-01-05", "2026-01-06", "2026-01-07"]


def test_each_partition_shows_its_own_counts(sqlite_url, tmp_path):
    src = tmp_path / "src"
    for n, day in enumerate(DAYS, start=1):  # 1, 2 and 3 documents (2, 4, 6 lines)
        ymd = day.replace("-", "")
        rows = [
            r
            for i in range(n)
            for r in doc(10 * n + i, ymd, "WD", "3040120010010", consideration_1="1")
        ]
        write_partition(src, day, {"OfficialRecords.exp": rows})
    result = run_daily(sqlite_url, src, DAYS, tmp_path / "landing")
    assert result.success
    staged = {
        m.partition: {k: v.value for k, v in m.materialization.metadata.items()}
        for m in result.get_asset_materialization_events()
        if m.asset_key.path == ["staged_official_records"]
    }
    assert sorted(staged) == DAYS
    assert [staged[d]["rows_read"] for d in DAYS] == [2, 4, 6]
    assert [staged[d]["rows_staged"] for d in DAYS] == [2, 4, 6]
    assert [staged[d]["partitions"] for d in DAYS] == DAYS
    raw = {
        m.partition: {k: v.value for k, v in m.materialization.metadata.items()}
        for m in result.get_asset_materialization_events()
        if m.asset_key.path == ["raw_official_records"]
    }
    sizes = [raw[d]["bytes"] for d in DAYS]
    assert sizes[0] < sizes[1] < sizes[2] and len({raw[d]["sha256"] for d in DAYS}) == 3
