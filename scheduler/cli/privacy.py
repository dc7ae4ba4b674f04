"""`aftercare patient` and `aftercare retention`: a patient's export and erasure; retention."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from models.db import session_scope
from scheduler.cli.common import cli_actor, console, database, fail, load_settings
from scheduler.clock import system_clock

patient_app = typer.Typer(help="A patient's data: export it, erase it.", no_args_is_help=True)
retention_app = typer.Typer(help="Erase content older than RETENTION_DAYS.", no_args_is_help=True)

PatientArg = Annotated[int, typer.Argument(help="The patient's id (see the timeline's address).")]


@patient_app.command("export")
def patient_export(
    patient_id: PatientArg,
    form: Annotated[str, typer.Option("--format", help="json or html (printable).")] = "json",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file, not stdout.")
    ] = None,
) -> None:
    """Everything held about a patient (identity, treatments, messages, replies, alerts,
    opted-out addresses, who viewed them); audited."""
    from scheduler.privacy.export import FORMATS, export_patient

    if form not in FORMATS:
        fail(f"format: use {' or '.join(FORMATS)}")
    settings = load_settings()
    try:
        with session_scope(database(settings)) as session:
            text = export_patient(
                session,
                patient_id,
                form,
                by=cli_actor(),
                now=system_clock(),
            )
    except LookupError as exc:
        fail(str(exc))
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"Patient {patient_id} exported to {output} ({form}).", err=True)


@patient_app.command("erase")
def patient_erase(
    patient_id: PatientArg,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Erase a patient's name, contact details and texts for good (counts and statuses stay);
    pending messages are cancelled. Refused while one of their alerts is open."""
    from models import Patient
    from scheduler.privacy.erasure import ErasureRefused, erase_patient, refusal

    settings = load_settings()
    engine = database(settings)
    with session_scope(engine) as session:
        patient = session.get(Patient, patient_id)
        if patient is None:
            fail(f"no patient with id {patient_id}")
        why = refusal(session, patient)
        name = patient.name
    if why is not None:
        fail(why)
    if not yes and not typer.confirm(f"Erase everything about {name} (patient {patient_id})?"):
        fail("nothing erased")
    try:
        with session_scope(engine) as session:
            report = erase_patient(session, patient_id, by=cli_actor(), now=system_clock())
    except (ErasureRefused, LookupError) as exc:
        fail(str(exc))
    changed = sum(report.changed.values())
    console.print(
        f"Patient {patient_id} erased: {report.cancelled} pending message(s) cancelled, "
        f"{changed} value(s) removed."
    )


@retention_app.command("run")
def retention_run(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be erased; change nothing.")
    ] = False,
) -> None:
    """Erase now what the daily job would: patients with no message or reply for
    RETENTION_DAYS, and old replies from unknown senders."""
    from scheduler.privacy.retention import run_retention

    settings = load_settings()
    if settings.retention_days <= 0:
        fail("RETENTION_DAYS is 0: retention is off")
    report = run_retention(
        database(settings), days=settings.retention_days, now=system_clock(), dry_run=dry_run
    )
    console.print(report.summary())
    if report.patients:
        shown = ", ".join(str(i) for i in report.patients[:50])
        more = len(report.patients) - 50
        console.print(f"patients: {shown}" + (f" and {more} more" if more > 0 else ""))
    for patient_id, why in sorted(report.skipped.items()):
        console.print(f"left for the next run: patient {patient_id}: {why}")
