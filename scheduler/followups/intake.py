"""What staff submit to register a treatment: one model for the CLI, CSV rows and the JSON API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from models.vocabulary import LANGUAGES, ChannelChoice, Language, Medium, media_of
from scheduler.contacts import normalize_email, normalize_phone
from scheduler.followups.kinds import DEFAULT_KIND
from scheduler.text_input import control_character_problem


class TreatmentCreate(BaseModel):
    """A treatment to register; `performed_at` without an offset is clinic-local time."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    phone: str
    email: str | None = None
    language: Language | None = None
    channel: ChannelChoice = ChannelChoice.SMS
    performed_at: datetime | None = None
    practitioner: str | None = Field(default=None, max_length=200)
    kind: str = DEFAULT_KIND  # a kind's file name; registration checks it is defined
    consent_source: str = Field(default="in-clinic", min_length=1, max_length=50)
    # When the phone is already known under another name: "same" (that person, renamed),
    # "new" (another person sharing the phone), or the id of the patient meant.
    patient: str | None = None
    # Register again although this patient has this kind of treatment on this date already.
    force: bool = False

    @field_validator("name", "practitioner", "consent_source")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        problem = control_character_problem(value) if value is not None else None
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        return normalize_phone(value)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return normalize_email(value) if value else None

    @field_validator("language", mode="before")
    @classmethod
    def _language(cls, value: object) -> object:
        if not isinstance(value, str):
            return value  # None, or a wrong type the field's own check names
        value = value.strip().lower() or None
        if value is not None and value not in LANGUAGES:
            raise ValueError(f"unknown language {value!r} (use {_either(LANGUAGES)})")
        return value

    @field_validator("channel", mode="before")
    @classmethod
    def _channel(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        value = value.strip().lower() or ChannelChoice.SMS
        if value not in tuple(ChannelChoice):
            raise ValueError(f"unknown channel {value!r} (use {_either(tuple(ChannelChoice))})")
        return value

    @field_validator("patient", mode="before")
    @classmethod
    def _patient_choice(cls, value: object) -> object:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str):
            value = value.strip().lower() or None
        if value is not None and value not in PATIENT_CHOICES and not _is_id(value):
            raise ValueError(f"unknown choice {value!r} (use same, new or a patient id)")
        return value

    @field_validator("performed_at", mode="before")
    @classmethod
    def _empty_is_now(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("practitioner", "email", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, value: object) -> object:
        # Which kinds exist depends on CLINIC_TEMPLATES_DIR: `registration_rules.checked_kind`
        # refuses an unknown one, with the known ones, before anything is written.
        if isinstance(value, str):
            value = value.strip().lower() or DEFAULT_KIND
        return value

    def patient_id(self) -> int | None:
        """The patient id staff named, when `patient` is one."""
        return int(self.patient) if self.patient and _is_id(self.patient) else None

    def needs_email(self) -> bool:
        return Medium.EMAIL in media_of(self.channel)


PATIENT_CHOICES = ("same", "new")


def _is_id(value: object) -> bool:
    return isinstance(value, str) and value.isdigit() and 0 < len(value) <= 9


def _either(choices: tuple[str, ...]) -> str:
    """`en or fr`, `sms, email or both`."""
    return ", ".join(choices[:-1]) + f" or {choices[-1]}" if len(choices) > 1 else choices[0]


def describe_error(exc: ValidationError) -> str:
    """One line a person can act on, e.g. "phone: '12345' is not a valid phone number"."""
    parts = []
    for error in exc.errors():
        field = ".".join(str(p) for p in error["loc"]) or "input"
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown field"
        elif error["type"] == "missing":
            message = "is required"
        parts.append(f"{field}: {message}")
    return "; ".join(parts)
