"""Report files from rows, a row at a time: CSV (the csv module, RFC 4180), XLSX (XlsxWriter,
constant memory) and JSON (RFC 8785, written by the integrity chain's canonicaliser,
`eventstore.canonical.canonical_json`). The same rows and metadata always give the same
bytes."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any, Literal

import xlsxwriter

from domain.health import AT_RISK_CONFIDENCE, LAG_MARGIN
from eventstore.canonical import canonical_json

CHUNK = 64 * 1024
# A text cell starting with one of these is a formula to a spreadsheet (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_ROWS = 1_048_576  # rows per sheet in Excel
# Document properties when the report has no instant of its own: fixed, so bytes never change.
EPOCH = datetime(2000, 1, 1)
HEALTH_RULE = (f"off_track: progress more than {LAG_MARGIN:g} behind the linear pace of the "
               f"cycle at the report's instant; else at_risk: latest confidence below "
               f"{AT_RISK_CONFIDENCE:g} (an objective: the lowest of its key results'); "
               "else on_track")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8; header=present",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


@dataclass(frozen=True)
class ReportMeta:
    """What a report file says about itself."""

    name: str
    parameters: dict[str, Any]
    position: int
    chain_hash: str
    instant: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "parameters": {k: plain(v) for k, v in
                                                  self.parameters.items()},
                "position": self.position, "chain_hash": self.chain_hash}


def rfc3339(moment: datetime) -> str:
    """A time in UTC with six fractional digits, as the integrity chain writes it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def plain(value: Any) -> Any:
    """A JSON-ready value: times as RFC 3339 in UTC."""
    if isinstance(value, datetime):
        return rfc3339(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def text(value: Any) -> str:
    """A cell as text: numbers in the shortest form that reads back the same, structures as
    canonical JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime):
        return rfc3339(value)
    return canonical_json(plain(value)).decode()


def neutralised(value: str) -> str:
    """A text cell that a spreadsheet would run as a formula, prefixed with `'`."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_cell(value: Any) -> str:
    cell = text(value)
    return neutralised(cell) if isinstance(value, str) else cell


def csv_stream(columns: Iterable[str], rows: Iterable[tuple[Any, ...]]) -> Iterator[bytes]:
    """UTF-8, RFC 4180 (CRLF, quotes doubled), one header row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
        if buffer.tell() >= CHUNK:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def json_stream(meta: ReportMeta, columns: tuple[str, ...],
                rows: Iterable[tuple[Any, ...]]) -> Iterator[bytes]:
    """`{"report": {...}, "rows": [{column: value}, ...]}`, canonical JSON (RFC 8785)."""
    parts, size = [b'{"report":', canonical_json(meta.as_dict()), b',"rows":['], 0
    for index, row in enumerate(rows):
        if index:
            parts.append(b",")
        encoded = canonical_json(dict(zip(columns, (plain(v) for v in row), strict=True)))
        parts.append(encoded)
        size += len(encoded)
        if size >= CHUNK:
            yield b"".join(parts)
            parts, size = [], 0
    parts.append(b"]}")
    yield b"".join(parts)


def xlsx_stream(meta: ReportMeta, columns: tuple[str, ...],
                rows: Iterable[tuple[Any, ...]]) -> Iterator[bytes]:
    """The workbook, written row by row into a temporary file (XlsxWriter's constant memory
    mode), then sent in chunks: a zip is only complete at its end."""
    with tempfile.TemporaryFile() as file:
        write_xlsx(file, meta, columns, rows)
        file.seek(0)
        while chunk := file.read(CHUNK):
            yield chunk


def write_xlsx(file: IO[bytes], meta: ReportMeta, columns: tuple[str, ...],
               rows: Iterable[tuple[Any, ...]]) -> None:
    """A `data` sheet (more when the rows exceed a sheet) and a `report` sheet."""
    book = xlsxwriter.Workbook(file, {"constant_memory": True})
    created = (meta.instant.astimezone(UTC).replace(tzinfo=None) if meta.instant else EPOCH)
    book.set_properties({"title": f"okr-ledger {meta.name} report", "author": "okr-ledger",
                         "created": created})
    bold = book.add_format({"bold": True})
    sheet, line, sheets = book.add_worksheet("data"), 1, 1
    sheet.write_row(0, 0, columns, bold)
    for row in rows:
        if line == XLSX_ROWS:
            sheets += 1
            sheet, line = book.add_worksheet(f"data {sheets}"), 1
            sheet.write_row(0, 0, columns, bold)
        for column, value in enumerate(row):
            _write_cell(sheet, line, column, value)
        line += 1
    about = book.add_worksheet("report")
    for line, (key, value) in enumerate(_about(meta)):
        about.write_string(line, 0, key, bold)
        about.write_string(line, 1, value)
    book.close()


def _write_cell(sheet: Any, line: int, column: int, value: Any) -> None:
    """Numbers as numbers, everything else as text (never a formula, a link or a date)."""
    if value is None:
        return
    if isinstance(value, int | float) and not isinstance(value, bool):
        sheet.write_number(line, column, value)
    else:
        sheet.write_string(line, column, text(value))


def _about(meta: ReportMeta) -> list[tuple[str, str]]:
    return [
        ("report", meta.name),
        *((f"parameter {name}", text(value)) for name, value in meta.parameters.items()),
        ("position", str(meta.position)),
        ("chain_hash", meta.chain_hash),
        ("verify", f"okr verify --expect {meta.position}:{meta.chain_hash}"),
        *([("health", HEALTH_RULE)] if meta.name == "alignment" else []),
    ]


Format = Literal["csv", "xlsx", "json"]
Writer = Callable[[ReportMeta, tuple[str, ...], Iterable[tuple[Any, ...]]], Iterator[bytes]]
WRITERS: dict[str, Writer] = {
    "csv": lambda _, columns, rows: csv_stream(columns, rows),
    "xlsx": xlsx_stream,
    "json": json_stream,
}
