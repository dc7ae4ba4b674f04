"""`aftercare staff`: create, list, give a role to, reset, stop and sign out staff logins."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Annotated

import typer
from sqlmodel import Session

from models.db import session_scope
from models.tables import StaffUser
from models.vocabulary import Role
from scheduler.cli.common import console, database, fail, load_settings
from scheduler.clock import system_clock
from scheduler.staff import audit

staff_app = typer.Typer(help="Staff accounts for the web pages.", no_args_is_help=True)

EmailArg = Annotated[str, typer.Argument(help="The account's login email.")]
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input.")
]
RoleOption = Annotated[
    str,
    typer.Option(
        "--role",
        help="admin (everything, accounts, tokens, audit, export, erasure), front-desk, or "
        "practitioner (front desk plus acknowledging alerts).",
    ),
]
PractitionerOption = Annotated[
    str | None,
    typer.Option(
        "--practitioner",
        help="The practitioner this login is (their name as registered): with "
        "PRACTITIONER_SEES_OWN_ONLY=true it sees only their patients.",
    ),
]
ACTOR = "cli"  # who the audit log names for changes made at the command line


def _practitioner_id(session: Session, name: str | None) -> int | None:
    from scheduler.followups.practitioners import find_practitioner
    from scheduler.staff.accounts import StaffError

    if name is None:
        return None
    found = find_practitioner(session, name)
    if found is None:
        raise StaffError(
            f"practitioner: no practitioner named {name!r} (aftercare practitioner add)"
        )
    return found.id


def _role(value: str) -> Role:
    from scheduler.staff.roles import parse_role

    try:
        return parse_role(value)
    except ValueError as exc:
        fail(f"role: {exc}")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


def _change(
    action: str, change: Callable[[Session], StaffUser], detail: str | None = None
) -> StaffUser:
    """Run one account change and its audit event in one transaction; errors exit 1."""
    from scheduler.staff.accounts import StaffError

    settings = load_settings()
    try:
        with session_scope(database(settings)) as session:
            staff = change(session)
            target = f"staff:{staff.id}"
            audit.record(
                session,
                actor=ACTOR,
                action=action,
                target=target,
                detail=detail,
                now=system_clock(),
            )
    except StaffError as exc:
        fail(str(exc))
    return staff


@staff_app.command("add")
def staff_add(
    email: EmailArg,
    name: Annotated[str, typer.Option(help="Name shown in the pages and the audit log.")] = "",
    role: RoleOption = Role.FRONT_DESK.value,
    practitioner: PractitionerOption = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Create a staff login (asks for the password twice unless --password-stdin)."""
    from scheduler.staff.accounts import add_staff

    chosen = _role(role)
    password = _read_password(password_stdin)
    now = system_clock()

    def create(session: Session) -> StaffUser:
        linked = _practitioner_id(session, practitioner)
        return add_staff(
            session, email, password, name=name, role=chosen, practitioner_id=linked, now=now
        )

    staff = _change("staff_add", create, detail=f"role {chosen}")
    console.print(f"Staff account {staff.id} created for {staff.email} ({chosen}).")


@staff_app.command("role")
def staff_role(
    email: EmailArg,
    role: Annotated[str, typer.Argument(help="admin, front-desk or practitioner.")],
    practitioner: PractitionerOption = None,
) -> None:
    """Give an account another role (and link it to a practitioner, or unlink it)."""
    from scheduler.staff.accounts import set_role

    chosen = _role(role)

    def change(session: Session) -> StaffUser:
        linked = _practitioner_id(session, practitioner)
        return set_role(session, email, chosen, practitioner_id=linked)

    staff = _change("staff_role", change, detail=f"role {chosen}")
    console.print(f"{staff.email} is now {chosen}.")


@staff_app.command("list")
def staff_list() -> None:
    """Every account: whether it may sign in, its last sign-in, and any lockout."""
    from scheduler.cli.tables import local
    from scheduler.staff.accounts import list_staff

    settings = load_settings()
    with session_scope(database(settings)) as session:
        accounts = list_staff(session)
    if not accounts:
        typer.echo("No staff accounts yet: aftercare staff add EMAIL")
    for staff in accounts:
        last = local(staff.last_login_at, settings.zone) if staff.last_login_at else "never"
        state = "active" if staff.active else "deactivated"
        if staff.locked_until is not None and staff.locked_until > system_clock():
            state += f", locked until {local(staff.locked_until, settings.zone)}"
        name = staff.name or "-"
        typer.echo(
            f"{staff.id:>4}  {staff.email:<32} {name:<24} {staff.role:<13} {state}; "
            f"last sign-in {last}"
        )


@staff_app.command("password")
def staff_password(email: EmailArg, password_stdin: PasswordStdin = False) -> None:
    """Set a new password; it lifts a lockout and signs the account out everywhere."""
    from scheduler.staff.accounts import set_password

    password = _read_password(password_stdin)
    staff = _change("staff_password", lambda s: set_password(s, email, password))
    console.print(f"New password set for {staff.email}; its sessions have ended.")


@staff_app.command("deactivate")
def staff_deactivate(email: EmailArg) -> None:
    """Stop an account from signing in (someone who left) and end its sessions."""
    from scheduler.staff.accounts import set_active

    staff = _change("staff_deactivate", lambda s: set_active(s, email, active=False))
    console.print(f"{staff.email} can no longer sign in; its sessions have ended.")


@staff_app.command("activate")
def staff_activate(email: EmailArg) -> None:
    """Let a deactivated account sign in again (with its old password)."""
    from scheduler.staff.accounts import set_active

    staff = _change("staff_activate", lambda s: set_active(s, email, active=True))
    console.print(f"{staff.email} can sign in again.")


@staff_app.command("signout")
def staff_signout(email: EmailArg) -> None:
    """End every session of an account (a lost phone, a shared computer), password unchanged."""
    from scheduler.staff.accounts import end_sessions, require_staff

    def sign_out(session: Session) -> StaffUser:
        staff = require_staff(session, email)
        end_sessions(session, staff)
        return staff

    staff = _change("staff_signout", sign_out)
    console.print(f"Every session of {staff.email} has ended.")
