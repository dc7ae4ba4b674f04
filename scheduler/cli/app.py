"""The `aftercare` command: thin wrappers over the service functions."""

from __future__ import annotations

import io
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from models.db import make_engine, session_scope
from models.migrate import upgrade
from scheduler.channels.media import build_channels
from scheduler.cli import admin as cli_admin
from scheduler.cli.common import console, database, fail, load_settings
from scheduler.cli.tables import messages_table, scheduled_table, treatments_table
from scheduler.clock import system_clock
from scheduler.followups.csv_import import CsvFormatError, import_csv
from scheduler.followups.intake import TreatmentCreate, describe_error
from scheduler.followups.registration import RegistrationError, cancel_treatment, register_treatment
from scheduler.ops.logs import configure_logging
from scheduler.ops.runtime import StartupError, describe_db_error
from scheduler.ops.startup import checked_renderer
from scheduler.outbound.dispatch import Dispatcher
from scheduler.settings import Settings
from scheduler.staff.queries import (
    MAX_PER_PAGE,
    MessageFilter,
    PageRequest,
    list_messages,
    list_treatments,
)

app = typer.Typer(
    help="Aftercare: day 1/3/7 follow-up messages after clinic treatments.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
treatment_app = typer.Typer(
    help="Register, import, list and cancel treatments.", no_args_is_help=True
)
messages_app = typer.Typer(help="Look at the outbox.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
app.add_typer(treatment_app, name="treatment")
app.add_typer(messages_app, name="messages")
app.add_typer(db_app, name="db")


def parse_moment(value: str, settings: Settings) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        fail(f"{value!r} is not an ISO 8601 date-time (e.g. 2026-11-25T14:30)")
    return moment if moment.tzinfo else moment.replace(tzinfo=settings.zone)


@app.callback()
def _logging(
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Also log what is done (INFO).")
    ] = False,
) -> None:
    try:
        settings: Settings | None = Settings()
    except ValidationError:
        settings = None  # the command reports it; logging falls back to text
    configure_logging(settings, level="INFO" if verbose else "WARNING")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on (HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (PORT).")] = None,
) -> None:
    """Run the dispatch scheduler and the web app in one long-lived process."""
    from scheduler.service.process import serve as run_service

    settings = load_settings()
    configure_logging(settings)
    try:
        run_service(
            settings,
            host=host if host is not None else settings.host,
            port=port if port is not None else settings.port,
        )
    except StartupError as exc:
        fail(str(exc))


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
    kind: Annotated[str, typer.Option(help="Treatment kind.")] = "microneedling",
    consent_source: Annotated[str, typer.Option(help="How consent was given.")] = "in-clinic",
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
    console.print(treatments_table(found.items, settings.zone))
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


@app.command()
def dispatch(
    now: Annotated[
        str | None,
        typer.Option("--now", help="Pretend it is this ISO time (clinic-local without offset)."),
    ] = None,
) -> None:
    """Run one dispatch pass now (catch-up, tests, simulation)."""
    settings = load_settings()
    engine = database(settings)
    moment = parse_moment(now, settings) if now else None
    try:
        renderer = checked_renderer(settings)
    except StartupError as exc:
        fail(str(exc))
    channels = build_channels(settings)
    dispatcher = Dispatcher(
        engine, settings, channels, renderer, clock=(lambda: moment) if moment else system_clock
    )
    report = dispatcher.run_pass()
    dispatcher.close()
    for channel in channels.values():
        channel.close()
    console.print(f"dispatch: {report.summary()}")


@app.command()
def preview(
    language: Annotated[str | None, typer.Option(help="en or fr (default: both).")] = None,
    step: Annotated[str | None, typer.Option(help="day1, day3 or day7 (default: all).")] = None,
    kind: Annotated[str, typer.Option(help="Treatment kind.")] = "microneedling",
) -> None:
    """Render every message for a sample patient, with SMS segment counts."""
    from scheduler.followups.preview import PreviewError, render_preview

    try:
        console.print(
            render_preview(load_settings(), kind=kind, language=language, step=step),
            markup=False,
            highlight=False,
        )
    except PreviewError as exc:
        fail(str(exc))


@app.command()
def triage(
    texts: Annotated[
        list[str] | None,
        typer.Argument(help="Replies to classify; none: one per line from stdin.", metavar="TEXT"),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help='One {"level", "keyword", "reasons"} object per line.')
    ] = False,
) -> None:
    """Classify patient replies: urgent, concern or routine, a STOP/START/HELP keyword, reasons."""
    import json

    from scheduler.inbound.triage import classify

    if not texts and sys.stdin.isatty():
        fail("give the replies as arguments, or pipe them in one per line")
    replies = texts or [line.rstrip("\r\n") for line in sys.stdin if line.strip()]
    for text in replies:
        result = classify(text)
        if as_json:
            fields = {"level": result.level, "keyword": result.keyword, "reasons": result.reasons}
            typer.echo(json.dumps(fields, ensure_ascii=False))
        else:
            reasons = ", ".join(result.reasons) or "-"
            typer.echo(f"{result.level:<7} | {result.keyword or '-':<5} | {reasons} | {text}")


@app.command()
def demo() -> None:
    """Show a treatment's whole life on a simulated clock, in a few seconds."""
    from scheduler.cli.demo import run_demo

    run_demo(console)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Apply the Alembic migrations to DATABASE_URL."""
    settings = load_settings()
    try:
        upgrade(make_engine(settings.database_url), revision)
    except SQLAlchemyError as exc:
        fail(f"cannot upgrade the database: {describe_db_error(exc)}")
    console.print(f"database at revision {revision}")


# After the everyday commands: `aftercare --help` lists them in the order they were added.
cli_admin.register(app)


def main() -> None:
    app()
