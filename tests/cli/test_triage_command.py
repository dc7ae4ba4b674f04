"""`aftercare triage` in-process: replies from arguments or stdin, readable lines or JSON lines."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from scheduler.cli.app import app
from tests.support.cli import Cli, Run, cli_in

REPLIES = [
    "no fever but there's pus on my cheek",
    "STOP",
    "Merci, un peu rouge comme un coup de soleil",
    "ça me démange énormément",
    "aide",
    "3 j'ai de la fièvre",
    "1 can I wear makeup?",
]
# (level, keyword, reasons, checkin, question) for each of REPLIES
TRIAGED: list[tuple[str, str | None, list[str], int | None, bool]] = [
    ("urgent", None, ["pus"], None, False),
    ("routine", "stop", [], None, False),
    ("routine", None, ["thanks", "mild redness"], None, False),
    ("concern", None, ["intense itching"], None, False),
    ("routine", "help", [], None, False),
    ("urgent", None, ["check-in 3", "fever"], 3, False),
    ("routine", None, ["check-in 1", "question"], 1, True),
]
FIELDS = ["level", "keyword", "reasons", "checkin", "question"]
EXPECTED = [dict(zip(FIELDS, triaged, strict=True)) for triaged in TRIAGED]


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    with cli_in(tmp_path, monkeypatch) as runner:
        yield runner


def piped(cli: Cli, stdin: str, *args: str) -> Run:
    result = cli.runner.invoke(app, ["triage", *args], input=stdin, env=cli.env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Run(result.exit_code, result.stdout, result.stderr)


def json_lines(run: Run) -> list[dict[str, object]]:
    assert run.exit_code == 0, run.stderr
    lines = run.stdout.splitlines()
    objects = [json.loads(line) for line in lines]
    for line, obj in zip(lines, objects, strict=True):
        assert list(obj) == FIELDS, line
    return objects


def test_arguments_as_json_lines(cli: Cli) -> None:
    run = cli("triage", "--json", *REPLIES)
    assert json_lines(run) == EXPECTED
    assert not cli.db_path.exists()  # pure: no database is opened or created


def test_arguments_as_readable_lines(cli: Cli) -> None:
    run = cli("triage", *REPLIES)
    assert run.exit_code == 0, run.stderr
    lines = run.stdout.splitlines()
    assert len(lines) == len(REPLIES)
    for line, reply, triaged in zip(lines, REPLIES, TRIAGED, strict=True):
        level, keyword, reasons, checkin, question = triaged
        cells = [cell.strip() for cell in line.split(" | ", 5)]
        shown = [level, keyword or "-", str(checkin or "-"), "?" if question else "-"]
        assert cells == [*shown, ", ".join(reasons) or "-", reply]


def test_stdin_lines_skip_blank_ones(cli: Cli) -> None:
    stdin = "\n".join(["", REPLIES[0], "   ", REPLIES[1], "", *REPLIES[2:], ""]) + "\r\n\r\n"
    assert json_lines(piped(cli, stdin, "--json")) == EXPECTED


def test_stdin_windows_line_endings_and_readable_output(cli: Cli) -> None:
    run = piped(cli, "my lips are swollen\r\nSTOP\r\n")
    assert run.exit_code == 0, run.stderr
    assert run.stdout.splitlines() == [
        "urgent  | -     | - | - | swelling of the lips | my lips are swollen",
        "routine | stop  | - | - | - | STOP",
    ]


def test_arguments_win_over_stdin(cli: Cli) -> None:
    run = piped(cli, "I have a fever\n", "--json", "thanks!")
    assert json_lines(run) == [
        {
            "level": "routine",
            "keyword": None,
            "reasons": ["thanks"],
            "checkin": None,
            "question": False,
        }
    ]


def test_empty_stdin_prints_nothing(cli: Cli) -> None:
    run = piped(cli, "\n\n", "--json")
    assert (run.exit_code, run.stdout) == (0, "")


def test_help_names_the_options(cli: Cli) -> None:
    run = cli("triage", "--help")
    assert run.exit_code == 0
    assert "--json" in run.stdout
    assert "stdin" in run.stdout


def test_a_kind_adds_its_red_flags_and_expected_effects(cli: Cli) -> None:
    replies = ["there is a scab on my lip", "small lump after filler"]
    assert [r["level"] for r in json_lines(cli("triage", "--json", *replies))] == [
        "routine",
        "concern",
    ]
    run = cli("triage", "--json", "--kind", "dermal_filler", *replies)
    assert [r["level"] for r in json_lines(run)] == ["urgent", "routine"]


def test_an_unknown_kind_is_one_error_line(cli: Cli) -> None:
    run = cli("triage", "--kind", "botox", "hello")
    assert run.exit_code == 1
    assert run.stderr.strip() == (
        "error: unknown treatment kind 'botox' (known: microneedling, chemical_peel,"
        " dermal_filler, ipl)"
    )
