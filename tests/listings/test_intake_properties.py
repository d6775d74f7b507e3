"""Property-based tests for listing intake: a CSV of valid listings reads back exactly; any
bytes in any supported format either read (every record accounted for) or fail with a
FileFormatError naming the file, never another exception."""

import csv
import io
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.listings.model import validate
from pipelines.listings.readers import FileFormatError, read_records
from tests.listing_helpers import HEADER

COLUMNS = HEADER.split(",")
text_value = (
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=3, max_size=40)
    .map(str.strip)
    .filter(lambda s: len(s) >= 3)
)

listing = st.fixed_dictionaries(
    {
        "external_id": st.text(alphabet="ABCDEFGHJK0123456789-", min_size=1, max_size=12),
        "address": text_value,
        "city": text_value,
        "zip": st.from_regex(r"\A[0-9]{5}\Z"),
        "price": st.decimals(min_value=Decimal("1"), max_value=Decimal("99999999"), places=2),
        "listing_type": st.sampled_from(["sale", "rent", "auction", "foreclosure"]),
        "bedrooms": st.none() | st.integers(0, 12),
        "bathrooms": st.none(),
        "sqft": st.none() | st.integers(1, 50_000),
        "year_built": st.none() | st.integers(1800, 2025),
        "estimated_rent": st.none()
        | st.decimals(min_value=Decimal("0"), max_value=Decimal("99999"), places=2),
        "folio": st.none() | st.from_regex(r"\A[0-9]{13}\Z"),
        "listed_at": st.dates().map(lambda d: d.isoformat()),
    }
)


def _csv(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return out.getvalue().encode()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(listing, min_size=1, max_size=15))
def test_csv_round_trip(rows):
    records = read_records(Path("feed.csv"), _csv(rows))
    assert len(records) == len(rows)
    for rec, row in zip(records, rows, strict=True):
        item, error = validate(rec.values)
        assert error is None, error
        assert item.external_id == row["external_id"] and item.zip == row["zip"]
        assert item.price == row["price"] and item.city == row["city"].strip()
        assert item.sqft == row["sqft"] and item.folio == row["folio"]


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=400), suffix=st.sampled_from([".csv", ".json", ".jsonl", ".xlsx"]))
def test_any_bytes_read_or_fail_clearly(data, suffix):
    try:
        records = read_records(Path("in" + suffix), data)
    except FileFormatError as exc:
        assert str(exc).startswith("in" + suffix)
        return
    for (
        rec
    ) in records:  # each record is a value to validate or an error to quarantine, with its line
        assert rec.line_no >= 1 and (rec.values is None) == (rec.error is not None)
        if rec.values is not None:
            item, error = validate(rec.values)
            assert (item is None) != (error is None)
