"""Settings for tests: fixed clinic values, never the developer's `.env`."""

from __future__ import annotations

from typing import Any

from scheduler.settings import Settings


def make_settings(database_url: str, **overrides: Any) -> Settings:
    """Settings for tests: never read the developer's .env."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "clinic_name": "Clinique Esthétique Ottawa",
        "clinic_phone": "+16135550100",
        "secret_key": "test-secret",
        "public_base_url": "https://clinic.example",
        "sms_rate_per_second": 1000.0,
        "email_rate_per_second": 1000.0,
        **overrides,
    }
    return Settings(_env_file=None, **values)
