"""is_valid_twilio_request against signatures made by the SDK's own RequestValidator."""

from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator

from scheduler.web.twilio_signature import is_valid_twilio_request

TOKEN = "12345678901234567890123456789012"
URL = "https://clinic.example/webhooks/twilio/status"
PARAMS = {"MessageSid": "SM" + "a" * 32, "MessageStatus": "delivered", "To": "+15145550123"}


def sign(url: str = URL, params: dict[str, str] = PARAMS, token: str = TOKEN) -> str:
    return str(RequestValidator(token).compute_signature(url, params))


def test_accepts_a_genuine_signature() -> None:
    assert is_valid_twilio_request(TOKEN, URL, PARAMS, sign())


def test_accepts_url_with_default_port_spelled_out() -> None:
    # The SDK tries the URL with and without the port, as Twilio signs either form.
    assert is_valid_twilio_request(
        TOKEN, "https://clinic.example:443/webhooks/twilio/status", PARAMS, sign()
    )


@pytest.mark.parametrize(
    ("token", "url", "params", "signature"),
    [
        pytest.param(
            TOKEN, URL, {**PARAMS, "MessageStatus": "failed"}, sign(), id="tampered-param"
        ),
        pytest.param(TOKEN, URL, {**PARAMS, "Extra": "1"}, sign(), id="added-param"),
        pytest.param(TOKEN, URL + "?x=1", PARAMS, sign(), id="tampered-query"),
        pytest.param(
            TOKEN, "https://evil.example/webhooks/twilio/status", PARAMS, sign(), id="other-host"
        ),
        pytest.param(TOKEN, URL, PARAMS, None, id="missing-header"),
        pytest.param(TOKEN, URL, PARAMS, "", id="empty-header"),
        pytest.param(TOKEN, URL, PARAMS, sign(token="other" + TOKEN), id="other-token"),
        pytest.param("", URL, PARAMS, sign(token=""), id="empty-token-never-validates"),
    ],
)
def test_rejects(token: str, url: str, params: dict[str, str], signature: str | None) -> None:
    assert not is_valid_twilio_request(token, url, params, signature)
