"""Read a tenant's listing file (JSON, JSON Lines, CSV, XLSX) into numbered records.

Each record keeps where it came from (`line_no`: the CSV/JSONL line, the Excel row, or
the position in a JSON array) and its raw text, so a refused record can be quarantined
exactly as it arrived. A file that cannot be read at all raises FileFormatError naming it.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

SUFFIXES = (".json", ".jsonl", ".csv", ".xlsx")
BARE_CR = "a carriage return (CR) inside a value that is not quoted"


def _csv_reason(exc: csv.Error) -> str:
    # A lone CR is no line end here (physical_lines), but the csv reader refuses it.
    return BARE_CR if "new-line character" in str(exc) else f"unreadable CSV: {exc}"


class FileFormatError(ValueError):
    """The whole file is unreadable (wrong format, not UTF-8, no header); says which and where."""


@dataclass(frozen=True)
class RawRecord:
    line_no: int
    raw: str
    values: dict | None  # None: the record itself is malformed (reason in `error`)
    error: str | None = None


def read_records(path: Path, data: bytes | None = None) -> list[RawRecord]:
    data = path.read_bytes() if data is None else data
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return _xlsx(path, data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileFormatError(f"{path.name}: not UTF-8 text (byte {exc.start})") from None
    if suffix == ".csv":
        return _csv(path, text)
    if suffix == ".jsonl":
        return _jsonl(text)
    if suffix == ".json":
        return _json(path, text)
    raise FileFormatError(f"{path.name}: unsupported file type (use {', '.join(SUFFIXES)})")


def physical_lines(text: str) -> list[str]:
    """Lines as a file has them: ended by LF (or CRLF) only. `str.splitlines` also breaks at
    U+2028, NEL, form feed and friends, which are data inside a record."""
    return [line.removesuffix("\r") for line in text.split("\n")]


def _csv(path: Path, text: str) -> list[RawRecord]:
    lines = physical_lines(text)
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise FileFormatError(f"{path.name}: line 1: {_csv_reason(exc)}") from None
    if not header or not any(h.strip() for h in header):
        raise FileFormatError(f"{path.name}: line 1 must be a header row naming the columns")
    names = [h.strip() for h in header]
    out = []
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            # The reader resumes at the next line: only this record is lost.
            line_no = reader.line_num
            raw = lines[line_no - 1][:1000] if line_no - 1 < len(lines) else ""
            out.append(RawRecord(line_no, raw, None, _csv_reason(exc)))
            continue
        line_no = reader.line_num
        raw = lines[line_no - 1] if line_no - 1 < len(lines) else ",".join(row)
        if not any(cell.strip() for cell in row):
            continue  # blank line
        if len(row) != len(names):
            out.append(RawRecord(line_no, raw, None, f"{len(row)} values for {len(names)} columns"))
            continue
        out.append(RawRecord(line_no, raw, dict(zip(names, row, strict=True))))
    return out


def _jsonl(text: str) -> list[RawRecord]:
    out = []
    for n, line in enumerate(physical_lines(text), start=1):
        if not line.strip():
            continue
        out.append(_json_value(n, line))
    return out


def _json_value(n: int, raw: str) -> RawRecord:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        return RawRecord(n, raw, None, f"invalid JSON: {exc.msg} at column {exc.colno}")
    except RecursionError:
        return RawRecord(n, raw[:1000], None, "invalid JSON: nested too deeply")
    if not isinstance(value, dict):
        return RawRecord(n, raw, None, f"expected an object, got {type(value).__name__}")
    return RawRecord(n, raw, value)


def _json(path: Path, text: str) -> list[RawRecord]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FileFormatError(
            f"{path.name}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise FileFormatError(f"{path.name}: invalid JSON: nested too deeply") from None
    if isinstance(doc, dict) and isinstance(doc.get("listings"), list):
        doc = doc["listings"]
    if isinstance(doc, dict):
        doc = [doc]
    if not isinstance(doc, list):
        raise FileFormatError(f'{path.name}: expected a list of listings or {{"listings": [...]}}')
    out = []
    for n, value in enumerate(doc, start=1):  # line_no = position in the array
        raw = json.dumps(value, default=str)
        if isinstance(value, dict):
            out.append(RawRecord(n, raw, value))
        else:
            out.append(RawRecord(n, raw, None, f"expected an object, got {type(value).__name__}"))
    return out


def _xlsx(path: Path, data: bytes) -> list[RawRecord]:
    from openpyxl import load_workbook
    from openpyxl.utils.datetime import from_excel

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
        raise FileFormatError(
            f"{path.name}: not a readable Excel workbook ({type(exc).__name__})"
        ) from None
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None)
    if not header or not any(h for h in header):
        raise FileFormatError(f"{path.name}: row 1 of sheet {sheet.title!r} must name the columns")
    names = [str(h).strip() if h is not None else "" for h in header]
    out = []
    for n, row in enumerate(rows, start=2):  # Excel row numbers
        if not any(c not in (None, "") for c in row):
            continue
        values = dict(zip(names, row, strict=False))
        when = values.get("listed_at")
        if isinstance(when, int | float) and not isinstance(when, bool):
            # A date in a cell not formatted as one arrives as Excel's serial number.
            values["listed_at"] = from_excel(when)
        raw = "\t".join("" if c is None else str(c) for c in row)
        out.append(RawRecord(n, raw, values))
    book.close()
    return out
