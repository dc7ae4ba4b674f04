"""Tests of the message renderer and of the shipped microneedling templates."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from jinja2 import TemplateNotFound, UndefinedError

from scheduler.render import (
    PARTS,
    MessageContext,
    MessageRenderer,
    MessageTemplateNotFound,
    MessageUndefinedError,
    Part,
    RenderError,
    TemplateProblem,
    default_templates_dir,
)

KIND = "microneedling"
STEPS = ("day1", "day3", "day7")
LANGUAGES = ("en", "fr")
CASES = [(language, step) for language in LANGUAGES for step in STEPS]
SEGMENT_LIMIT = {"en": 2, "fr": 3}
STOP_WORD = {"en": "STOP", "fr": "ARRET"}
# Each of these would force a whole SMS into UCS-2.
CURLY_QUOTES = (
    "\N{LEFT SINGLE QUOTATION MARK}\N{RIGHT SINGLE QUOTATION MARK}"
    "\N{LEFT DOUBLE QUOTATION MARK}\N{RIGHT DOUBLE QUOTATION MARK}«»"
)

SAMPLE = MessageContext(
    first_name="Marie-Josée",
    clinic_name="Clinique Esthétique Ottawa",
    clinic_phone="613-555-0100",
    unsubscribe_url="https://aftercare.example.ca/unsubscribe?token=abc123&channel=email",
)

# Facts each step must carry, per language, as case-insensitive regular expressions.
DAY_FACTS: dict[tuple[str, str], tuple[str, ...]] = {
    ("en", "day1"): (r"sunburn",),
    ("fr", "day1"): (r"coup de soleil",),
    ("en", "day3"): (r"microcysts?", r"non-comedogenic"),
    ("fr", "day3"): (r"microkystes?", r"non comédogène"),
    ("en", "day7"): (r"contact us",),
    ("fr", "day7"): (r"communiquez avec nous",),
}


@pytest.fixture(scope="module")
def renderer() -> MessageRenderer:
    return MessageRenderer()


def _bodies(renderer: MessageRenderer, language: str, step: str) -> dict[str, str]:
    email = renderer.email(KIND, step, language, SAMPLE)
    return {
        "sms": renderer.sms(KIND, step, language, SAMPLE).text,
        "email_text": email.text,
        "email_html": email.html,
    }


def _visible_text(html: str) -> str:
    """HTML with tags removed and entities decoded, for checks on what a reader sees."""
    return unescape(re.sub(r"<[^>]+>", " ", html))


def test_default_templates_dir_is_repo_templates() -> None:
    assert default_templates_dir() == Path(__file__).resolve().parent.parent / "templates"
    assert (default_templates_dir() / "messages" / "en" / KIND / "day1.sms.j2").is_file()


@pytest.mark.parametrize("part", PARTS)
@pytest.mark.parametrize(("language", "step"), CASES)
def test_every_part_renders_non_empty(
    renderer: MessageRenderer, language: str, step: str, part: Part
) -> None:
    out = renderer.render_part(KIND, step, language, part, SAMPLE)
    assert out.strip()


def test_check_all_reports_no_problems(renderer: MessageRenderer) -> None:
    assert renderer.check_all({KIND: STEPS}, LANGUAGES, SAMPLE) == []


@pytest.mark.parametrize(("language", "step"), CASES)
def test_sms_within_segment_limit(renderer: MessageRenderer, language: str, step: str) -> None:
    sms = renderer.sms(KIND, step, language, SAMPLE)
    assert sms.segments.segments <= SEGMENT_LIMIT[language], sms.segments
    if language == "en":
        # English has no reason to leave GSM-7; a stray curly quote would triple the cost.
        assert sms.segments.encoding == "GSM-7"


@pytest.mark.parametrize(("language", "step"), CASES)
def test_sms_is_tidy_and_uses_straight_apostrophes(
    renderer: MessageRenderer, language: str, step: str
) -> None:
    text = renderer.sms(KIND, step, language, SAMPLE).text
    assert text == text.strip()
    assert all(line == line.rstrip() for line in text.splitlines())
    assert not set(text) & set(CURLY_QUOTES)


@pytest.mark.parametrize(("language", "step"), CASES)
def test_clinic_stop_and_first_name_in_every_body(
    renderer: MessageRenderer, language: str, step: str
) -> None:
    for part, body in _bodies(renderer, language, step).items():
        assert SAMPLE.clinic_name in body, part
        assert re.search(rf"\b{STOP_WORD[language]}\b", body), part
        assert SAMPLE.first_name in body, part
        assert SAMPLE.clinic_phone in body, part


@pytest.mark.parametrize(("language", "step"), CASES)
def test_unsubscribe_url_in_email_bodies(
    renderer: MessageRenderer, language: str, step: str
) -> None:
    email = renderer.email(KIND, step, language, SAMPLE)
    assert SAMPLE.unsubscribe_url in email.text
    # The & in the query string must be escaped inside the href attribute.
    assert 'href="https://aftercare.example.ca/unsubscribe?token=abc123&amp;channel=email"' in (
        email.html
    )
    footer = email.html[email.html.index("<footer") :]
    assert "unsubscribe?token=abc123" in footer


@pytest.mark.parametrize(("language", "step"), CASES)
def test_email_subject_is_one_line(renderer: MessageRenderer, language: str, step: str) -> None:
    subject = renderer.email(KIND, step, language, SAMPLE).subject
    assert subject
    assert "\n" not in subject
    assert subject == " ".join(subject.split())
    assert SAMPLE.clinic_name in subject


@pytest.mark.parametrize(("language", "step"), CASES)
def test_html_is_accessible_shape(renderer: MessageRenderer, language: str, step: str) -> None:
    html = renderer.email(KIND, step, language, SAMPLE).html
    assert re.search(rf'<html lang="{language}(-CA)?">', html)
    assert "<h1" in html
    assert "<title>" in html
    assert "<footer" in html
    assert "<script" not in html.lower()
    if step == "day3":
        assert len(re.findall(r"<li\b", html)) >= 3


@pytest.mark.parametrize(("language", "step"), CASES)
def test_day_specific_facts(renderer: MessageRenderer, language: str, step: str) -> None:
    for part, body in _bodies(renderer, language, step).items():
        for fact in DAY_FACTS[(language, step)]:
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


@pytest.mark.parametrize(("language", "step"), CASES)
def test_text_and_html_carry_the_same_content(
    renderer: MessageRenderer, language: str, step: str
) -> None:
    email = renderer.email(KIND, step, language, SAMPLE)
    parser = _Blocks()
    parser.feed(email.html)
    flat_text = " ".join(email.text.split()).casefold()
    assert len(parser.blocks) >= 5
    for block in parser.blocks:
        assert block.casefold() in flat_text, block


@pytest.mark.parametrize(("language", "step"), CASES)
def test_html_escapes_context_but_text_does_not(
    renderer: MessageRenderer, language: str, step: str
) -> None:
    ctx = MessageContext(
        first_name="<b>Al</b>",
        clinic_name=SAMPLE.clinic_name,
        clinic_phone=SAMPLE.clinic_phone,
        unsubscribe_url=SAMPLE.unsubscribe_url,
    )
    email = renderer.email(KIND, step, language, ctx)
    assert "&lt;b&gt;Al&lt;/b&gt;" in email.html
    assert "<b>Al</b>" not in email.html
    assert "<b>Al</b>" in email.text
    assert "<b>Al</b>" in renderer.sms(KIND, step, language, ctx).text


def _write(root: Path, name: str, source: str) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source, encoding="utf-8")


def test_strict_undefined_raises(tmp_path: Path) -> None:
    _write(tmp_path, "messages/en/demo/day1.sms.j2", "Hi {{ first_name }}, see {{ nickname }}.")
    renderer = MessageRenderer(tmp_path)
    with pytest.raises(MessageUndefinedError, match="nickname") as info:
        renderer.sms("demo", "day1", "en", SAMPLE)
    assert isinstance(info.value, RenderError)
    assert isinstance(info.value.__cause__, UndefinedError)


def test_missing_template_error_is_clear(tmp_path: Path) -> None:
    renderer = MessageRenderer(tmp_path)
    with pytest.raises(MessageTemplateNotFound) as info:
        renderer.sms("demo", "day1", "en", SAMPLE)
    message = str(info.value)
    assert "messages/en/demo/day1.sms.j2" in message
    assert str(tmp_path) in message
    # Callers may catch either our error type or Jinja's.
    assert isinstance(info.value, RenderError)
    assert isinstance(info.value, TemplateNotFound)


def test_missing_email_part_raises(tmp_path: Path) -> None:
    _write(tmp_path, "messages/en/demo/day1.email_subject.j2", "Hello")
    _write(tmp_path, "messages/en/demo/day1.email_text.j2", "Hello")
    with pytest.raises(MessageTemplateNotFound, match=r"day1\.email_html\.j2"):
        MessageRenderer(tmp_path).email("demo", "day1", "en", SAMPLE)


@pytest.mark.parametrize("bad", ["../en", "EN", "", "en/x", "en.x"])
def test_unsafe_names_are_rejected(renderer: MessageRenderer, bad: str) -> None:
    with pytest.raises(RenderError, match="invalid language"):
        renderer.sms(KIND, "day1", bad, SAMPLE)


def test_sandbox_blocks_unsafe_attribute_access(tmp_path: Path) -> None:
    _write(tmp_path, "messages/en/demo/day1.sms.j2", "{{ first_name.__class__.__mro__ }}")
    with pytest.raises(RenderError, match=r"SecurityError|undefined"):
        MessageRenderer(tmp_path).sms("demo", "day1", "en", SAMPLE)


def test_sms_whitespace_is_normalised(tmp_path: Path) -> None:
    source = "\n  {% if true %}\n  Hi {{ first_name }},   \n{% endif %}\n\nReply STOP.  \n\n"
    _write(tmp_path, "messages/en/demo/day1.sms.j2", source)
    sms = MessageRenderer(tmp_path).sms("demo", "day1", "en", SAMPLE)
    assert sms.text == "Hi Marie-Josée,\n\nReply STOP."
    assert sms.segments.units == len(sms.text)


def test_email_subject_whitespace_is_collapsed(tmp_path: Path) -> None:
    _write(tmp_path, "messages/en/demo/day1.email_subject.j2", "  Hello\n  {{ first_name }}  ")
    _write(tmp_path, "messages/en/demo/day1.email_text.j2", "Text  \n")
    _write(tmp_path, "messages/en/demo/day1.email_html.j2", "<p>{{ first_name }}</p>")
    email = MessageRenderer(tmp_path).email("demo", "day1", "en", SAMPLE)
    assert email.subject == "Hello Marie-Josée"
    assert email.text == "Text\n"
    assert email.html == "<p>Marie-Josée</p>\n"


def test_autoescape_only_for_html_part(tmp_path: Path) -> None:
    for part in ("sms", "email_subject", "email_text", "email_html"):
        _write(tmp_path, f"messages/en/demo/day1.{part}.j2", "{{ first_name }}")
    ctx = MessageContext("A&B", "C", "1", "https://x.example")
    renderer = MessageRenderer(tmp_path)
    email = renderer.email("demo", "day1", "en", ctx)
    assert renderer.sms("demo", "day1", "en", ctx).text == "A&B"
    assert email.subject == "A&B"
    assert email.text == "A&B\n"
    assert email.html == "A&amp;B\n"


def test_context_has_exactly_the_documented_variables(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "messages/en/demo/day1.sms.j2",
        "{{ first_name }}|{{ clinic_name }}|{{ clinic_phone }}|{{ unsubscribe_url }}",
    )
    sms = MessageRenderer(tmp_path).sms("demo", "day1", "en", SAMPLE)
    assert sms.text == "|".join(
        [SAMPLE.first_name, SAMPLE.clinic_name, SAMPLE.clinic_phone, SAMPLE.unsubscribe_url]
    )


def test_templates_are_cached(renderer: MessageRenderer) -> None:
    env = renderer._env
    first = env.get_template("messages/en/microneedling/day1.sms.j2")
    renderer.sms(KIND, "day1", "en", SAMPLE)
    assert env.get_template("messages/en/microneedling/day1.sms.j2") is first


def _problem_messages(problems: list[TemplateProblem]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in problems:
        out.setdefault(f"{p.language}/{p.step}.{p.part}", []).append(p.message)
    return out


def test_check_all_finds_problems(tmp_path: Path) -> None:
    ok_body = "Hi {{ first_name }}, {{ clinic_name }}. Reply STOP to unsubscribe."
    email_body = ok_body + " {{ unsubscribe_url }}"
    # day1 is correct; each later step breaks one rule.
    for part, body in (
        ("sms", ok_body),
        ("email_subject", "{{ clinic_name }}"),
        ("email_text", email_body),
        ("email_html", email_body),
    ):
        _write(tmp_path, f"messages/en/demo/day1.{part}.j2", body)
    _write(tmp_path, "messages/en/demo/day2.sms.j2", "Hi. {{ clinic_name }}")
    _write(tmp_path, "messages/en/demo/day3.sms.j2", "Hi {{ nickname }}")
    _write(tmp_path, "messages/en/demo/day4.sms.j2", "Reply STOP. " + "x" * 310)
    _write(tmp_path, "messages/fr/demo/day1.sms.j2", "{{ clinic_name }}. Reply STOP.")
    _write(tmp_path, "messages/en/demo/day5.sms.j2", "{{ clinic_name }} STOP {% if %}")
    _write(tmp_path, "messages/en/demo/day6.email_text.j2", "{{ clinic_name }} STOP")

    renderer = MessageRenderer(tmp_path)
    steps = ["day1", "day2", "day3", "day4", "day5", "day6"]
    found = _problem_messages(renderer.check_all({"demo": steps}, ["en"], SAMPLE))

    assert "en/day1.sms" not in found
    assert not any(key.startswith("en/day1.") for key in found)
    assert found["en/day2.sms"] == ["missing opt-out instructions (keyword STOP)"]
    assert any("undefined variable" in m and "nickname" in m for m in found["en/day3.sms"])
    assert len(found["en/day4.sms"]) == 2
    assert found["en/day4.sms"][0].startswith("SMS is 3 segments (GSM-7, 322 units)")
    assert found["en/day4.sms"][1] == "missing clinic name"
    assert any("TemplateSyntaxError" in m for m in found["en/day5.sms"])
    assert found["en/day6.email_text"] == ["missing unsubscribe link"]
    assert found["en/day2.email_subject"] == ["missing template"]

    fr = _problem_messages(renderer.check_all({"demo": ["day1"]}, ["fr"], SAMPLE))
    assert fr["fr/day1.sms"] == ["missing opt-out instructions (keyword ARRET)"]


def test_french_sms_may_use_three_segments_but_english_only_two(tmp_path: Path) -> None:
    body = "{{ clinic_name }} " + "a" * 280 + " {{ kw }}"
    for language, keyword in (("en", "STOP"), ("fr", "ARRET")):
        _write(tmp_path, f"messages/{language}/demo/day1.sms.j2", body.replace("{{ kw }}", keyword))
    renderer = MessageRenderer(tmp_path)
    problems = renderer.check_all({"demo": ["day1"]}, ["en", "fr"], SAMPLE)
    sms_problems = [p for p in problems if p.part == "sms"]
    assert [p.language for p in sms_problems] == ["en"]
    assert "limit for 'en' is 2" in sms_problems[0].message
    assert str(sms_problems[0]).startswith("en/demo/day1.sms: SMS is 3 segments")
