"""Property: `properties` does not depend on partition order or batching, and matches a
plain-Python oracle of the merge rules (docs/domain.md#merge)."""

import tempfile
from datetime import date, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.db.migrate import upgrade
from tests.builders import doc, write_partition
from tests.flow import ingest, property_rows

DAYS = ["2026-01-05", "2026-01-06", "2026-01-07", "2026-01-08"]
FOLIOS = ["3040120010010", "3040120010020", "0140120010030"]
DEEDS = {"DEE", "WD", "QCD", "CTI"}

document = st.fixed_dictionaries(
    {
        "partitions": st.sets(
            st.integers(0, 3), min_size=1, max_size=2
        ),  # 2 = re-sent in a later file
        "days_before": st.integers(0, 4),
        "doc_type": st.sampled_from(["DEE", "WD", "QCD", "MOR", "SMO", "LIS"]),
        "folio": st.sampled_from(FOLIOS),
        "price": st.sampled_from(["", "100000", "$250,000.00"]),
        "address": st.sampled_from(["", "1 A ST", "2 B AVE"]),
    }
)


def oracle(docs):
    """For each folio, the fields each group of documents sets (latest by rec_date, cfn)."""
    out = {}
    for folio in FOLIOS:
        mine = [d for d in docs if d["folio"] == folio]
        if not mine:
            continue
        rank = lambda d: (d["rec_date"], d["cfn"])
        last = max(mine, key=rank)
        row = {
            "last_transaction_type": last["doc_type"],
            "last_transaction_cfn": last["cfn"],
            "owner_name": None,
            "last_sale_cfn": None,
            "address": None,
        }
        deeds = [d for d in mine if d["doc_type"] in DEEDS]
        if deeds:
            deed = max(deeds, key=rank)
            row.update(owner_name=deed["grantee"], last_sale_cfn=deed["cfn"])
        with_addr = [d for d in mine if d["address"]]
        if with_addr:
            row["address"] = max(with_addr, key=rank)["address"]
        out[folio] = row
    return out


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    docs=st.lists(document, min_size=1, max_size=12),
    order=st.permutations(range(4)),
    cuts=st.sets(st.integers(1, 3)),
)
def test_merge_is_order_and_batch_independent(docs, order, cuts):
    files: dict[int, list[str]] = {i: [] for i in range(4)}
    for seq, d in enumerate(docs, start=1):
        first = min(d["partitions"])
        rec = date.fromisoformat(DAYS[first]) - timedelta(days=d["days_before"])
        d.update(cfn=f"2026-{seq:07d}", rec_date=rec, grantee=f"OWNER {seq}")
        rows = doc(
            seq,
            rec.strftime("%Y%m%d"),
            d["doc_type"],
            d["folio"],
            grantee=d["grantee"],
            consideration_1=d["price"],
            address=d["address"],
        )
        for p in d["partitions"]:
            files[p] += rows
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for i, day in enumerate(DAYS):
            write_partition(
                tmp / "src",
                day,
                {"OfficialRecords.exp": files[i] or doc(999, "20250101", "SMO", "")},
            )
        keys = [DAYS[i] for i in order]
        batches = [keys[a:b] for a, b in zip([0, *sorted(cuts)], [*sorted(cuts), 4], strict=True)]
        results = []
        for name, plan in (("one_batch", [DAYS]), ("shuffled", batches)):
            url = f"sqlite:///{tmp / name}.db"
            upgrade(url)
            ingest(url, tmp / "src", plan, tmp / "landing")
            results.append(property_rows(url))
    assert results[0] == results[1]
    got = {
        f: {
            k: r[k]
            for k in (
                "last_transaction_type",
                "last_transaction_cfn",
                "owner_name",
                "last_sale_cfn",
                "address",
            )
        }
        for f, r in results[0].items()
    }
    assert got == oracle(docs)
