"""`aftercare token`: API tokens, one per integration (shown once, stored as a digest)."""

from __future__ import annotations

from typing import Annotated

import typer

from models.db import session_scope
from scheduler.cli.common import cli_actor, console, database, fail, load_settings
from scheduler.clock import system_clock
from scheduler.staff import audit

token_app = typer.Typer(help="API tokens for integrations.", no_args_is_help=True)

NameArg = Annotated[str, typer.Argument(help="The integration, e.g. booking-system.")]


@token_app.command("add")
def token_add(
    name: NameArg,
    scope: Annotated[
        str,
        typer.Option(
            "--scope",
            help="read (lists and records) or write (also register, cancel, message, acknowledge).",
        ),
    ],
) -> None:
    """Create a token; it is printed once and cannot be shown again."""
    from scheduler.staff.api_tokens import TokenError, create_token, parse_scope

    settings = load_settings()
    now, actor = system_clock(), cli_actor()
    try:
        chosen = parse_scope(scope)
        with session_scope(database(settings)) as session:
            created = create_token(session, name, chosen, by=actor, now=now)
            audit.record(
                session,
                actor=actor,
                action="token_add",
                target=f"token:{created.row.id}",
                detail=f"{created.row.name} ({chosen})",
                now=now,
            )
    except TokenError as exc:
        fail(str(exc))
    console.print(f"Token {created.row.id} ({created.row.name}, {chosen}) created. Keep it now;")
    console.print("it is not stored and cannot be shown again:")
    typer.echo(created.secret)


@token_app.command("list")
def token_list() -> None:
    """Every token: name, scope, first characters, last use; revoked ones last."""
    from scheduler.cli.tables import local
    from scheduler.staff.api_tokens import list_tokens

    settings = load_settings()
    with session_scope(database(settings)) as session:
        tokens = list_tokens(session)
    if not tokens:
        typer.echo("No API tokens yet: aftercare token add NAME --scope read|write")
    for token in tokens:
        used = local(token.last_used_at, settings.zone) if token.last_used_at else "never used"
        state = (
            f"revoked {local(token.revoked_at, settings.zone)}" if token.revoked_at else "active"
        )
        typer.echo(
            f"{token.id:>4}  {token.name:<24} {token.scope:<6} {token.prefix}…  {state}; "
            f"last used {used}"
        )


@token_app.command("revoke")
def token_revoke(name: NameArg) -> None:
    """Stop a token from working, at once."""
    from scheduler.staff.api_tokens import TokenError, revoke_token, token_named

    settings = load_settings()
    now, actor = system_clock(), cli_actor()
    try:
        with session_scope(database(settings)) as session:
            found = token_named(session, name)
            assert found.id is not None
            revoke_token(session, found.id, by=actor, now=now)
            audit.record(
                session, actor=actor, action="token_revoke", target=f"token:{found.id}",
                detail=found.name, now=now,
            )  # fmt: skip
    except TokenError as exc:
        fail(str(exc))
    console.print(f"Token {found.name} revoked: calls with it now get 401.")
