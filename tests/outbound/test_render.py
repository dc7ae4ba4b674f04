"""The message renderer on scratch templates: strictness, errors, sandbox, whitespace, checks."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import TemplateNotFound, UndefinedError

from scheduler.outbound.render import (
    MessageContext,
    MessageRenderer,
    MessageTemplateNotFound,
    MessageUndefinedError,
    RenderError,
    TemplateProblem,
)
from tests.support.templates import KIND, SAMPLE


@pytest.fixture(scope="module")
def renderer() -> MessageRenderer:
    return MessageRenderer()


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


CHECKIN = "Reply 1, 2 or 3."


def _write_checkins(root: Path, *languages: str) -> None:
    for language in languages:
        for part in ("sms", "email_text", "email_html"):
            _write(root, f"messages/{language}/_checkin.{part}.j2", CHECKIN)


def test_check_all_finds_problems(tmp_path: Path) -> None:
    ok_body = (
        "Hi {{ first_name }}, {{ clinic_name }}. Reply STOP to unsubscribe. "
        '{% include "messages/en/_checkin.sms.j2" %}'
    )
    email_body = ok_body.replace("_checkin.sms", "_checkin.PART") + " {{ unsubscribe_url }}"
    _write_checkins(tmp_path, "en")
    # day1 is correct; each later step breaks one rule.
    for part, body in (
        ("sms", ok_body),
        ("email_subject", "{{ clinic_name }}"),
        ("email_text", email_body.replace("PART", "email_text")),
        ("email_html", email_body.replace("PART", "email_html")),
    ):
        _write(tmp_path, f"messages/en/demo/day1.{part}.j2", body)
    _write(tmp_path, "messages/en/demo/day2.sms.j2", "Hi. {{ clinic_name }} " + CHECKIN)
    _write(tmp_path, "messages/en/demo/day3.sms.j2", "Hi {{ nickname }}")
    _write(tmp_path, "messages/en/demo/day4.sms.j2", "Reply STOP. " + CHECKIN + " x" * 230)
    _write(tmp_path, "messages/fr/demo/day1.sms.j2", "{{ clinic_name }}. Reply STOP.")
    _write(tmp_path, "messages/en/demo/day5.sms.j2", "{{ clinic_name }} STOP {% if %}")
    _write(tmp_path, "messages/en/demo/day6.email_text.j2", "{{ clinic_name }} STOP " + CHECKIN)
    _write(tmp_path, "messages/en/demo/day7.sms.j2", "{{ clinic_name }} STOP, no check-in")

    renderer = MessageRenderer(tmp_path)
    steps = ["day1", "day2", "day3", "day4", "day5", "day6", "day7"]
    found = _problem_messages(renderer.check_all({"demo": steps}, ["en"], SAMPLE))

    assert not any(key.startswith("en/day1.") for key in found)
    assert found["en/day2.sms"] == ["missing opt-out instructions (keyword STOP)"]
    assert any("undefined variable" in m and "nickname" in m for m in found["en/day3.sms"])
    assert len(found["en/day4.sms"]) == 2
    assert found["en/day4.sms"][0].startswith("SMS is 4 segments (GSM-7, 488 units)")
    assert found["en/day4.sms"][1] == "missing clinic name"
    assert any("TemplateSyntaxError" in m for m in found["en/day5.sms"])
    assert found["en/day6.email_text"] == ["missing unsubscribe link"]
    assert found["en/day2.email_subject"] == ["missing template"]
    assert found["en/day7.sms"] == ["missing the 1/2/3 check-in (messages/en/_checkin.sms.j2)"]

    fr = _problem_messages(renderer.check_all({"demo": ["day1"]}, ["fr"], SAMPLE))
    assert fr["fr/day1.sms"] == [
        "missing opt-out instructions (keyword ARRET)",
        "missing messages/fr/_checkin.sms.j2",
    ]


def test_an_sms_may_use_three_segments_in_either_language_not_four(tmp_path: Path) -> None:
    _write_checkins(tmp_path, "en", "fr")
    for language, keyword in (("en", "STOP"), ("fr", "ARRET")):
        for step, length in (("day1", 400), ("day2", 460)):
            body = "{{ clinic_name }} " + "a" * length + f" {keyword} " + CHECKIN
            _write(tmp_path, f"messages/{language}/demo/{step}.sms.j2", body)
    renderer = MessageRenderer(tmp_path)
    problems = renderer.check_all({"demo": ["day1", "day2"]}, ["en", "fr"], SAMPLE)
    sms_problems = [p for p in problems if p.part == "sms"]
    assert [(p.language, p.step) for p in sms_problems] == [("en", "day2"), ("fr", "day2")]
    assert "limit for 'en' is 3" in sms_problems[0].message
    assert str(sms_problems[0]).startswith("en/demo/day2.sms: SMS is 4 segments")
