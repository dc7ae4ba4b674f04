"""Running `aftercare` in-process on a real SQLite file, and reading what it wrote.

Shared by the CLI, CSV-import and service tests. Every run gets a clean environment: no
setting leaks in from the developer's shell or from a `.env` in the working directory.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select
from typer.testing import CliRunner

import scheduler.cli.common
from models import OutboundMessage, Patient, Treatment
from models.db import make_engine
from scheduler.cli.app import app
from scheduler.outbound.compose import message_context
from scheduler.outbound.render import MessageRenderer
from scheduler.settings import Settings

SETTING_NAMES = frozenset(Settings.model_fields)
TORONTO = ZoneInfo("America/Toronto")
STEPS = {"day1": 1, "day3": 3, "day7": 7}
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def is_setting(env_name: str) -> bool:
    """pydantic-settings matches env names case-insensitively."""
    return env_name.lower() in SETTING_NAMES


def clean_environ() -> dict[str, str]:
    """os.environ without any variable a Settings field would read."""
    return {k: v for k, v in os.environ.items() if not is_setting(k)}


@dataclass(frozen=True)
class Run:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]


def table_rows(text: str, columns: int) -> list[list[str]]:
    """The body rows of the rich tables in `text` that have exactly `columns` cells."""
    rows = []
    for line in text.splitlines():
        if "│" not in line:
            continue
        cells = [cell.strip() for cell in line.split("│")[1:-1]]
        if len(cells) == columns:
            rows.append(cells)
    return rows


class Cli:
    """`aftercare …` in-process, with DATABASE_URL on a SQLite file under `tmp_path`."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.db_path = tmp_path / "aftercare.db"
        self.url = f"sqlite:///{self.db_path}"
        self.env: dict[str, str] = {"DATABASE_URL": self.url}
        self.runner = CliRunner()
        self._engine: Engine | None = None

    def __call__(self, *args: str, env: dict[str, str] | None = None) -> Run:
        result = self.runner.invoke(app, list(args), env={**self.env, **(env or {})})
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Run(
            result.exit_code,
            _ANSI.sub("", result.stdout),
            _ANSI.sub("", result.stderr),
        )

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.url)
        return self._engine

    def counts(self) -> dict[str, int]:
        """Rows per table; zero everywhere if the database file does not exist yet."""
        if not self.db_path.exists():
            return {"patient": 0, "treatment": 0, "outbound_message": 0}
        with Session(self.engine) as session:
            return {
                name: session.exec(select(func.count()).select_from(table)).one()
                for name, table in (
                    ("patient", Patient),
                    ("treatment", Treatment),
                    ("outbound_message", OutboundMessage),
                )
            }

    def messages(self, treatment_id: int | None = None) -> list[OutboundMessage]:
        with Session(self.engine) as session:
            query = select(OutboundMessage).order_by(col(OutboundMessage.id))
            if treatment_id is not None:
                query = query.where(col(OutboundMessage.treatment_id) == treatment_id)
            return list(session.exec(query).all())

    def treatments(self) -> list[Treatment]:
        with Session(self.engine) as session:
            return list(session.exec(select(Treatment).order_by(col(Treatment.id))).all())

    def patients(self) -> list[Patient]:
        with Session(self.engine) as session:
            return list(session.exec(select(Patient).order_by(col(Patient.id))).all())

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


@contextmanager
def cli_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    """A `Cli` whose runs see no developer `.env` (cwd is tmp_path) and no stray settings."""
    for name in list(os.environ):
        if is_setting(name):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    # Wide tables whatever the terminal: a folded cell would split the values the tests read.
    monkeypatch.setattr(scheduler.cli.common.console, "width", 200)
    cli = Cli(tmp_path)
    try:
        yield cli
    finally:
        cli.close()


def write_csv(path: Path, lines: Sequence[str], *, encoding: str = "utf-8") -> Path:
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def today() -> date:
    return datetime.now(TORONTO).date()


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A Toronto wall-clock moment."""
    return datetime.combine(day, time(hour, minute), tzinfo=TORONTO)


def add(
    cli: Cli,
    *,
    name: str = "Alex Martin",
    phone: str = "613-555-0124",
    env: dict[str, str] | None = None,
    **options: str,
) -> int:
    """`treatment add` that must succeed; returns the new treatment's id."""
    args = ["treatment", "add", "--name", name, "--phone", phone]
    for option, value in options.items():
        args += [f"--{option.replace('_', '-')}", value]
    run = cli(*args, env=env)
    assert run.exit_code == 0, run.stderr
    match = re.search(r"\bTreatment (\d+) registered\b", run.stdout)
    assert match, run.stdout
    return int(match.group(1))


def assert_one_error_line(run: Run, *fragments: str) -> None:
    assert run.exit_code == 1, (run.stdout, run.stderr)
    assert len(run.error_lines) == 1, run.stderr
    assert run.error_lines[0].startswith("error:"), run.stderr
    for fragment in fragments:
        assert fragment in run.error_lines[0]


def sms_text(cli: Cli, patient: Patient, step: str = "day1") -> str:
    """The body the console channel prints for this patient (same settings as the CLI runs)."""
    settings = Settings(_env_file=None, database_url=cli.url)
    context = message_context(patient, settings)
    return MessageRenderer().sms("microneedling", step, patient.language, context).text


def by_step(messages: list[OutboundMessage], channel: str = "sms") -> dict[str, OutboundMessage]:
    return {m.step: m for m in messages if m.channel == channel}
