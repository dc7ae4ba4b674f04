"""The JSON API fuzzed against its own OpenAPI schema (schemathesis): no 5xx, no answer that
breaks the schema. Examples are bounded so the run fits the suite's time."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from scheduler.clock import SimulatedClock
from scheduler.ops.runtime import open_database
from scheduler.web.app import create_app
from tests.support.api import AUTH, TOKEN
from tests.support.clinic import DAY1, build_clinic
from tests.support.settings import make_settings

EXAMPLES = 25  # per operation, method and mode: a few seconds for the whole API


@pytest.mark.parametrize("mode", list(GenerationMode))
def test_api_answers_within_its_schema(database_url: str, mode: GenerationMode) -> None:
    """The real app with a small clinic in it (SQLite, or PostgreSQL under make test-postgres),
    every operation fuzzed with valid requests, then with invalid ones (all must be 4xx)."""
    app_settings = make_settings(database_url, api_token=TOKEN)
    engine = open_database(app_settings)
    build_clinic(engine, app_settings)
    app = create_app(app_settings, engine, clock=SimulatedClock(DAY1))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    # The probes answer 503 without a running scheduler, and the webhooks want a signature:
    # those have their own tests (tests/fuzz/test_signed_webhooks.py fuzzes the webhooks).
    every = [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]
    operations = [operation for operation in every if operation.path.startswith("/api/")]
    assert len(operations) >= 10
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case: schemathesis.Case[Any]) -> None:
            case.call_and_validate(
                headers=AUTH,
                checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
            )

        fuzz()
    engine.dispose()
