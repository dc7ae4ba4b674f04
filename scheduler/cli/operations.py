"""The operator's and the curious clinic's commands: serve, dispatch, preview, triage, demo, db."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError

from models.db import make_engine
from models.migrate import upgrade
from scheduler.channels.media import build_channels
from scheduler.cli.common import console, database, fail, load_settings, parse_moment
from scheduler.clock import system_clock
from scheduler.followups.kinds import DEFAULT_KIND
from scheduler.ops.logs import configure_logging
from scheduler.ops.runtime import StartupError, describe_db_error
from scheduler.ops.startup import checked_renderer
from scheduler.outbound.dispatch import Dispatcher

# Commands added straight onto the `aftercare` app (see app.py), and the `db` group.
tools_app = typer.Typer()
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)


@tools_app.command()
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


@tools_app.command()
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


@tools_app.command()
def kinds() -> None:
    """List the treatment kinds, their steps and where each kind's file comes from."""
    from scheduler.followups.preview import PreviewError, list_kinds

    try:
        # soft_wrap: file paths and sources must not be cut at the console width when piped.
        console.print(list_kinds(load_settings()), markup=False, highlight=False, soft_wrap=True)
    except PreviewError as exc:
        fail(str(exc))


@tools_app.command()
def preview(
    kind: Annotated[str, typer.Option(help="Treatment kind (see aftercare kinds).")] = DEFAULT_KIND,
    language: Annotated[str | None, typer.Option(help="en or fr (default: both).")] = None,
    step: Annotated[
        str | None, typer.Option(help="One step of the kind (default: every step).")
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="The patient's first name, to see what it costs.")
    ] = None,
) -> None:
    """Render a kind's messages for a sample patient: SMS segments and the files they come from."""
    from scheduler.followups.preview import PreviewError, render_preview

    try:
        console.print(
            render_preview(load_settings(), kind=kind, language=language, step=step, name=name),
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    except PreviewError as exc:
        fail(str(exc))


@tools_app.command()
def triage(
    texts: Annotated[
        list[str] | None,
        typer.Argument(help="Replies to classify; none: one per line from stdin.", metavar="TEXT"),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help='One {"level", "keyword", "reasons", "checkin", "question"} object per line.',
        ),
    ] = False,
    kind: Annotated[
        str | None,
        typer.Option(help="Also apply this kind's red flags and expected effects (its file)."),
    ] = None,
) -> None:
    """Classify replies: level, STOP/START/HELP keyword, check-in answer, question, reasons."""
    import json

    from scheduler.followups.kinds import KindError, catalog_for
    from scheduler.inbound.kind_signs import with_kind_signs
    from scheduler.inbound.triage import classify

    treatment_kind = None
    if kind is not None:
        try:
            treatment_kind = catalog_for(load_settings()).require(kind)
        except (KindError, LookupError) as exc:
            fail(str(exc))
    if not texts and sys.stdin.isatty():
        fail("give the replies as arguments, or pipe them in one per line")
    replies = texts or [line.rstrip("\r\n") for line in sys.stdin if line.strip()]
    for text in replies:
        result = with_kind_signs(classify(text), text, treatment_kind, classify)
        if as_json:
            typer.echo(json.dumps(result._asdict(), ensure_ascii=False))
        else:
            # Columns: level, keyword, check-in answer, "?" when it asks something, reasons, text.
            reasons = ", ".join(result.reasons) or "-"
            asks = "?" if result.question else "-"
            typer.echo(
                f"{result.level:<7} | {result.keyword or '-':<5} | {result.checkin or '-'} | "
                f"{asks} | {reasons} | {text}"
            )


@tools_app.command()
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
