"""Every command's --help reads as a CLI's, not as Python: flags and placeholders, no type names."""

from __future__ import annotations

import re

import typer
from typer.testing import CliRunner

from scheduler.cli.app import app

PYTHON_TYPE = re.compile(r"<(?:bool|str|int|float|list|path|file|datetime)\b[^>]*>")


def _commands(group: object, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command's words, groups included (Typer's click may be its own vendored copy)."""
    found = [prefix]
    subcommands: dict[str, object] = getattr(group, "commands", {})
    for name, command in sorted(subcommands.items()):
        found += _commands(command, (*prefix, name))
    return found


def test_no_help_shows_python_type_names() -> None:
    root = typer.main.get_command(app)
    runner = CliRunner()
    commands = _commands(root)
    assert len(commands) > 20
    for words in commands:
        result = runner.invoke(app, [*words, "--help"], env={"COLUMNS": "120"})
        assert result.exit_code == 0, words
        assert not PYTHON_TYPE.findall(result.output), (words, result.output)


def test_the_check_would_see_a_type_name() -> None:
    assert PYTHON_TYPE.findall("│ --json   <bool>  One per line │ --limit <int range>")
