"""`aftercare treatment` and `aftercare messages`: register, import, list and cancel; the outbox."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from models.db import session_scope
from scheduler.cli.common import console, database, fail, load_settings
from scheduler.cli.tables import messages_table, scheduled_table, treatments_table
from scheduler.clock import system_clock
from scheduler.followups.csv_import import CsvFormatError, import_csv
from scheduler.followups.intake import TreatmentCreate, describe_error
from scheduler.followups.kinds import DEFAULT_KIND
from scheduler.followups.registration import RegistrationError, cancel_treatment, register_treatment
from scheduler.outbound.optout import opted_out, patient_addresses
from scheduler.staff.queries import (
    MAX_PER_PAGE,
    MessageFilter,
    PageRequest,
    list_messages,
    list_treatments,
)

treatment_app = typer.Typer(
    help="Register, import, list and cancel treatments.", no_args_is_help=True
)
messages_app = typer.Typer(help="Look at the outbox.", no_args_is_help=True)


@treatment_app.command("add")
def treatment_add(
    name: Annotated[str, typer.Option(help="Patient's full name.")],
    phone: Annotated[str, typer.Option(help="Mobile number; 613-555-0124 reads as Canadian.")],
    email: Annotated[str | None, typer.Option(help="Email address.")] = None,
    language: Annotated[str | None, typer.Option(help="en or fr.")] = None,
    channel: Annotated[str, typer.Option(help="sms, email or both.")] = "sms",
    performed_at: Annotated[
        str | None,
        typer.Option(help="ISO 8601; without offset it is clinic-local time. Default: now."),
    ] = None,
    practitioner: Annotated[str | None, typer.Option(help="Who performed it.")] = None,
    kind: Annotated[str, typer.Option(help="Treatment kind (see aftercare kinds).")] = DEFAULT_KIND,
    consent_source: Annotated[str, typer.Option(help="How consent was given.")] = "in-clinic",
    patient: Annotated[
        str | None,
        typer.Option(
            help="When the phone is already someone else's: same (that person, renamed),"
            " new (another person sharing the phone), or their patient id.",
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Register although this patient has this treatment on this date."
        ),
    ] = False,
) -> None:
    """Register a treatment and schedule its follow-up messages."""
    settings = load_settings()
    try:
        request = TreatmentCreate(
            name=name,
            phone=phone,
            email=email,
            language=language,
            channel=channel,
            performed_at=performed_at,
            practitioner=practitioner,
            kind=kind,
            consent_source=consent_source,
            patient=patient,
            force=force,
        )
    except ValidationError as exc:
        fail(describe_error(exc))
    engine = database(settings)
    try:
        with session_scope(engine) as session:
            registered = register_treatment(session, request, settings=settings, now=system_clock())
    except RegistrationError as exc:
        fail(str(exc))
    console.print(f"Treatment {registered.treatment.id} registered for {registered.patient.name}.")
    for warning in registered.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
    console.print(scheduled_table(registered.messages, settings.zone))


@treatment_app.command("import")
def treatment_import(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True, dir_okay=False, readable=True, help="UTF-8 CSV with a header row."
        ),
    ],
) -> None:
    """Register many treatments from a CSV file; bad rows are reported, good rows kept."""
    settings = load_settings()
    engine = database(settings)
    try:
        # Decode it all before registering anything: a bad byte late in the file must not
        # leave the rows before it half-imported.
        text = file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        fail(f"{file} is not UTF-8 text (byte {exc.start}); save it as CSV UTF-8")
    try:
        report = import_csv(
            io.StringIO(text, newline=""), engine, settings=settings, now=system_clock()
        )
    except CsvFormatError as exc:
        fail(f"{file}: {exc}")
    for line, reason in report.errors:
        typer.echo(f"line {line}: {reason}", err=True)
    ids = ", ".join(str(treatment_id) for _, treatment_id in report.registered)
    console.print(
        f"{len(report.registered)} registered, {len(report.errors)} rejected"
        + (f" (treatments {ids})" if ids else "")
    )
    if report.errors:
        raise typer.Exit(1 if not report.registered else 3)


@treatment_app.command("cancel")
def treatment_cancel(treatment_id: Annotated[int, typer.Argument(help="Treatment id.")]) -> None:
    """Cancel a treatment: its unsent messages will not go out."""
    settings = load_settings()
    engine = database(settings)
    try:
        with session_scope(engine) as session:
            stopped = cancel_treatment(session, treatment_id, now=system_clock())
    except RegistrationError as exc:
        fail(str(exc))
    console.print(f"Treatment {treatment_id} cancelled; {stopped} pending message(s) stopped.")


@treatment_app.command("list")
def treatment_list(
    limit: Annotated[int, typer.Option(help="At most this many.", min=1, max=MAX_PER_PAGE)] = 50,
) -> None:
    """List recent treatments."""
    settings = load_settings()
    with session_scope(database(settings)) as session:
        found = list_treatments(session, page=PageRequest(1, limit))
        patients = {row.patient.id: row.patient for row in found.items}
        blocked = opted_out(session, [a for p in patients.values() for a in patient_addresses(p)])
        stopped = {
            patient_id
            for patient_id, patient in patients.items()
            if patient_id is not None and set(patient_addresses(patient)) & blocked
        }
    console.print(treatments_table(found.items, settings.zone, stopped))
    _more(len(found.items), found.total)


@messages_app.command("list")
def messages_list(
    due: Annotated[bool, typer.Option("--due", help="Only messages ready to send now.")] = False,
    status: Annotated[
        list[str] | None,
        typer.Option(
            help="Only these statuses (repeatable): pending, sent, delivered, failed, ..."
        ),
    ] = None,
    treatment: Annotated[int | None, typer.Option(help="Only this treatment.")] = None,
    limit: Annotated[
        int, typer.Option(help="At most this many.", min=1, max=MAX_PER_PAGE)
    ] = MAX_PER_PAGE,
) -> None:
    """List outbox messages with their local send times and outcomes."""
    settings = load_settings()
    filters = MessageFilter(
        statuses=tuple(status or ()),
        treatment_id=treatment,
        ready_at=system_clock() if due else None,
    )
    with session_scope(database(settings)) as session:
        found = list_messages(session, filters, page=PageRequest(1, limit))
    console.print(messages_table(found.items, settings.zone))
    _more(len(found.items), found.total)


def _more(shown: int, total: int) -> None:
    if total > shown:
        console.print(f"{shown} of {total} shown (--limit to see more, at most {MAX_PER_PAGE}).")
