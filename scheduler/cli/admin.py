"""The administrative `aftercare` commands: practitioners, the audit log, `check`; staff logins,
API tokens, a patient's export and erasure, retention."""

from __future__ import annotations

from typing import Annotated

import typer

from models.db import session_scope
from scheduler.cli.common import console, database, fail, load_settings
from scheduler.cli.privacy import patient_app, retention_app
from scheduler.cli.staff import staff_app
from scheduler.cli.tokens import token_app
from scheduler.clock import system_clock
from scheduler.settings import Settings

practitioner_app = typer.Typer(
    help="Practitioners and the phone/email their urgent alerts go to.", no_args_is_help=True
)


def check() -> None:
    """Check settings, channels, templates and the database; exit 1 if anything must be fixed."""
    from scheduler.ops.check import run_checks
    from scheduler.ops.verdicts import has_failures

    results = run_checks(Settings)
    for result in results:
        typer.echo(result.line())
    if has_failures(results):
        raise typer.Exit(1)


@practitioner_app.command("add")
def practitioner_add(
    name: Annotated[str, typer.Argument(help="Name, as staff type it when registering.")],
    phone: Annotated[str | None, typer.Option(help="Mobile for urgent alert texts.")] = None,
    email: Annotated[str | None, typer.Option(help="Address for urgent alert emails.")] = None,
    language: Annotated[
        str | None, typer.Option(help="en or fr: the language of their alerts (default en).")
    ] = None,
) -> None:
    """Add a practitioner, or update the contact details of an existing one."""
    from scheduler.followups.practitioners import save_practitioner

    settings = load_settings()
    try:
        with session_scope(database(settings)) as session:
            row = save_practitioner(
                session, name, phone=phone, email=email, language=language, now=system_clock()
            )
    except ValueError as exc:
        fail(str(exc))
    contact = ", ".join(c for c in (row.phone, row.email) if c) or "no contact: alerts go on call"
    console.print(f"Practitioner {row.id}: {row.name} ({contact}; alerts in {row.language})")


@practitioner_app.command("list")
def practitioner_list() -> None:
    """List practitioners and where their alerts go."""
    from scheduler.followups.practitioners import list_practitioners

    settings = load_settings()
    with session_scope(database(settings)) as session:
        for row in list_practitioners(session):
            contact = ", ".join(c for c in (row.phone, row.email) if c) or "-"
            console.print(f"{row.id:>4}  {row.name:<30} {row.language}  {contact}")


def audit_log(
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 50,
) -> None:
    """Print the audit log: who viewed or changed what, and when."""
    from scheduler.cli.tables import local
    from scheduler.staff.audit import recent

    settings = load_settings()
    with session_scope(database(settings)) as session:
        events = recent(session, limit=limit)
    for event in events:
        parts = [local(event.at, settings.zone), event.actor, event.action, event.target or "-"]
        typer.echo("  ".join(parts) + (f"  {event.detail}" if event.detail else ""))


def register(app: typer.Typer) -> None:
    """Add these commands and groups to the `aftercare` app."""
    app.command()(check)
    app.command("audit")(audit_log)
    app.add_typer(staff_app, name="staff")
    app.add_typer(token_app, name="token")
    app.add_typer(practitioner_app, name="practitioner")
    app.add_typer(patient_app, name="patient")
    app.add_typer(retention_app, name="retention")
