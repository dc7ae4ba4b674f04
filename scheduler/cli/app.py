"""The `aftercare` command: the one place every sub-command is assembled.

Each group lives in its own module (treatments, operations, admin, staff); every command is a
thin wrapper over the service functions.
"""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import ValidationError

from scheduler.cli import admin, operations, treatments
from scheduler.ops.logs import configure_logging
from scheduler.settings import Settings

app = typer.Typer(
    help="Aftercare: follow-up messages after clinic treatments, and their replies triaged.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


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


# `aftercare --help` lists the commands, then the groups, each in the order added here.
app.registered_commands += operations.tools_app.registered_commands
app.add_typer(treatments.treatment_app, name="treatment")
app.add_typer(treatments.messages_app, name="messages")
app.add_typer(operations.db_app, name="db")
admin.register(app)


def main() -> None:
    app()
