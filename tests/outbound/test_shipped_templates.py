"""The shipped templates of every kind: every part renders, within limits, with the right facts."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from scheduler.followups.kinds import cached_catalog
from scheduler.outbound.render import (
    PARTS,
    MessageContext,
    MessageRenderer,
    Part,
    default_templates_dir,
)
from tests.support.paths import REPO
from tests.support.templates import KIND, SAMPLE

KINDS = cached_catalog(None).steps_by_kind()
LANGUAGES = ("en", "fr")
CASES = [
    (kind, language, step)
    for kind, steps in KINDS.items()
    for language in LANGUAGES
    for step in steps
]
SEGMENT_LIMIT = {"en": 3, "fr": 3}
STOP_WORD = {"en": "STOP", "fr": "ARRET"}
# Each of these would force a whole SMS into UCS-2.
CURLY_QUOTES = (
    "\N{LEFT SINGLE QUOTATION MARK}\N{RIGHT SINGLE QUOTATION MARK}"
    "\N{LEFT DOUBLE QUOTATION MARK}\N{RIGHT DOUBLE QUOTATION MARK}«»"
)


# Facts each step must carry, per language, as case-insensitive regular expressions.
DAY_FACTS: dict[tuple[str, str, str], tuple[str, ...]] = {
    ("microneedling", "en", "day1"): (r"sunburn", r"clean"),
    ("microneedling", "fr", "day1"): (r"coup de soleil", r"propre"),
    ("microneedling", "en", "day3"): (r"microcysts?", r"non-comedogenic", r"pick"),
    ("microneedling", "fr", "day3"): (r"microkystes?", r"non comédogène", r"perc(er|ez)"),
    ("microneedling", "en", "day7"): (r"contact us", r"marked redness or swelling"),
    ("microneedling", "fr", "day7"): (r"communiquez avec nous", r"enflure marquée"),
    ("chemical_peel", "en", "day1"): (r"SPF 30", r"sunburn"),
    ("chemical_peel", "fr", "day1"): (r"FPS 30", r"coup de soleil"),
    ("chemical_peel", "en", "day3"): (r"pick",),
    ("chemical_peel", "fr", "day3"): (r"grattez",),
    ("ipl", "en", "day3"): (r"coffee", r"pick"),
    ("ipl", "fr", "day3"): (r"marc de café", r"grattez"),
    # The signs of reduced blood flow, and 911 for vision, come with the first two steps.
    ("dermal_filler", "en", "day1"): (r"white", r"grey", r"911"),
    ("dermal_filler", "fr", "day1"): (r"blanche", r"grise", r"911"),
    ("dermal_filler", "en", "day3"): (r"white", r"grey", r"mottled"),
    ("dermal_filler", "fr", "day3"): (r"blanche", r"grise", r"marbrée"),
}
# Every message ends with the check-in; the emails also say when to contact the clinic.
CHECKIN_FACTS = {
    "en": (r"\b1\b.*as expected", r"\b2\b.*worse", r"\b3\b.*fever.*pus.*breathing"),
    "fr": (r"\b1\b.*comme prévu", r"\b2\b.*empire", r"\b3\b.*fièvre.*pus.*respirer"),
}
WHEN_TO_CONTACT = {"en": r"when to contact us", "fr": r"quand communiquer avec nous"}


@pytest.fixture(scope="module")
def renderer() -> MessageRenderer:
    return MessageRenderer()


def _bodies(renderer: MessageRenderer, kind: str, language: str, step: str) -> dict[str, str]:
    email = renderer.email(kind, step, language, SAMPLE)
    return {
        "sms": renderer.sms(kind, step, language, SAMPLE).text,
        "email_text": email.text,
        "email_html": email.html,
    }


def test_default_templates_dir_is_repo_templates() -> None:
    assert default_templates_dir() == REPO / "templates"
    assert (default_templates_dir() / "messages" / "en" / KIND / "day1.sms.j2").is_file()


@pytest.mark.parametrize("part", PARTS)
@pytest.mark.parametrize(("kind", "language", "step"), CASES)
def test_every_part_renders_non_empty(
    renderer: MessageRenderer, kind: str, language: str, step: str, part: Part
) -> None:
    out = renderer.render_part(kind, step, language, part, SAMPLE)
    assert out.strip()


def test_check_all_reports_no_problems(renderer: MessageRenderer) -> None:
    assert renderer.check_all(KINDS, LANGUAGES, SAMPLE) == []


@pytest.mark.parametrize(("kind", "language", "step"), CASES)
def test_sms_within_segment_limit(
    renderer: MessageRenderer, kind: str, language: str, step: str
) -> None:
    sms = renderer.sms(kind, step, language, SAMPLE)
    assert sms.segments.segments <= SEGMENT_LIMIT[language], sms.segments
    # Neither language needs to leave GSM-7; one ê or curly quote would cost 7 segments.
    assert sms.segments.encoding == "GSM-7"


@pytest.mark.parametrize(("kind", "language", "step"), CASES)
def test_sms_is_tidy_and_uses_straight_apostrophes(
    renderer: MessageRenderer, kind: str, language: str, step: str
) -> None:
    text = renderer.sms(kind, step, language, SAMPLE).text
    assert text == text.strip()
    assert all(line == line.rstrip() for line in text.splitlines())
    assert not set(text) & set(CURLY_QUOTES)


@pytest.mark.parametrize(("kind", "language", "step"), CASES)
def test_clinic_stop_and_first_name_in_every_body(
    renderer: MessageRenderer, kind: str, language: str, step: str
) -> None:
    for part, body in _bodies(renderer, kind, language, step).items():
        assert SAMPLE.clinic_name in body, part
        assert re.search(rf"\b{STOP_WORD[language]}\b", body), part
        assert SAMPLE.first_name in body, part
        assert SAMPLE.clinic_phone in body, part


@pytest.mark.parametrize(("kind", "language", "step"), CASES)
def test_unsubscribe_url_in_email_bodies(
    renderer: MessageRenderer, kind: str, language: str, step: str
) -> None:
    email = renderer.email(kind, step, language, SAMPLE)
    assert SAMPLE.unsubscribe_url in email.text
    # The & in the query string must be escaped inside the href attribute.
    assert 'href="https://aftercare.example.ca/unsubscribe?token=abc123&amp;channel=email"' in (
        email.html
    )
    footer = email.html[email.html.index("<footer") :]
    assert "unsubscribe?token=abc123" in footer


@pytest.mark.parametrize(("kind", "language", "step"), CASES)
def test_email_subject_is_one_line(
    renderer: MessageRenderer, kind: str, language: str, step: str
) -> None:
    subject = renderer.email(kind, step, language, SAMPLE).subject
    assert subject
    assert "\n" not in subject
    assert subject == " ".join(subject.split())
    assert SAMPLE.clinic_name in subject


@pytest.mark.parametrize(("kind", "language", "step"), CASES)
def test_html_is_accessible_shape(
    renderer: MessageRenderer, kind: str, language: str, step: str
) -> None:
    html = renderer.email(kind, step, language, SAMPLE).html
    assert re.search(rf'<html lang="{language}(-CA)?">', html)
    assert "<h1" in html
    assert "<title>" in html
    assert "<footer" in html
    assert "<script" not in html.lower()
    if step == "day3":
        assert len(re.findall(r"<li\b", html)) >= 2


@pytest.mark.parametrize(("kind", "language", "step"), CASES)
def test_every_message_ends_with_the_check_in(
    renderer: MessageRenderer, kind: str, language: str, step: str
) -> None:
    for part, body in _bodies(renderer, kind, language, step).items():
        flat = " ".join(body.split())
        for fact in CHECKIN_FACTS[language]:
            assert re.search(fact, flat, re.IGNORECASE | re.DOTALL), (part, fact)
    email = renderer.email(kind, step, language, SAMPLE)
    assert re.search(WHEN_TO_CONTACT[language], email.text, re.IGNORECASE), step
    assert "911" in email.text


@pytest.mark.parametrize(("kind", "language", "step"), CASES)
def test_day_specific_facts(renderer: MessageRenderer, kind: str, language: str, step: str) -> None:
    for part, body in _bodies(renderer, kind, language, step).items():
        for fact in DAY_FACTS.get((kind, language, step), ()):
            assert re.search(fact, body, re.IGNORECASE), (part, fact)


class _Blocks(HTMLParser):
    """Collects the text of <p>, <li> and <h2> outside the footer."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[str] = []
        self._current: list[str] | None = None
        self._in_footer = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "footer":
            self._in_footer = True
        elif tag in {"p", "li", "h2"} and not self._in_footer:
            self._current = []
        elif tag == "br" and self._current is not None:
            self._current.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "footer":
            self._in_footer = False
        elif tag in {"p", "li", "h2"} and self._current is not None:
            self.blocks.append(" ".join("".join(self._current).split()))
            self._current = None

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self._current.append(data)


@pytest.mark.parametrize(("kind", "language", "step"), CASES)
def test_text_and_html_carry_the_same_content(
    renderer: MessageRenderer, kind: str, language: str, step: str
) -> None:
    email = renderer.email(kind, step, language, SAMPLE)
    parser = _Blocks()
    parser.feed(email.html)
    flat_text = " ".join(email.text.split()).casefold()
    assert len(parser.blocks) >= 5
    for block in parser.blocks:
        assert block.casefold() in flat_text, block


@pytest.mark.parametrize(("kind", "language", "step"), CASES)
def test_html_escapes_context_but_text_does_not(
    renderer: MessageRenderer, kind: str, language: str, step: str
) -> None:
    ctx = MessageContext(
        first_name="<b>Al</b>",
        clinic_name=SAMPLE.clinic_name,
        clinic_phone=SAMPLE.clinic_phone,
        unsubscribe_url=SAMPLE.unsubscribe_url,
    )
    email = renderer.email(kind, step, language, ctx)
    assert "&lt;b&gt;Al&lt;/b&gt;" in email.html
    assert "<b>Al</b>" not in email.html
    assert "<b>Al</b>" in email.text
    assert "<b>Al</b>" in renderer.sms(kind, step, language, ctx).text
