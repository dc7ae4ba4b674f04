"""The PostgreSQL server the tests use (127.0.0.1:5432, trust auth; `.ci/run` starts it)."""

from __future__ import annotations

import os

import psycopg
import pytest

PG_ADMIN_URL = os.environ.get("AFTERCARE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REQUIRE_PG = os.environ.get("AFTERCARE_REQUIRE_POSTGRES") == "1"


def pg_admin() -> psycopg.Connection[tuple[object, ...]]:
    try:
        return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required here but unreachable at {PG_ADMIN_URL}: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL} (set up by .ci/run)")
