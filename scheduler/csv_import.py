"""`treatment import FILE.csv`: rows registered one by one; bad rows reported, good ones kept."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy import Engine

from models.db import session_scope
from scheduler.intake import TreatmentCreate, describe_error
from scheduler.registration import RegistrationError, register_treatment
from scheduler.settings import Settings

REQUIRED = {"name", "phone"}
KNOWN = REQUIRED | {"email", "language", "channel", "performed_at", "practitioner", "kind"}


class CsvFormatError(ValueError):
    """The file as a whole cannot be read (header problems); nothing was written."""


@dataclass
class ImportReport:
    registered: list[tuple[int, int]] = field(default_factory=list)  # (line, treatment id)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)


def import_csv(
    lines: Iterable[str], engine: Engine, *, settings: Settings, now: datetime
) -> ImportReport:
    """Register every valid row in its own transaction, so one bad row costs only itself."""
    reader = csv.DictReader(lines)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
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
    reader.fieldnames = header
    report = ImportReport()
    for row in reader:
        line = reader.line_num
        if None in row:
            report.errors.append((line, "more fields than columns in the header"))
            continue
        values = {key: (value or "").strip() for key, value in row.items()}
        if not any(values.values()):
            continue  # blank lines are common at the end of spreadsheet exports
        try:
            request = TreatmentCreate.model_validate(values)
            with session_scope(engine) as session:
                registered = register_treatment(session, request, settings=settings, now=now)
                treatment_id = registered.treatment.id
        except ValidationError as exc:
            report.errors.append((line, describe_error(exc)))
            continue
        except RegistrationError as exc:
            report.errors.append((line, str(exc)))
            continue
        assert treatment_id is not None
        report.registered.append((line, treatment_id))
    return report
