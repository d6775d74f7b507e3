"""Synthetic county bulk files: realistic shape and every quirk real ones have
(docs/domain.md#files).

Deterministic for a seed. Volumes are the county's scaled by `docs_per_day`; the quirks
sprinkled in: folios with/without dashes, lost leading zeros, empty and all-zero
folios, `$1,234.50` money, empty consideration with deed doc tax, cp1252 names,
CRLF files, trailing carets, short rows, a few bad dates and over-long rows, blank
lines, and rows of the previous day re-sent. Lis pendens get civil cases and some
are later cancelled (CLP); deeds are often followed by a mortgage.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from pipelines.calendar import business_days, business_days_back
from pipelines.county.partition_keys import first_day, format_key

STREETS = [
    "NW 5TH ST",
    "SW 8TH ST",
    "BISCAYNE BLVD",
    "CORAL WAY",
    "NE 2ND AVE",
    "COLLINS AVE",
    "SW 137TH AVE",
    "N KENDALL DR",
    "W FLAGLER ST",
    "NW 27TH AVE",
    "SUNSET DR",
    "BIRD RD",
]
CITIES = [
    ("MIAMI", "33125"),
    ("MIAMI", "33135"),
    ("HIALEAH", "33012"),
    ("MIAMI BEACH", "33139"),
    ("CORAL GABLES", "33134"),
    ("HOMESTEAD", "33030"),
    ("DORAL", "33178"),
    ("KENDALL", "33176"),
]
FIRST = [
    "JOSÉ",
    "MARIA",
    "JOHN",
    "ANA",
    "LUIS",
    "CARMEN",
    "DAVID",
    "SOFÍA",
    "MICHAEL",
    "ROSA",
    "PEDRO",
]
LAST = [
    "GARCIA",
    "RODRIGUEZ",
    "MUÑOZ",
    "SMITH",
    "PEREZ",
    "GONZALEZ",
    "JOHNSON",
    "FERNÁNDEZ",
    "LOPEZ",
    "O'BRIEN",
    "DIAZ",
    "BROWN",
]
BANKS = [
    "WELLS FARGO BANK NA",
    "BANK OF AMERICA NA",
    "JPMORGAN CHASE BANK",
    "CITY NATIONAL BANK OF FLORIDA",
]
# (doc_type, weight) — a day's mix of recorded documents.
DOC_MIX = [
    ("DEE", 14),
    ("WD", 5),
    ("QCD", 3),
    ("CTI", 1),
    ("MOR", 24),
    ("SMO", 14),
    ("LIS", 5),
    ("JUD", 4),
    ("LIE", 4),
    ("FTL", 1),
    ("NTL", 1),
    ("PAD", 1),
    ("DCE", 1),
    ("DOM", 2),
    ("BAN", 1),
]
DAILY_FILES = ("OfficialRecords.exp", "Cases.exp", "Parties.exp", "Dockets.exp", "Docktext.exp")


@dataclass
class Parcel:
    folio: str
    address: str
    city: str
    zip: str
    owner: str


@dataclass
class SampleState:
    rng: random.Random
    parcels: list[Parcel]
    next_seq: int = 1
    next_case: int = 1
    open_lis: list[tuple[str, str]] = field(default_factory=list)  # (folio, case_number)
    previous_rows: list[str] = field(default_factory=list)


def _name(rng: random.Random) -> str:
    # A middle initial most of the time: without it a small name pool collides everywhere.
    middle = f" {rng.choice('ABCDEFGHJKLMNPRSTVW')}" if rng.random() < 0.8 else ""
    return f"{rng.choice(LAST)} {rng.choice(FIRST)}{middle}"


def new_state(seed: int = 7, parcels: int = 2_000) -> SampleState:
    rng = random.Random(seed)
    pool = []
    for i in range(parcels):
        muni = rng.choice([1, 2, 3, 4, 5, 7, 8, 13, 30, 30, 30, 32])
        folio = f"{muni:02d}{rng.randrange(10**10):010d}{i % 10}"
        city, zip_ = rng.choice(CITIES)
        pool.append(
            Parcel(
                folio, f"{rng.randint(100, 29999)} {rng.choice(STREETS)}", city, zip_, _name(rng)
            )
        )
    return SampleState(rng=rng, parcels=pool)


def _folio_variant(rng: random.Random, folio: str) -> str:
    r = rng.random()
    if r < 0.60:
        return f"{folio[:2]}-{folio[2:6]}-{folio[6:9]}-{folio[9:]}"
    if r < 0.85:
        return folio
    if r < 0.92:
        return folio.lstrip("0") if folio.startswith("0") else folio  # a lost leading zero
    if r < 0.97:
        return ""
    if r < 0.99:
        return "0000000000000"
    return "N/A"


def _money(rng: random.Random, amount: float) -> str:
    style = rng.random()
    if style < 0.5:
        return f"{amount:.2f}"
    if style < 0.8:
        return f"${amount:,.2f}"
    return f"{amount:,.0f}"


def _or_rows(state: SampleState, day: date, docs: int) -> list[str]:
    rng = state.rng
    rows: list[str] = []
    types, weights = zip(*DOC_MIX, strict=True)
    for _ in range(docs):
        doc_type = rng.choices(types, weights)[0]
        parcel = rng.choice(state.parcels)
        seq, state.next_seq = state.next_seq, state.next_seq + 1
        consideration, doc_tax, case_num = "", "", ""
        grantor, grantee = parcel.owner, _name(rng)
        if doc_type in ("DEE", "WD", "QCD", "CTI"):
            price = round(rng.uniform(150_000, 1_800_000), -2)
            if doc_type == "QCD":
                price = 10.0
            if rng.random() < 0.15:  # consideration left empty: price implied by doc tax
                doc_tax = _money(rng, round(price * 0.006, 2))
            else:
                consideration = _money(rng, price)
            parcel.owner = grantee
        elif doc_type in ("MOR", "SMO", "LIS", "JUD", "LIE", "FTL", "NTL"):
            grantor, grantee = rng.choice(BANKS), parcel.owner
            if doc_type in ("MOR", "JUD", "LIE", "FTL"):
                consideration = _money(rng, round(rng.uniform(5_000, 900_000), -2))
            if doc_type == "LIS":
                case_num = f"{day.year}-{state.next_case:06d}-CA-01"
                state.next_case += 1
                state.open_lis.append((parcel.folio, case_num))
        folio = _folio_variant(rng, parcel.folio)
        with_address = rng.random() < 0.85
        common = {
            "rec_date": day.strftime("%Y%m%d"),
            "rec_time": f"{rng.randint(8, 16):02d}{rng.randint(0, 59):02d}00",
            "book": str(30000 + seq // 500),
            "page": str(seq % 500 + 1),
            "doc_type": doc_type,
            "folio": folio,
            "consideration": consideration,
            "doc_tax": doc_tax,
            "case_num": case_num,
            "address": parcel.address if with_address else "",
            "city": parcel.city if with_address else "",
            "zip": parcel.zip if with_address else "",
        }
        parties = [("D", grantor), ("R", grantee)]
        if rng.random() < 0.2:
            parties.append(("R", _name(rng)))
        for i, (code, name) in enumerate(parties, start=1):
            rows.append(_or_line(day.year, seq, common, i, code, name))
    # Cancel some open lis pendens (a later CLP on the same folio).
    for _ in range(max(1, docs // 100)):
        if not state.open_lis:
            break
        folio, _case = state.open_lis.pop(rng.randrange(len(state.open_lis)))
        seq, state.next_seq = state.next_seq, state.next_seq + 1
        common = {
            "rec_date": day.strftime("%Y%m%d"),
            "rec_time": "120000",
            "book": "31000",
            "page": "1",
            "doc_type": "CLP",
            "folio": folio,
            "consideration": "",
            "doc_tax": "",
            "case_num": _case,
            "address": "",
            "city": "",
            "zip": "",
        }
        rows.append(_or_line(day.year, seq, common, 1, "D", rng.choice(BANKS)))
    return rows


def _or_line(year: int, seq: int, c: dict, party_seq: int, code: str, name: str) -> str:
    fields = [
        str(year),
        str(seq),
        "",
        c["rec_date"],
        c["rec_time"],
        c["book"],
        c["page"],
        "OR",
        c["doc_type"],
        "2",
        str(party_seq),
        code,
        name,
        "",
        "I",
        c["folio"],
        "LOT 1 BLK 2",
        "",
        "",
        "",
        "",
        c["consideration"],
        "",
        c["doc_tax"],
        "",
        "",
        "",
        "",
        "",
        "",
        c["case_num"],
        "",
        c["address"],
        c["city"],
        c["zip"],
    ]
    return "^".join(fields)


def _civil_rows(state: SampleState, day: date, cases: int) -> dict[str, list[str]]:
    rng = state.rng
    out: dict[str, list[str]] = {
        "Cases.exp": [],
        "Parties.exp": [],
        "Dockets.exp": [],
        "Docktext.exp": [],
    }
    mdy = day.strftime("%m/%d/%Y")
    recent = [c for _f, c in state.open_lis[-cases:]]
    for i in range(cases):
        number = (
            recent[i] if i < len(recent) else f"{day.year}-{state.next_case + 50000 + i:06d}-CC-05"
        )
        case_id = number.replace("-", "")
        out["Cases.exp"].append(
            f"{case_id}^{number}^{mdy}^{rng.choice(BANKS)} VS "
            f"{_name(rng)}^CA^J{rng.randint(1, 40)}^"
            f"S{rng.randint(1, 9)}^{number}^^"
        )
        for seq, (ptype, pname) in enumerate(
            [("PLAINTIFF", rng.choice(BANKS)), ("DEFENDANT", _name(rng))], 1
        ):
            city, zip_ = rng.choice(CITIES)
            out["Parties.exp"].append(
                f"{case_id}^{seq}^{ptype}^{pname}^{rng.randint(100, 9999)} "
                f"{rng.choice(STREETS)}^^{city}^FL^{zip_}^^"
            )
        for seq in range(1, 3):
            out["Dockets.exp"].append(
                f"{case_id}^{seq}^{mdy}^{'CMPL' if seq == 1 else 'SUMM'}^"
                f"{'COMPLAINT' if seq == 1 else 'SUMMONS ISSUED'}"
            )
            out["Docktext.exp"].append(
                f'{case_id}^{seq}^1^"{"Complaint" if seq == 1 else "Summons"}" filed'
            )
    return out


def generate_day(
    state: SampleState, day: date, docs: int = 300, bad_rows: bool = True
) -> dict[str, bytes]:
    """One business day's files, as bytes (cp1252)."""
    rng = state.rng
    rows = _or_rows(state, day, docs)
    if state.previous_rows:  # re-sent rows from yesterday's file
        rows += rng.sample(state.previous_rows, k=min(len(state.previous_rows), max(1, docs // 50)))
    state.previous_rows = rows[: len(rows) // 2]
    rows += rng.sample(rows, k=2)  # the same line twice in one file (collapsed, not quarantined)
    if bad_rows:
        for _ in range(max(1, docs // 400)):
            i = rng.randrange(len(rows))
            parts = rows[i].split("^")
            parts[3] = "2026-13-45"  # a bad date
            rows.insert(i, "^".join(parts))
        rows.append(rows[0] + "^EXTRA^FIELDS")  # longer than the layout
    rows = [r + "^" if rng.random() < 0.1 else r for r in rows]  # trailing carets
    files = {"OfficialRecords.exp": rows}
    files.update(_civil_rows(state, day, max(2, docs // 60)))
    out = {}
    for name, lines in files.items():
        if name == "OfficialRecords.exp" and rng.random() < 0.3:
            lines = lines[:5] + [""] + lines[5:]  # a blank line
        eol = "\r\n" if rng.random() < 0.5 else "\n"
        out[name] = (eol.join(lines) + eol).encode("cp1252", errors="replace")
    return out


def write_daily(
    out_dir: Path, start: date, end: date, docs: int = 300, seed: int = 7, parcels: int = 2_000
) -> list[date]:
    """Write `daily/YYYY-MM-DD/*.exp` for every business day in [start, end]."""
    write_samples(out_dir, start, end, [], [], docs, seed, parcels)
    return business_days(start, end)


# --- weekly and monthly files --------------------------------------------------------------
# Addresses and names are written the way clerks type them (spelled-out suffixes and
# directionals, dots, units, "LAST, FIRST"), so that matching has real work to do; about a
# third point at no known property.

_SPELLED = {
    " ST": " Street",
    " AVE": " Avenue",
    " BLVD": " Boulevard",
    " DR": " Drive",
    " RD": " Road",
    "NW ": "N.W. ",
    "SW ": "S.W. ",
    "NE ": "Northeast ",
    "N ": "North ",
    "W ": "W. ",
}


def _messy_address(rng: random.Random, address: str) -> str:
    out = address
    for short, long in _SPELLED.items():
        if short in out and rng.random() < 0.6:
            out = out.replace(short, long, 1)
    return out.title() if rng.random() < 0.5 else out


def _last_first(name: str) -> str:
    """`GARCIA MARIA L` → `MARIA L GARCIA`: the other order clerks use."""
    last, first = name.split(" ", 1)
    return f"{first} {last}"


def _unknown_address(rng: random.Random) -> str:
    return f"{rng.randint(30000, 39999)} {rng.choice(STREETS)}"


def weekly_files(state: SampleState, monday: date, records: int = 40) -> dict[str, bytes]:
    rng, mdy = state.rng, monday.strftime("%m/%d/%Y")
    evictions, liens = [], []
    for i in range(records):
        parcel = rng.choice(state.parcels)
        known = rng.random() < 0.65
        address = _messy_address(rng, parcel.address) if known else _unknown_address(rng)
        evictions.append(
            "^".join(
                [
                    f"{monday.year}-{i + 1:06d}-CC-05",
                    mdy,
                    f"{_name(rng)} PROPERTIES LLC",
                    _name(rng),
                    address,
                    "",
                    parcel.city,
                    parcel.zip if known else "",
                    "FILED",
                    "",
                    "",
                ]
            )
        )
        debtor = parcel.owner if known else _name(rng)
        liens.append(
            "^".join(
                [
                    f"{monday.year}-9{i:06d}",
                    mdy,
                    "LIE",
                    _last_first(debtor),
                    _messy_address(rng, parcel.address) if known and rng.random() < 0.5 else "",
                    parcel.city,
                    parcel.zip,
                    rng.choice(BANKS),
                    _money(rng, round(rng.uniform(2_000, 80_000), 2)),
                ]
            )
        )
    return {
        "Evictions.exp": ("\n".join(evictions) + "\n").encode("cp1252", errors="replace"),
        "Indebtedness.exp": ("\n".join(liens) + "\n").encode("cp1252", errors="replace"),
    }


LAND_USES = [
    ("0101 SINGLE FAMILY", 6),
    ("0407 RESIDENTIAL - TOTAL VALUE (CONDO)", 3),
    ("0802 MULTIFAMILY 2-9 UNITS", 1),
]
ELSEWHERE = [  # an absentee owner's mailing city, state as rolls write it, zip; weight
    ("NEW YORK", "NY", "10019", 5), ("NEW YORK", "New York", "10022", 1),
    ("NEWARK", " nj", "07102", 2), ("ATLANTA", "GA", "30303", 2), ("HOUSTON", "TX", "77002", 2),
    ("CHICAGO", "Ill.", "60601", 1), ("LOS ANGELES", "CA", "90012", 2),
    ("TORONTO", "ONT", "M5H 2N2", 1),  # Ontario: not a US state, so not placed (not absentee)
]  # fmt: skip


def roll_file(state: SampleState, monday: date) -> bytes:
    """The property appraiser's roll as of `monday`: one row per parcel, with its facts, the
    owner's mailing address and the sale the appraiser knows of. Its own random stream, so
    adding it changes none of the other files. Quirks: folios with dashes, `$` money, an
    empty folio and a folio sent twice with other facts (both quarantined), lower-case and
    spelled-out states, a blank line."""
    rng = random.Random(f"roll:{state.parcels[0].folio}:{monday.isoformat()}")
    rows = []
    for parcel in state.parcels:
        land_use = rng.choices([u for u, _ in LAND_USES], [w for _, w in LAND_USES])[0]
        condo = "CONDO" in land_use
        sqft = rng.randint(550, 1_600) if condo else rng.randint(900, 4_200)
        market = round(sqft * rng.uniform(180, 620), -3)
        where = rng.random()
        homestead = where < 0.62
        if where < 0.70:  # the owner lives there (or mails there)
            mailing = (parcel.address, parcel.city, "FL", parcel.zip)
        elif where < 0.86:  # a local owner elsewhere in Florida
            city, zip_ = rng.choice(CITIES)
            mailing = (f"{rng.randint(100, 29999)} {rng.choice(STREETS)}", city, "FL", zip_)
        else:  # out of state
            city, st, zip_, _ = rng.choices(ELSEWHERE, [w for *_, w in ELSEWHERE])[0]
            mailing = (f"{rng.randint(10, 999)} {rng.choice(STREETS)}", city, st, zip_)
        held = rng.choices([1, 4, 9, 16, 25, 40], [3, 4, 4, 3, 2, 1])[0]
        sold = monday - timedelta(days=int(365.25 * rng.uniform(held * 0.6, held * 1.4)))
        price = round(market / (1.045 ** ((monday - sold).days / 365.25)) * rng.uniform(0.85, 1.1))
        folio = parcel.folio
        if rng.random() < 0.2:
            folio = f"{folio[:2]}-{folio[2:6]}-{folio[6:9]}-{folio[9:]}"
        rows.append(
            "^".join(
                [
                    folio,
                    parcel.address,
                    parcel.city,
                    parcel.zip,
                    parcel.owner,
                    _name(rng) if rng.random() < 0.3 else "",
                    *mailing,
                    land_use,
                    str(rng.randint(1, 3) if condo else rng.randint(2, 6)),
                    rng.choice(["1", "1.5", "2", "2.5", "3", "4"]),
                    str(sqft),
                    str(rng.randint(1925, 2024)),
                    "0" if condo else str(rng.randint(2_500, 15_000)),
                    _money(rng, round(market * (0.62 if homestead else 0.93))),
                    _money(rng, market),
                    "Y" if homestead else "N",
                    sold.strftime("%m/%d/%Y"),
                    _money(rng, price),
                ]
            )
        )
    if rows:
        rows.insert(len(rows) // 2, "")  # a blank line
        rows.append("^" + rows[0].partition("^")[2])  # no folio: quarantined
        first = rows[0].split("^")
        first[17] = "1"  # the first parcel again, with other facts: quarantined
        rows.append("^".join(first))
    return ("\n".join(rows) + "\n").encode("cp1252", errors="replace")


def monthly_files(state: SampleState, month: date, records: int = 30) -> dict[str, bytes]:
    rng = state.rng
    probate, verdicts = [], []
    for i in range(records):
        parcel = rng.choice(state.parcels)
        known = rng.random() < 0.7
        filed = month.replace(day=rng.randint(1, 28)).strftime("%m/%d/%Y")
        decedent = parcel.owner if known else _name(rng)
        address = (
            _messy_address(rng, parcel.address)
            if known and rng.random() < 0.7
            else ("" if known else _unknown_address(rng))
        )
        probate.append(
            "^".join(
                [
                    f"{month.year}-{i + 1:06d}-CP-02",
                    filed,
                    decedent,
                    filed,
                    address,
                    parcel.city,
                    parcel.zip if address else "",
                    _name(rng),
                    f"{rng.randint(100, 999)} {rng.choice(STREETS)}",
                ]
            )
        )
        verdicts.append(
            "^".join(
                [
                    f"{month.year}-{i + 1:06d}-CA-01",
                    filed,
                    rng.choice(BANKS),
                    decedent if known else _name(rng),
                    _messy_address(rng, parcel.address) if known else _unknown_address(rng),
                    parcel.city,
                    parcel.zip if known else "",
                    _money(rng, round(rng.uniform(5_000, 250_000), 2)),
                ]
            )
        )
    return {
        "Probate.exp": ("\n".join(probate) + "\n").encode("cp1252", errors="replace"),
        "Verdicts.exp": ("\n".join(verdicts) + "\n").encode("cp1252", errors="replace"),
    }


def write_samples(
    out_dir: Path,
    start: date,
    end: date,
    weekly_keys: list[str],
    monthly_keys: list[str],
    docs: int = 300,
    seed: int = 7,
    parcels: int = 2_000,
) -> dict[str, list[str]]:
    """Daily files for every business day in [start, end], then the weekly and monthly files
    for the given partitions, all drawn from the same parcels (so they can match)."""
    state = new_state(seed, parcels)
    days = business_days(start, end)
    for day in days:
        _write(out_dir / "daily" / day.isoformat(), generate_day(state, day, docs))
    for key in weekly_keys:
        monday = date.fromisoformat(key)
        files = weekly_files(state, monday) | {"PropertyRoll.exp": roll_file(state, monday)}
        _write(out_dir / "weekly" / key, files)
    for key in monthly_keys:
        _write(out_dir / "monthly" / key, monthly_files(state, first_day(key)))
    return {
        "daily": [d.isoformat() for d in days],
        "weekly": list(weekly_keys),
        "monthly": list(monthly_keys),
    }


def _write(folder: Path, files: dict[str, bytes]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)


def write_sample_range(
    out_dir: Path, days: int, end: date, docs: int = 300, seed: int = 7, parcels: int = 2_000
) -> dict[str, list[str]]:
    """`days` business days of daily files ending `end`, the weekly files of every complete
    week in that range, and the monthly files of the month before `end`'s month."""
    if days < 1:
        raise ValueError("days must be at least 1")
    start = business_days_back(end, days)
    weeks = [
        (start + timedelta(days=(7 - start.weekday()) % 7 + 7 * i)) for i in range(days // 5 + 1)
    ]
    weeks = [w.isoformat() for w in weeks if w + timedelta(days=6) <= end + timedelta(days=1)]
    month = format_key("monthly", end.replace(day=1) - timedelta(days=1))
    return write_samples(out_dir, start, end, weeks, [month], docs=docs, seed=seed, parcels=parcels)
