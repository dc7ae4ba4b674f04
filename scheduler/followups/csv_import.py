"""`treatment import FILE.csv`: the file read whole, good rows written by chunk, bad ones listed."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy import Engine

from scheduler.followups.bulk_registration import CHUNK_ROWS, BulkRegistration
from scheduler.followups.chunk_lookups import Accepted
from scheduler.followups.intake import TreatmentCreate, describe_error
from scheduler.followups.kinds import KindCatalog
from scheduler.followups.registration_rules import (
    RegistrationError,
    checked_kind,
    performed_instant,
    registration_kinds,
)
from scheduler.settings import Settings

REQUIRED = {"name", "phone"}
KNOWN = REQUIRED | {
    "email",
    "language",
    "channel",
    "performed_at",
    "practitioner",
    "kind",
    "patient",  # new | same (| a patient id) when the phone is already someone else's
}


class CsvFormatError(ValueError):
    """The file as a whole cannot be read (header or CSV syntax); nothing was written."""


@dataclass
class ImportReport:
    registered: list[tuple[int, int]] = field(default_factory=list)  # (line, treatment id)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)


def import_csv(
    lines: Iterable[str],
    engine: Engine,
    *,
    settings: Settings,
    now: datetime,
    chunk_rows: int = CHUNK_ROWS,
) -> ImportReport:
    """Register every valid row, a chunk per transaction; a bad row costs only itself."""
    rows = list(_rows(lines))  # the whole file is read before anything is written
    try:
        kinds = registration_kinds(settings)
    except RegistrationError as exc:
        raise CsvFormatError(str(exc)) from exc
    report = ImportReport()
    bulk = BulkRegistration(engine, settings=settings, now=now, kinds=kinds)
    # Checked a chunk at a time rather than all first: the same result (checks read nothing
    # from the database), without 100k validated requests alive at once for the GC to walk.
    for start in range(0, len(rows), chunk_rows):
        accepted: list[Accepted] = []
        accepted_lines: list[int] = []
        for line, values in rows[start : start + chunk_rows]:
            checked = _check(values, settings=settings, now=now, kinds=kinds)
            if isinstance(checked, str):
                report.errors.append((line, checked))
                continue
            accepted.append(checked)
            accepted_lines.append(line)
        for line, written in zip(accepted_lines, bulk.write(accepted), strict=True):
            if isinstance(written, str):
                report.errors.append((line, written))
            else:
                report.registered.append((line, written))
    report.errors.sort()  # a row refused at write time joins those refused when checked
    return report


def _check(
    values: dict[str, str] | None, *, settings: Settings, now: datetime, kinds: KindCatalog
) -> Accepted | str:
    """The row as a request ready to write, or why it cannot be registered."""
    if values is None:
        return "more fields than columns in the header"
    try:
        request = TreatmentCreate.model_validate(values)
        checked_kind(request, kinds)
        return Accepted(request, performed_instant(request, zone=settings.zone, now=now))
    except ValidationError as exc:
        return describe_error(exc)
    except RegistrationError as exc:
        return str(exc)


def _rows(lines: Iterable[str]) -> Iterator[tuple[int, dict[str, str] | None]]:
    """(line, stripped values) per non-blank row; None for a row with surplus fields."""
    reader = csv.reader(lines)
    try:
        header = [h.strip().lower() for h in next(reader, [])]
        _check_header(header)
        width = len(header)
        for row in reader:
            if len(row) > width:
                yield reader.line_num, None
                continue
            values = [value.strip() for value in row]
            if not any(values):
                continue  # blank lines are common at the end of spreadsheet exports
            values += [""] * (width - len(values))
            yield reader.line_num, dict(zip(header, values, strict=True))
    except csv.Error as exc:
        # Nothing is written before the whole file is read, so this rejects all of it.
        raise CsvFormatError(f"line {reader.line_num}: {exc}") from exc


def _check_header(header: list[str]) -> None:
    if not header:
        raise CsvFormatError("the file is empty (a header row is required)")
    missing = REQUIRED - set(header)
    if missing:
        raise CsvFormatError(f"missing required column(s): {', '.join(sorted(missing))}")
    unknown = [h for h in header if h not in KNOWN]
    if unknown:
        raise CsvFormatError(
            f"unknown column(s): {', '.join(unknown)} (known: {', '.join(sorted(KNOWN))})"
        )
