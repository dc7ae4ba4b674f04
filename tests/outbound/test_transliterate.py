"""Names spelled in GSM-7 for SMS: what changes, what GSM-7 already has, what cannot change."""

from __future__ import annotations

from dataclasses import replace

import pytest

from scheduler.outbound.render import SAMPLE_CONTEXT, MessageRenderer, sms_context
from scheduler.outbound.sample_names import FIRST_NAMES
from scheduler.outbound.segments import count_segments
from scheduler.outbound.transliterate import is_gsm7, non_gsm7, to_gsm7


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("François", "Francois"),
        ("Benoît", "Benoit"),
        ("Gaëlle", "Gaelle"),
        ("Zoë", "Zoe"),
        ("Jérôme", "Jérome"),  # é is GSM-7, ô is not
        ("Marie-Ève", "Marie-Eve"),  # È is not GSM-7 (only é, è and É are)
        ("Anaïs", "Anais"),
        ("Œuvre d\u2019Art", "OEuvre d'Art"),
        ("Clinique “Belle Peau”", 'Clinique "Belle Peau"'),
        ("Spa \u2013 Rideau", "Spa - Rideau"),
        ("Łukasz", "Lukasz"),
        ("Nguyễn", "Nguyen"),
        ("\uff2d\uff41\uff52\uff49\uff45", "Marie"),  # full-width letters from a phone keyboard
        ("Jose\u0301", "José"),  # a combining accent is composed first, and é is GSM-7
    ],
)
def test_what_gsm7_lacks_is_spelled_with_its_nearest_letters(typed: str, sent: str) -> None:
    assert to_gsm7(typed) == sent
    assert is_gsm7(to_gsm7(typed))


def test_what_gsm7_has_is_kept_as_typed() -> None:
    kept = "é è ù ì ò à Ç É Ä Ö Ñ Ü ä ö ñ ü ß Å å Ø ø Æ æ"
    assert to_gsm7(kept) == kept
    assert to_gsm7("Chloé, Léa, Noémie, Müller, Peña") == "Chloé, Léa, Noémie, Müller, Peña"


def test_a_name_with_no_latin_spelling_is_kept_rather_than_dropped() -> None:
    assert to_gsm7("李娜") == "李娜"
    assert non_gsm7("Hi 李娜, ça va") == ["李", "娜", "ç"]


def test_no_common_first_name_changes_the_encoding() -> None:
    assert len(FIRST_NAMES) == len(set(FIRST_NAMES)) == 200
    for name in FIRST_NAMES:
        assert is_gsm7(to_gsm7(name)), name
        assert count_segments(f"Hi {to_gsm7(name)}").encoding == "GSM-7"


def test_an_sms_spells_the_name_and_clinic_in_gsm7_an_email_keeps_them() -> None:
    renderer = MessageRenderer()
    ctx = replace(SAMPLE_CONTEXT, first_name="Françoise", clinic_name="Clinique Île")
    assert sms_context(ctx).first_name == "Francoise"
    sms = renderer.sms("microneedling", "day1", "fr", ctx)
    assert "Francoise" in sms.text and "Clinique Ile" in sms.text
    assert sms.segments.encoding == "GSM-7" and sms.segments.segments <= 3
    email = renderer.email("microneedling", "day1", "fr", ctx)
    assert "Françoise" in email.text and "Clinique Île" in email.text
