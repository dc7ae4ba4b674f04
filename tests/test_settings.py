"""Settings: `.env.example` documents every field and parses; bad values fail clearly."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pydantic import ValidationError

from scheduler.settings import Settings
from tests.support.paths import REPO

EXAMPLE = REPO / ".env.example"


def test_env_example_lists_every_setting_with_a_comment() -> None:
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    keys = [line.split("=", 1)[0] for line in lines if re.match(r"^[A-Z_]+=", line)]
    assert sorted(k.lower() for k in keys) == sorted(Settings.model_fields)
    for index, line in enumerate(lines):
        if re.match(r"^[A-Z_]+=", line) and not lines[index - 1].startswith("#"):
            # grouped settings share the comment of the first one in their block
            assert re.match(r"^[A-Z_]+=", lines[index - 1]), f"{line} has no comment above it"


def test_env_example_parses_to_the_defaults() -> None:
    from_file = Settings(_env_file=EXAMPLE)
    defaults = Settings(_env_file=None)
    assert from_file.model_dump() == defaults.model_dump()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("send_window", "19:00-10:00", "start before it ends"),
        ("send_window", "morning", "10:00-19:00"),
        ("clinic_timezone", "Mars/Olympus", "unknown time zone"),
        ("sms_channel", "pigeon", "sms_channel"),
        ("secret_key", "", "SECRET_KEY must not be empty"),
        ("log_level", "chatty", "log_level"),
    ],
)
def test_bad_values_are_refused(field: str, value: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        values: dict[str, Any] = {field: value}
        Settings(_env_file=None, **values)


def test_production_refuses_the_placeholder_secret() -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(_env_file=None, environment="production")
    Settings(_env_file=None, environment="production", secret_key="a-real-long-secret-value")


def test_twilio_needs_an_account_and_a_sender() -> None:
    with pytest.raises(ValidationError, match="TWILIO_ACCOUNT_SID"):
        Settings(_env_file=None, sms_channel="twilio")
    with pytest.raises(ValidationError, match="TWILIO_FROM_NUMBER or TWILIO_MESSAGING"):
        Settings(_env_file=None, sms_channel="twilio", twilio_account_sid="AC123")


def test_secrets_do_not_show_in_repr() -> None:
    settings = Settings(_env_file=None, twilio_auth_token="tok-123", smtp_password="pw-456")
    assert "tok-123" not in repr(settings) and "pw-456" not in repr(settings)
