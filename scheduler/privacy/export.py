"""A patient's copy of their data: every registered kind of it, as JSON or a printable page."""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from typing import Any, Literal

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlmodel import Session

from models import Patient
from scheduler.privacy.patient_data import PATIENT_DATA, json_value
from scheduler.shipped import templates_dir
from scheduler.staff import audit

FORMAT = "aftercare-patient-export/1"
Format = Literal["json", "html"]
FORMATS: tuple[Format, ...] = ("json", "html")
STYLESHEET = "pages/static/export.css"  # inlined in a file, linked from /static on the web

SECTION_TITLES = {
    "patient": "Identity",
    "treatments": "Treatments",
    "messages": "Messages sent or scheduled",
    "replies": "Replies",
    "photos": "Photos sent with replies",
    "alerts": "Alerts raised for the practitioner",
    "opted_out_addresses": "Addresses that asked for no more messages",
    "audit": "Who viewed or changed this record",
}


def patient_export(session: Session, patient_id: int, *, now: datetime) -> dict[str, Any]:
    """Everything held about the patient, by kind; LookupError if there is no such patient."""
    if session.get(Patient, patient_id) is None:
        raise LookupError(f"no patient with id {patient_id}")
    found: dict[str, Any] = {"format": FORMAT, "exported_at": json_value(now)}
    for data in PATIENT_DATA:
        rows = data.export(session, patient_id)
        found[data.section] = (rows[0] if rows else None) if data.single else rows
    return found


def export_patient(
    session: Session, patient_id: int, form: Format, *, by: str, now: datetime
) -> str:
    """The export as text in `form`, audited (no commit; the export lists earlier events)."""
    found = patient_export(session, patient_id, now=now)
    audit.record(
        session,
        actor=by,
        action="export",
        target=audit.patient_target(patient_id),
        detail=form,
        now=now,
    )
    if form == "json":
        return json.dumps(found, ensure_ascii=False, indent=2) + "\n"
    return export_html(found, stylesheet_href=None)


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(templates_dir()),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
    )


def export_html(found: dict[str, Any], *, stylesheet_href: str | None) -> str:
    """The printable page; its style inline (a file to keep) or linked (served under our CSP)."""
    css = None if stylesheet_href else (templates_dir() / STYLESHEET).read_text(encoding="utf-8")
    sections = []
    for data in PATIENT_DATA:
        value = found[data.section]
        rows = [] if value is None else [value] if data.single else value
        columns = list(rows[0]) if rows else []
        sections.append(
            {
                "key": data.section,
                "title": SECTION_TITLES.get(data.section, data.section.replace("_", " ").title()),
                "columns": columns,
                "rows": rows,
                "single": data.single,
            }
        )
    return (
        _environment()
        .get_template("privacy/export.html")
        .render(found=found, sections=sections, css=css, stylesheet_href=stylesheet_href)
    )
