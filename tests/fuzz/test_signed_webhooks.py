"""Twilio's webhooks fuzzed with correctly signed, hostile forms (hypothesis): never a 5xx.

The signature only proves Twilio sent it; what is inside must still be read carefully: NUL
bytes, control characters, huge or odd numbers, fields longer than the columns.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from twilio.request_validator import RequestValidator

from models.db import session_scope
from scheduler.clock import SimulatedClock
from scheduler.followups.intake import TreatmentCreate
from scheduler.followups.registration import register_treatment
from scheduler.ops.runtime import open_database
from scheduler.web.app import create_app
from tests.support.settings import make_settings

TOKEN = "tok_fuzz_5e1c9a7b3d2f4086"
BASE = "https://clinic.example"
NOW = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)
PATIENT = "+16135550124"

HOSTILE = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.sampled_from("\x00\r\n\t\x7f\u2028é9 +-.:²٣"), max_size=20),
    st.sampled_from(
        ["", PATIENT, "+1" + "9" * 400, "9" * 5000, "-1", "²", "1e9", "SM" + "a" * 300]
    ),
    st.sampled_from(["delivered", "undelivered", "failed", "sent", "queued", "read"]),
)
KEYS = st.sampled_from(
    [
        *("MessageSid", "SmsSid", "From", "To", "Body", "NumMedia", "MediaUrl0"),
        *("MessageStatus", "SmsStatus", "ErrorCode", "AccountSid", "MediaContentType0"),
    ]
)
FORMS = st.dictionaries(KEYS, HOSTILE, max_size=8)


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    app_settings = make_settings(database_url, twilio_auth_token=TOKEN)
    engine: Engine = open_database(app_settings)
    request = TreatmentCreate.model_validate({"name": "Ana Lima", "phone": PATIENT})
    with session_scope(engine) as session:
        register_treatment(session, request, settings=app_settings, now=NOW)
    app = create_app(app_settings, engine, clock=SimulatedClock(NOW))
    with TestClient(app, base_url=BASE, raise_server_exceptions=False) as test_client:
        yield test_client
    engine.dispose()


def post_signed(client: TestClient, path: str, form: dict[str, str]) -> int:
    signature = RequestValidator(TOKEN).compute_signature(BASE + path, form)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": signature,
    }
    return client.post(path, content=urlencode(form), headers=headers).status_code


@pytest.mark.parametrize("path", ["/webhooks/twilio/sms", "/webhooks/twilio/status"])
def test_signed_hostile_forms_never_get_a_server_error(client: TestClient, path: str) -> None:
    @given(form=FORMS)
    @settings(
        max_examples=120,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(form: dict[str, str]) -> None:
        status = post_signed(client, path, form)
        assert status < 500, (status, form)
        assert status in (200, 204, 400, 413), (status, form)

    fuzz()
