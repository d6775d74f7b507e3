"""Hand-built county lines for tests: name the fields you care about, the rest stay empty."""

from __future__ import annotations

from pathlib import Path

from pipelines.db.schema.layouts import get_layout


def line(file_type: str, **values) -> str:
    layout = get_layout(file_type)
    unknown = set(values) - {c.name for c in layout.columns}
    assert not unknown, f"unknown columns {unknown}"
    return "^".join(str(values.get(c.name, "")) for c in layout.columns)


def doc(
    seq: int,
    rec_date: str,
    doc_type: str,
    folio: str,
    *,
    grantor: str = "SELLER ONE",
    grantee: str = "BUYER ONE",
    year: int = 2026,
    **values,
) -> list[str]:
    """One recorded document as its two party rows (D = grantor, R = grantee)."""
    common = dict(
        cfn_year=year, cfn_seq=seq, rec_date=rec_date, doc_type=doc_type, folio=folio, **values
    )
    return [
        line("official_records", party_seq=1, party_code="D", first_party=grantor, **common),
        line("official_records", party_seq=2, party_code="R", first_party=grantee, **common),
    ]


def write_partition(
    root: Path, day: str, files: dict[str, list[str]], cadence: str = "daily", eol: str = "\n"
) -> Path:
    """Write `cadence/day/<name>` files; daily files not given are written empty-but-valid
    (one harmless row) so the partition is complete."""
    folder = root / cadence / day
    folder.mkdir(parents=True, exist_ok=True)
    defaults = {
        "Cases.exp": [
            line(
                "cases",
                case_id=f"C{day}",
                case_number=f"{day[:4]}-000001-CA-01",
                filing_date="01/05/2026",
            )
        ],
        "Parties.exp": [line("parties", case_id=f"C{day}", party_seq=1, party_name="A PARTY")],
        "Dockets.exp": [line("dockets", case_id=f"C{day}", docket_seq=1, docket_date="01/05/2026")],
        "Docktext.exp": [
            line("docktext", case_id=f"C{day}", docket_seq=1, text_line_no=1, text="filed")
        ],
    }
    if cadence != "daily":
        defaults = {}
    for name, lines in {**defaults, **files}.items():
        (folder / name).write_bytes((eol.join(lines) + eol).encode("cp1252"))
    return folder
