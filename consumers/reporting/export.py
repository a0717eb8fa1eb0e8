"""Reports as CSV or JSON: the same columns in the same order, the same bytes for the same rows.

A report is a sequence of rows of one frozen dataclass (`consumers.reporting.reports`). Its
columns are the dataclass's fields in declaration order; a field that is itself a dataclass
(a `Summary`) becomes one column per subfield, named `<field>_<subfield>`
(`days_to_determination_mean`). Both formats are flat, so a JSON row has the CSV's columns.

Values: dates in ISO format (2025-02-28), booleans `true`/`false`, a missing value is an empty
CSV field or JSON `null`. CSV is UTF-8, comma-separated, lines end with `\\n`, fields quoted
only when needed. JSON is an array of objects, two-space indented, keys in column order.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Sequence
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Any, Literal, TextIO, get_type_hints

ReportFormat = Literal["csv", "json"]
FORMATS: tuple[ReportFormat, ...] = ("csv", "json")


def columns(row_type: type) -> tuple[str, ...]:
    """The report's column names, in order."""
    return tuple(name for name, _ in _column_paths(row_type))


def flat_row(row: Any) -> dict[str, Any]:
    """A row as {column: JSON-ready value}, in column order."""
    values = {}
    for name, path in _column_paths(type(row)):
        value = row
        for attribute in path:
            value = getattr(value, attribute)
        values[name] = _plain(value)
    return values


def to_csv(rows: Sequence[Any], row_type: type) -> str:
    buffer = io.StringIO()
    _write_csv(rows, row_type, buffer)
    return buffer.getvalue()


def to_json(rows: Sequence[Any], row_type: type) -> str:
    buffer = io.StringIO()
    _write_json(rows, row_type, buffer)
    return buffer.getvalue()


def write_report(
    rows: Sequence[Any], row_type: type, destination: Path | TextIO, report_format: ReportFormat
) -> None:
    """Writes the rows to a file (replaced) or a text stream, in `csv` or `json`."""
    if isinstance(destination, Path):
        # newline="" keeps the bytes identical on every platform.
        with destination.open("w", encoding="utf-8", newline="") as stream:
            write_report(rows, row_type, stream, report_format)
        return
    if report_format == "csv":
        _write_csv(rows, row_type, destination)
    elif report_format == "json":
        _write_json(rows, row_type, destination)
    else:
        raise ValueError(f"unknown report format {report_format!r}; use one of {FORMATS}")


def _write_csv(rows: Sequence[Any], row_type: type, stream: TextIO) -> None:
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(columns(row_type))
    for row in rows:
        _require_type(row, row_type)
        writer.writerow(_csv_value(value) for value in flat_row(row).values())


def _write_json(rows: Sequence[Any], row_type: type, stream: TextIO) -> None:
    columns(row_type)  # refuses a row type that is not a dataclass, even without rows
    for row in rows:
        _require_type(row, row_type)
    json.dump([flat_row(row) for row in rows], stream, indent=2, ensure_ascii=False)
    stream.write("\n")


def _column_paths(row_type: type) -> list[tuple[str, tuple[str, ...]]]:
    if not dataclasses.is_dataclass(row_type):
        raise TypeError(f"a report row is a dataclass, not {row_type!r}")
    hints = get_type_hints(row_type)
    paths: list[tuple[str, tuple[str, ...]]] = []
    for field in dataclasses.fields(row_type):
        hint = hints[field.name]
        if isinstance(hint, type) and dataclasses.is_dataclass(hint):
            paths.extend(
                (f"{field.name}_{name}", (field.name, *path)) for name, path in _column_paths(hint)
            )
        else:
            paths.append((field.name, (field.name,)))
    return paths


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return value


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _require_type(row: Any, row_type: type) -> None:
    if type(row) is not row_type:
        raise TypeError(f"a {row_type.__name__} report cannot hold a {type(row).__name__}")
