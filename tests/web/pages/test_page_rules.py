"""Pure rules behind the staff pages: the register form's errors, times and ages as shown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.support import NullTranslations

from scheduler.followups.kinds import cached_catalog
from scheduler.web.pages.formatting import json_list, local_time
from scheduler.web.pages.labels import age
from scheduler.web.pages.register_form import parse_register_form, registration_error
from scheduler.web.pages.rendering import safe_next

TORONTO = ZoneInfo("America/Toronto")
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # 10:00 in Toronto
GOOD = {
    "name": "Ana Lima",
    "phone": "613-555-0124",
    "language": "fr",
    "channel": "sms",
    "kind": "microneedling",
    "performed_date": "2026-11-25",
    "performed_time": "09:30",
}


def test_a_good_form_becomes_a_treatment_request_in_clinic_wall_time() -> None:
    parsed = parse_register_form(GOOD)
    assert parsed.errors == {}
    assert parsed.request is not None
    assert parsed.request.phone == "+16135550124"
    performed = parsed.request.performed_at
    # Naive on purpose: register_treatment reads it in the clinic's zone.
    assert performed is not None and performed.tzinfo is None
    assert performed.isoformat() == "2026-11-25T09:30:00"
    assert parsed.request.consent_source == "in-clinic"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", "Enter the patient's name."),
        ({"phone": ""}, "phone", "Phone number is empty."),
        ({"phone": "12345"}, "phone", "'12345' is not a valid phone number."),
        ({"email": "ana@"}, "email", "'ana@' is not a valid email address"),
        ({"language": "de"}, "language", "Unknown language 'de' (use en or fr)."),
        ({"performed_date": ""}, "performed_date", "Enter the date of the treatment."),
        ({"performed_date": "25/11/2026"}, "performed_date", "Enter the date as YYYY-MM-DD."),
        ({"performed_time": "9h30"}, "performed_time", "Enter the time as HH:MM."),
        ({"performed_time": ""}, "performed_time", "Enter the time of the treatment."),
    ],
)
def test_each_bad_field_gets_a_plain_sentence_by_its_name(
    changes: dict[str, str], field: str, message: str
) -> None:
    parsed = parse_register_form({**GOOD, **changes})
    assert parsed.request is None
    assert list(parsed.errors) == [field]
    assert parsed.errors[field].startswith(message)


def test_an_unknown_kind_is_refused_by_registration_and_shown_by_its_field() -> None:
    # Kinds are data (kinds/*.toml, CLINIC_TEMPLATES_DIR): the form cannot know them all.
    assert parse_register_form({**GOOD, "kind": "botox"}).request is not None
    message = "kind: unknown treatment kind 'botox' (known: microneedling, ipl)"
    assert registration_error(message) == (
        "kind",
        "Unknown treatment kind 'botox' (known: microneedling, ipl).",
    )


def test_several_bad_fields_are_all_reported_and_what_was_typed_is_kept() -> None:
    parsed = parse_register_form({**GOOD, "name": " ", "phone": "abc", "performed_time": "x"})
    assert set(parsed.errors) == {"name", "phone", "performed_time"}
    assert parsed.values["phone"] == "abc"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("email: required when channel is email", ("email", "Required when channel is email.")),
        (
            "performed_at: more than an hour in the future",
            ("performed_date", "More than an hour in the future."),
        ),
        ("something odd", ("name", "Something odd.")),
    ],
)
def test_registration_errors_land_on_their_field(text: str, expected: tuple[str, str]) -> None:
    assert registration_error(text) == expected


@pytest.mark.parametrize(
    ("moment", "short", "expected"),
    [
        (NOW, False, "Today, 10:00"),
        (NOW, True, "10:00"),
        (NOW + timedelta(days=1), False, "Thu 26 Nov, 10:00"),
        (NOW + timedelta(days=60), False, "Sun 24 Jan 2027, 10:00"),
        # The day is the clinic's: 03:00 UTC on the 26th is still the 25th in Toronto.
        (datetime(2026, 11, 26, 3, 0, tzinfo=UTC), False, "Today, 22:00"),
    ],
)
def test_local_times_are_clinic_wall_times(moment: datetime, short: bool, expected: str) -> None:
    assert local_time(moment, TORONTO, now=NOW, short=short) == expected


@pytest.mark.parametrize(
    ("elapsed", "expected"),
    [
        (timedelta(seconds=30), "just now"),
        (timedelta(minutes=12), "12 min"),
        (timedelta(hours=3), "3 h"),
        (timedelta(hours=3, minutes=5), "3 h 5 min"),
        (timedelta(days=1, hours=2), "1 day"),
        (timedelta(days=9), "9 days"),
    ],
)
def test_ages_read_like_a_person_says_them(elapsed: timedelta, expected: str) -> None:
    assert age(NullTranslations(), NOW - elapsed, NOW) == expected


def test_stored_json_lists_and_step_names() -> None:
    assert json_list('["fever", "pus"]') == ["fever", "pus"]
    assert json_list(None) == [] and json_list("not json") == [] and json_list('{"a": 1}') == []
    # Labels come from the kind's steps; a step a kind no longer has shows as stored.
    kinds = cached_catalog(None)
    assert kinds.step_label("microneedling", "day7") == "Day 7"
    assert kinds.step_label("microneedling", "week2") == "week2"
    assert kinds.step_label("no_such_kind", "day7") == "day7"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/patients/3", "/patients/3"),
        ("//evil.example", "/"),
        ("https://evil.example", "/"),
        ("/\\evil.example", "/"),
        ("/ok\r\nSet-Cookie: x", "/"),
        (None, "/"),
    ],
)
def test_return_paths_stay_on_this_site(value: object, expected: str) -> None:
    assert safe_next(value) == expected
