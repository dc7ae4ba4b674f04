"""The register form: its fields to a `TreatmentCreate`, and errors back to the fields (pure)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time

from pydantic import ValidationError

from scheduler.followups.intake import TreatmentCreate
from scheduler.web.i18n import N_

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
    "in-clinic": N_("Signed in clinic"),
    "verbal": N_("Verbal, in person"),
    "phone": N_("By phone"),
    "online-booking": N_("Online booking form"),
}
# Which form field shows an error about a model field; the date and time are one model field.
_FIELD_OF = {"performed_at": "performed_date"}
# Errors are English here (the msgids); the page translates them (`translate_errors`).
_PLAIN = {
    ("name", "string_too_short"): N_("Enter the patient's name."),
    ("name", "missing"): N_("Enter the patient's name."),
    ("phone", "missing"): N_("Enter a mobile number."),
    ("consent_source", "string_too_short"): N_("Say how the patient agreed to messages."),
}
# Rule texts from `registration_rules` and the intake model that the page words itself.
_RULES = (
    (
        re.compile(r"^email: required when channel is (\w+)$"),
        "email",
        N_("Required when channel is %(channel)s."),
    ),
    (
        re.compile(r"^performed_at: more than an hour in the future$"),
        "performed_date",
        N_("More than an hour in the future."),
    ),
)
# Validator sentences with a value in them (scheduler/contacts.py), as the page words them.
_WITH_VALUE = (
    (
        re.compile(r"^(.+) is not a valid phone number\.$"),
        N_("%(value)s is not a valid phone number."),
    ),
    (re.compile(r"^(.+) is not a phone number\.$"), N_("%(value)s is not a phone number.")),
    (
        re.compile(r"^(.+) does not look like a mobile number \(it cannot receive texts\)\.$"),
        N_("%(value)s does not look like a mobile number (it cannot receive texts)."),
    ),
)
# The channel as the sentence above names it ("email", "both"), translatable.
_CHANNEL_WORDS = {"email": N_("email"), "both": N_("both")}


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
        errors["performed_date"] = N_("Enter the date of the treatment.")
    else:
        try:
            day = date.fromisoformat(day_text)
        except ValueError:
            errors["performed_date"] = N_("Enter the date as YYYY-MM-DD.")
    if not time_text:
        errors["performed_time"] = N_("Enter the time of the treatment.")
    else:
        try:
            moment = time.fromisoformat(time_text)
        except ValueError:
            errors["performed_time"] = N_("Enter the time as HH:MM.")
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


def translate_error(text: str, gettext: Callable[[str], str]) -> str:
    """A form error (an English msgid, or a validator sentence with the typed value in it)
    in the reader's language; a sentence the catalogue does not know stays as it is."""
    for pattern, message in _WITH_VALUE:
        found = pattern.match(text)
        if found:
            return gettext(message) % {"value": found.group(1)}
    return gettext(text)


def registration_error(message: str, gettext: Callable[[str], str] = str) -> tuple[str, str]:
    """A `RegistrationError` text ('email: required when …') as (form field, sentence);
    the rules the page knows come back in the reader's language (`gettext`)."""
    for pattern, target, text in _RULES:
        found = pattern.match(message)
        if found:
            channel = found.groups()[0] if found.groups() else ""
            word = gettext(_CHANNEL_WORDS[channel]) if channel in _CHANNEL_WORDS else channel
            return target, gettext(text) % {"channel": word}
    name, sep, rest = message.partition(":")
    if not sep:
        return "name", _sentence(message)
    name = name.strip()
    target = _FIELD_OF.get(name, name if name in FIELDS else "name")
    return target, _sentence(rest)
