"""Shared fixtures: real SQLite files per test, a fresh PostgreSQL database per test that asks."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from models.db import make_engine
from models.migrate import upgrade
from scheduler.ops.runtime import open_database
from scheduler.outbound.render import MessageRenderer
from scheduler.settings import Settings
from tests.support.postgres import PG_ADMIN_URL, REQUIRE_PG, pg_admin
from tests.support.settings import make_settings

_pg_passed = 0


# `make test` runs the suite on SQLite files; `make test-postgres` (and .ci/run) runs it again
# with every test's database on PostgreSQL. Modules that override `database_url` with
# `each_database_url` run on both in every run.
TEST_DATABASE = os.environ.get("AFTERCARE_TEST_DATABASE", "sqlite")


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A SQLite file, or a migrated PostgreSQL database when AFTERCARE_TEST_DATABASE=postgresql."""
    if TEST_DATABASE == "postgresql":
        url: str = request.getfixturevalue("migrated_pg_url")
        return url
    return f"sqlite:///{tmp_path / 'aftercare.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def each_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """SQLite, then a fresh PostgreSQL database with the schema migrated."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'aftercare.db'}"
    url: str = request.getfixturevalue("migrated_pg_url")
    return url


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = open_database(settings)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def renderer() -> MessageRenderer:
    return MessageRenderer()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped afterwards; fails (not skips) in CI if down."""
    name = f"aftercare_test_{uuid.uuid4().hex[:10]}"
    admin = pg_admin()
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        base = PG_ADMIN_URL.rsplit("/", 1)[0]
        try:
            yield f"{base}/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A database migrated once per run; each test copies it (much faster than migrating)."""
    name = f"aftercare_tpl_{uuid.uuid4().hex[:10]}"
    admin = pg_admin()
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        base = PG_ADMIN_URL.rsplit("/", 1)[0]
        engine = make_engine(f"{base}/{name}")
        upgrade(engine)
        engine.dispose()
        try:
            yield name
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def migrated_pg_url(pg_template: str) -> Iterator[str]:
    """A fresh PostgreSQL database with the schema at head, dropped afterwards."""
    name = f"aftercare_test_{uuid.uuid4().hex[:10]}"
    admin = pg_admin()
    with admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
        try:
            yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    global _pg_passed
    if report.when == "call" and report.passed and "postgres" in report.keywords:
        _pg_passed += 1


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # CI must fail, not quietly pass, when the PostgreSQL tests were skipped or deselected.
    # With pytest-xdist the controller counts every worker's reports; a worker alone may have
    # drawn no PostgreSQL test at all.
    if hasattr(session.config, "workerinput"):
        return
    if REQUIRE_PG and _pg_passed == 0 and exitstatus == 0 and session.testscollected:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        print("\nERROR: AFTERCARE_REQUIRE_POSTGRES=1 but no PostgreSQL test passed")
