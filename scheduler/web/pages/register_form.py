"""The register form: its fields to a `TreatmentCreate`, and errors back to the fields (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time

from pydantic import ValidationError

from scheduler.followups.intake import TreatmentCreate

FIELDS = (
    "name",
    "phone",
    "email",
    "language",
    "channel",
    "consent_source",
    "kind",
    "performed_date",
    "performed_time",
    "practitioner",
    "patient",  # who this is when the phone is someone else's: same | new | a patient id
    "force",  # register although this patient has this treatment on this date
)
CONSENT_SOURCES = {
    "in-clinic": "Signed in clinic",
    "verbal": "Verbal, in person",
    "phone": "By phone",
    "online-booking": "Online booking form",
}
# Which form field shows an error about a model field; the date and time are one model field.
_FIELD_OF = {"performed_at": "performed_date"}
_PLAIN = {
    ("name", "string_too_short"): "Enter the patient's name.",
    ("name", "missing"): "Enter the patient's name.",
    ("phone", "missing"): "Enter a mobile number.",
    ("consent_source", "string_too_short"): "Say how the patient agreed to messages.",
}


@dataclass
class ParsedForm:
    """The form as typed (to show again), and either a valid request or errors per field."""

    values: dict[str, str]
    request: TreatmentCreate | None = None
    errors: dict[str, str] = field(default_factory=dict)


def _sentence(message: str) -> str:
    message = message.removeprefix("Value error, ").strip()
    if not message:
        return message
    message = message[0].upper() + message[1:]
    return message if message.endswith((".", "!", "?")) else message + "."


def _performed_at(values: Mapping[str, str]) -> tuple[datetime | None, dict[str, str]]:
    """Clinic-local wall time (naive: `register_treatment` puts it in the clinic's zone)."""
    day_text, time_text = values.get("performed_date", ""), values.get("performed_time", "")
    if not day_text and not time_text:
        return None, {}
    errors: dict[str, str] = {}
    day: date | None = None
    moment: time | None = None
    if not day_text:
        errors["performed_date"] = "Enter the date of the treatment."
    else:
        try:
            day = date.fromisoformat(day_text)
        except ValueError:
            errors["performed_date"] = "Enter the date as YYYY-MM-DD."
    if not time_text:
        errors["performed_time"] = "Enter the time of the treatment."
    else:
        try:
            moment = time.fromisoformat(time_text)
        except ValueError:
            errors["performed_time"] = "Enter the time as HH:MM."
    if day is None or moment is None:
        return None, errors
    return datetime.combine(day, moment), errors


def parse_register_form(form: Mapping[str, object]) -> ParsedForm:
    """Validate with the same model as the CLI, CSV and API; nothing is written here."""
    values = {name: str(form.get(name) or "").strip() for name in FIELDS}
    parsed = ParsedForm(values)
    performed_at, parsed.errors = _performed_at(values)
    data: dict[str, object] = {
        name: values[name]
        for name in ("name", "phone", "email", "language", "channel", "practitioner", "kind")
    }
    data["consent_source"] = values["consent_source"] or "in-clinic"
    data["performed_at"] = performed_at
    data["patient"] = values["patient"] or None
    data["force"] = values["force"] in ("1", "on", "true")
    try:
        request = TreatmentCreate.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "name"
            target = _FIELD_OF.get(name, name if name in FIELDS else "name")
            plain = _PLAIN.get((name, error["type"])) or _sentence(error["msg"])
            parsed.errors.setdefault(target, plain)
        return parsed
    if not parsed.errors:
        parsed.request = request
    return parsed


def registration_error(message: str) -> tuple[str, str]:
    """A `RegistrationError` text ('email: required when …') as (form field, sentence)."""
    name, sep, rest = message.partition(":")
    if not sep:
        return "name", _sentence(message)
    name = name.strip()
    target = _FIELD_OF.get(name, name if name in FIELDS else "name")
    return target, _sentence(rest)
