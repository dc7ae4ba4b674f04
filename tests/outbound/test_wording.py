"""French wording rules the templates use: "de" before a clinic name elides before a vowel."""

from __future__ import annotations

from dataclasses import replace

import pytest

from scheduler.inbound.notice_texts import SAMPLE_ANSWER, NoticeRenderer
from scheduler.outbound.wording import de


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("Clinique Esthétique Ottawa", "de Clinique Esthétique Ottawa"),
        ("Aftercare Demo Clinic", "d'Aftercare Demo Clinic"),
        ("Élan Beauté", "d'Élan Beauté"),
        ("Institut Ô Naturel", "d'Institut Ô Naturel"),
        ("Œil de Lynx", "d'Œil de Lynx"),
        ("  Urbain Spa ", "d'Urbain Spa"),
        # h and y: "de" is never wrong enough to confuse anyone, an elision sometimes is.
        ("Hauteville Santé", "de Hauteville Santé"),
        ("Yoga Peau", "de Yoga Peau"),
    ],
)
def test_de_elides_before_a_vowel(name: str, said: str) -> None:
    assert de(name) == said


def test_french_answers_use_it() -> None:
    notices = NoticeRenderer()
    vowel = replace(SAMPLE_ANSWER, clinic_name="Aftercare Demo Clinic")
    assert "L'équipe d'Aftercare Demo Clinic communiquera avec vous" in notices.answer(
        "concern", "fr", vowel
    )
    assert "L'équipe de Clinique Esthétique Ottawa" in notices.answer(
        "question", "fr", SAMPLE_ANSWER
    )
    assert "praticien d'Aftercare Demo Clinic a été avisé" in notices.answer(
        "urgent_paged", "fr", vowel
    )


def test_stop_and_start_say_messages_they_cover_email_too() -> None:
    notices = NoticeRenderer()
    assert "plus de messages de suivi" in notices.answer("stop", "fr", SAMPLE_ANSWER)
    assert "les messages de suivi sont réactivés" in notices.answer("start", "fr", SAMPLE_ANSWER)
    assert "more follow-up messages" in notices.answer("stop", "en", SAMPLE_ANSWER)
    for which in ("stop", "start"):
        for language in ("en", "fr"):
            assert "texto" not in notices.answer(which, language, SAMPLE_ANSWER)
            assert "texts" not in notices.answer(which, language, SAMPLE_ANSWER)
