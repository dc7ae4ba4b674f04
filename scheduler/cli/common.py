"""What every `aftercare` command uses: the console, error exits, settings and the database."""

from __future__ import annotations

import getpass
import sys
from datetime import datetime
from typing import NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy import Engine

from scheduler.followups.intake import describe_error
from scheduler.ops.runtime import StartupError, open_database
from scheduler.settings import Settings

# Piped output (scripts, CI logs) gets room for the tables instead of the 80-column default.
console = Console(width=None if sys.stdout.isatty() else 160)


def fail(message: str) -> NoReturn:
    """Print `error: message` on stderr and exit with status 1."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def load_settings() -> Settings:
    """The settings from the environment; an invalid value is a clean error exit."""
    try:
        return Settings()
    except ValidationError as exc:
        fail(f"configuration: {describe_error(exc)}")


def database(settings: Settings) -> Engine:
    """The engine, with the schema current, or a clean error exit."""
    try:
        return open_database(settings)
    except StartupError as exc:
        fail(str(exc))


def parse_moment(value: str, settings: Settings) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        fail(f"{value!r} is not an ISO 8601 date-time (e.g. 2026-11-25T14:30)")
    return moment if moment.tzinfo else moment.replace(tzinfo=settings.zone)


def cli_actor() -> str:
    """Who the audit log names for a command run here: 'cli:<system user>'."""
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no user name in this environment (some containers)
        return "cli"
