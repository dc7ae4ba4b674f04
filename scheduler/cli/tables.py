"""Readable tables for the CLI (rich); times shown in the clinic's zone."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from rich.table import Table

from models import OutboundMessage
from scheduler.contacts import mask_phone
from scheduler.outbound.outbox import MessageRow
from scheduler.staff.queries import TreatmentRow


def local(moment: datetime | None, zone: ZoneInfo) -> str:
    if moment is None:
        return ""
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def messages_table(rows: Sequence[MessageRow], zone: ZoneInfo, title: str = "Outbox") -> Table:
    table = Table(title=title, title_justify="left")
    for column in (
        "id",
        "treatment",
        "patient",
        "step",
        "channel",
        "due (local)",
        "status",
        "tries",
        "provider id",
        "note",
    ):
        table.add_column(column, overflow="fold")
    for row in rows:
        m = row.message
        table.add_row(
            str(m.id),
            str(m.treatment_id),
            row.patient.name,
            m.step,
            m.channel,
            local(m.due_at, zone),
            _status(m),
            str(m.attempts),
            m.provider_id or "",
            _note(m, zone),
        )
    return table


def scheduled_table(messages: Sequence[OutboundMessage], zone: ZoneInfo) -> Table:
    table = Table(title="Scheduled", title_justify="left")
    for column in ("id", "step", "channel", "send at (local)", "useful until", "status"):
        table.add_column(column)
    for m in messages:
        table.add_row(
            str(m.id), m.step, m.channel, local(m.due_at, zone), local(m.expires_at, zone), m.status
        )
    return table


def treatments_table(
    rows: Sequence[TreatmentRow], zone: ZoneInfo, opted_out: Collection[int] = ()
) -> Table:
    """Treatments; `opted_out`: ids of patients reached at an address that opted out."""
    table = Table(title="Treatments", title_justify="left")
    for column in ("id", "patient", "phone", "language", "kind", "performed (local)", "status"):
        table.add_column(column)
    for row in rows:
        treatment, patient = row.treatment, row.patient
        status = treatment.status + (" (opted out)" if patient.id in opted_out else "")
        table.add_row(
            str(treatment.id),
            patient.name,
            mask_phone(patient.phone),
            patient.language,
            treatment.kind,
            local(treatment.performed_at, zone),
            status,
        )
    return table


def _status(m: OutboundMessage) -> str:
    if m.delivery_status and m.delivery_status != m.status:
        return f"{m.status} ({m.delivery_status})"
    return m.status


def _note(m: OutboundMessage, zone: ZoneInfo) -> str:
    if m.status == "pending" and m.next_attempt_at != m.due_at:
        retry = f"next try {local(m.next_attempt_at, zone)}"
        return f"{retry}; {m.last_error}" if m.last_error else retry
    if m.error_code and m.last_error:
        return f"[{m.error_code}] {m.last_error}"
    return m.last_error or ""
