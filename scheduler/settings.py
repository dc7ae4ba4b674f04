"""Every setting of the service, read from the environment or `.env` (see `.env.example`)."""

from __future__ import annotations

import re
from datetime import time, timedelta
from functools import cached_property
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
PLACEHOLDER_SECRETS = {"", "change-me", "changeme", "dev-secret-change-me"}


class Settings(BaseSettings):
    """One flat class so that `.env.example` can list every field one-to-one."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    environment: Literal["development", "production"] = "development"
    database_url: str = "sqlite:///./aftercare.db"
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    secret_key: SecretStr = SecretStr("dev-secret-change-me")

    clinic_name: str = "Aftercare Demo Clinic"
    clinic_phone: str = "+16135550100"
    clinic_address: str = ""
    clinic_timezone: str = "America/Toronto"
    send_window: str = "10:00-19:00"
    clinic_hours: str = ""  # empty: the send window
    default_language: Literal["en", "fr"] = "en"
    # A folder outside the package with the clinic's own wording (see `scheduler.shipped`).
    clinic_templates_dir: Path | None = None

    dispatch_interval_seconds: float = Field(default=5.0, gt=0)
    dispatch_batch_size: int = Field(default=100, gt=0)
    max_attempts: int = Field(default=5, ge=1)
    retry_base_seconds: float = Field(default=30.0, gt=0)
    retry_max_seconds: float = Field(default=3600.0, gt=0)
    claim_timeout_seconds: float = Field(default=600.0, gt=0)

    sms_channel: Literal["console", "twilio"] = "console"
    email_channel: Literal["console", "smtp"] = "console"
    sms_rate_per_second: float = Field(default=10.0, gt=0)
    sms_concurrency: int = Field(default=4, ge=1)
    email_rate_per_second: float = Field(default=5.0, gt=0)
    email_concurrency: int = Field(default=2, ge=1)

    twilio_account_sid: str = ""
    twilio_auth_token: SecretStr = SecretStr("")
    twilio_from_number: str = ""
    twilio_messaging_service_sid: str = ""
    twilio_api_base: str = "https://api.twilio.com"
    twilio_timeout_seconds: float = Field(default=10.0, gt=0)
    # Patients' photos (MMS and email attachments): see README "Photos".
    twilio_delete_media: bool = False
    media_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    media_fetch_timeout_seconds: float = Field(default=20.0, gt=0)
    media_fetch_attempts: int = Field(default=5, ge=1)
    media_retry_seconds: float = Field(default=10.0, gt=0)
    public_base_url: str = "http://127.0.0.1:8000"

    smtp_host: str = "localhost"
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_security: Literal["none", "starttls", "ssl"] = "starttls"
    smtp_timeout_seconds: float = Field(default=10.0, gt=0)
    email_from: str = "Aftercare <aftercare@localhost>"
    unsubscribe_mailto: str = ""

    imap_host: str = ""
    imap_port: int = 993
    imap_username: str = ""
    imap_password: SecretStr = SecretStr("")
    imap_folder: str = "INBOX"
    imap_security: Literal["none", "starttls", "ssl"] = "ssl"
    imap_poll_seconds: float = Field(default=60.0, gt=0)
    imap_lookback_days: int = Field(default=14, ge=1)

    api_token: SecretStr = SecretStr("")
    alert_escalate_after: timedelta = timedelta(minutes=30)
    concern_escalate_after: timedelta = timedelta(hours=4)
    alert_include_reply_text: bool = False
    oncall_phone: str = ""
    oncall_email: str = ""
    routine_auto_reply: bool = False
    staff_session_hours: float = Field(default=12.0, gt=0)
    practitioner_sees_own_only: bool = False
    retention_days: int = Field(default=730, ge=0)  # 0: never erase automatically

    # Security: what is trusted and what is not (docs/deploy.md, "Security model").
    email_require_auth: bool = True
    email_authserv_id: str = ""
    page_limit_per_hour: int = Field(default=6, ge=1)
    metrics_token: SecretStr = SecretStr("")
    api_docs: bool = True

    @field_validator("email_authserv_id")
    @classmethod
    def _authserv_id(cls, value: str) -> str:
        return value.strip().lower()

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("secret_key")
    @classmethod
    def _secret_not_empty(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value():
            raise ValueError("SECRET_KEY must not be empty (it signs unsubscribe links)")
        return value

    @field_validator("clinic_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("send_window", "clinic_hours")
    @classmethod
    def _window_shape(cls, value: str, info: ValidationInfo) -> str:
        name = (info.field_name or "hours").upper()
        if not value.strip() and name == "CLINIC_HOURS":
            return ""  # the send window stands in
        try:
            start, end = parse_window(value)
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from exc
        if start >= end:
            raise ValueError(f"{name} must start before it ends, e.g. 10:00-19:00")
        return value

    @field_validator("clinic_templates_dir", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("clinic_templates_dir")
    @classmethod
    def _existing_folder(cls, value: Path | None) -> Path | None:
        # A typo here would silently send the shipped wording: refuse to start instead.
        if value is not None and not value.is_dir():
            raise ValueError(f"CLINIC_TEMPLATES_DIR {str(value)!r} is not a folder")
        return value.resolve() if value is not None else None

    @field_validator("public_base_url", "twilio_api_base")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @model_validator(mode="after")
    def _production_needs_real_secrets(self) -> Settings:
        if self.environment != "production":
            return self
        if self.secret_key.get_secret_value() in PLACEHOLDER_SECRETS:
            raise ValueError("SECRET_KEY must be set to a real secret in production")
        if self.sms_channel == "twilio" and not self.twilio_auth_token.get_secret_value():
            raise ValueError("TWILIO_AUTH_TOKEN is required when SMS_CHANNEL=twilio")
        return self

    @model_validator(mode="after")
    def _twilio_sender(self) -> Settings:
        if self.sms_channel == "twilio":
            if not self.twilio_account_sid:
                raise ValueError("TWILIO_ACCOUNT_SID is required when SMS_CHANNEL=twilio")
            if not (self.twilio_from_number or self.twilio_messaging_service_sid):
                raise ValueError(
                    "set TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID when SMS_CHANNEL=twilio"
                )
        return self

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.clinic_timezone)

    @cached_property
    def window(self) -> tuple[time, time]:
        return parse_window(self.send_window)

    @cached_property
    def hours(self) -> tuple[time, time]:
        """When the clinic answers: CLINIC_HOURS, else the send window."""
        return parse_window(self.clinic_hours) if self.clinic_hours else self.window


def parse_window(value: str) -> tuple[time, time]:
    """Parse `HH:MM-HH:MM` into two local times."""
    match = _WINDOW.match(value)
    if not match:
        raise ValueError(f"hours must look like 10:00-19:00, got {value!r}")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    try:
        return time(h1, m1), time(h2, m2)
    except ValueError as exc:
        raise ValueError(f"impossible time in {value!r}") from exc
