"""An SMS over its segment limit loses whole middle sentences, never who writes or the check-in."""

from __future__ import annotations

from scheduler.outbound.segments import count_segments
from scheduler.outbound.sms_fit import fit_sms, sentences

CHECKIN = "Reply 1 if all is as expected, 2 if worried, 3 for fever. STOP to opt out."
FIRST = "Hi Marie-Christine, it's Clinique Esthétique Ottawa."
LAST = "Questions? Reply or call 613-555-0100."
ADVICE = [
    f"Advice number {n} is a sentence of some length to fill the message up." for n in range(8)
]


def message(advice: list[str]) -> str:
    return " ".join([FIRST, *advice, LAST, CHECKIN])


def test_a_message_within_the_limit_is_untouched() -> None:
    text = message(ADVICE[:2])
    fitted = fit_sms(text, CHECKIN, 3)
    assert fitted.text == text and not fitted.trimmed


def test_middle_sentences_go_last_first_until_it_fits() -> None:
    text = message(ADVICE)
    assert count_segments(text).segments > 3
    fitted = fit_sms(text, CHECKIN, 3)
    assert fitted.segments.segments <= 3 and fitted.trimmed
    assert fitted.text.startswith(FIRST + " " + ADVICE[0])
    assert fitted.text.endswith(LAST + " " + CHECKIN)
    kept = len(ADVICE) - len(fitted.dropped)
    assert list(fitted.dropped) == ADVICE[kept:]
    # As many sentences as fit: one more would not.
    assert count_segments(message(ADVICE[: kept + 1])).segments > 3


def test_a_question_mark_does_not_split_the_way_to_reach_the_clinic() -> None:
    assert sentences("Hi. Questions? Call 613-555-0100. Bye!") == [
        "Hi.",
        "Questions? Call 613-555-0100.",
        "Bye!",
    ]


def test_nothing_to_drop_sends_it_as_it_is() -> None:
    text = " ".join([FIRST + " " + "x" * 400, LAST, CHECKIN])
    fitted = fit_sms(text, CHECKIN, 3)
    assert fitted.text == text and not fitted.trimmed and fitted.segments.segments > 3
