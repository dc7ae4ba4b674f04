"""The answer's headers are built, never copied: hostile subjects and ids (property tests)."""

from __future__ import annotations

import base64
import re
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import SMTP, default

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.channels.email_headers import (
    FALLBACK_SUBJECTS,
    header_text,
    msg_id,
    plain_address,
    reply_subject,
    threading_headers,
)

# What hostile text is made of: line breaks, encoded-words (nested too), and header-looking bits.
PIECES = st.sampled_from(
    [
        "\r\n",
        "\n",
        "\r",
        "\x00",
        "\x0b",
        "\x85",
        "\u2028",
        "=?",
        "?=",
        "=?utf-8?q?",
        "=?utf-8?b?",
        "=0D=0A",
        "Bcc: x@evil.example",
        ": ",
        "<",
        ">",
        "@",
        " ",
        "Re:",
        "é",
        "<b>Hi</b>",
    ]
)
HOSTILE = st.lists(st.one_of(PIECES, st.text(max_size=8)), max_size=12).map("".join)


def encoded(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode("utf-8", "surrogatepass")).decode() + "?="


def built(subject: str, headers: dict[str, str]) -> bytes:
    """A message as the SMTP channel writes it, with these header values."""
    message = EmailMessage(policy=SMTP)
    message["From"] = "clinic@clinic.example"
    message["To"] = "ana@example.com"
    message["Subject"] = subject
    for name, value in headers.items():
        message[name] = value
    message.set_content("Bonjour")
    return message.as_bytes()


def header_block(raw: bytes) -> list[str]:
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    return [line.split(":", 1)[0] for line in head.split("\r\n") if line[:1] not in " \t"]


@settings(max_examples=300, deadline=None)
@given(HOSTILE, st.sampled_from(["en", "fr"]))
def test_any_subject_becomes_one_safe_header(subject: str, language: str) -> None:
    for inbound in (subject, encoded(subject), encoded(encoded(subject))):
        safe = reply_subject(inbound, language=language, clinic_name="Clinique")
        assert safe.startswith(("Re: ", "Re : "))
        assert "=?" not in safe and not re.search(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]", safe)
        raw = built(safe, {})
        assert header_block(raw)[:3] == ["From", "To", "Subject"]
        assert sorted(header_block(raw)) == sorted(
            ["From", "To", "Subject", "Content-Type", "Content-Transfer-Encoding", "MIME-Version"]
        )
        # What the patient's client shows is what we built, nothing decoded again (spacing
        # aside: RFC 2047 drops the space between two encoded-words).
        parsed = message_from_bytes(raw, policy=default)
        assert "".join(str(parsed["Subject"]).split()) == "".join(safe.split())


@settings(max_examples=300, deadline=None)
@given(HOSTILE)
def test_any_message_id_is_threaded_only_when_valid(value: str) -> None:
    for inbound in (value, f"<{value}>", f"<{value}@mail.example>", encoded(value)):
        headers = threading_headers(inbound)
        if not headers:
            continue
        wrapped = headers["In-Reply-To"]
        assert re.fullmatch(r"<[!-~]+>", wrapped) and "=?" not in wrapped
        raw = built("Re: x", headers)
        names = header_block(raw)
        assert names.count("In-Reply-To") == names.count("References") == 1
        assert len(names) == 8


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("r1@mail.example", "<r1@mail.example>"),
        ("<CAF+x_y.z@mail.gmail.com>", "<CAF+x_y.z@mail.gmail.com>"),
        ("<a@[127.0.0.1]>", "<a@[127.0.0.1]>"),
        ("a b@mail.example", None),
        ("<a@b>\r\nBcc: x@y", None),
        ("=?utf-8?q?x=0D=0ABcc:_y@z?=@mail.example", None),
        ("no-at-sign", None),
        ("a@" + "b" * 300, None),
        ("", None),
        (None, None),
    ],
)
def test_msg_id(value: str | None, expected: str | None) -> None:
    assert msg_id(value) == expected


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Re: Jour 1 après votre traitement", "Re: Jour 1 après votre traitement"),
        ("RE: re : Fwd: TR: question", "Re: question"),
        ("Réf. : suivi", "Re: suivi"),
        ("  \t ", "Re: your message to Clinique"),
        ("a\r\nBcc: x@evil.example", "Re: a Bcc: x@evil.example"),
        ("x" * 500, "Re: " + "x" * 119 + "…"),
    ],
)
def test_reply_subject(subject: str, expected: str) -> None:
    assert reply_subject(subject, language="en", clinic_name="Clinique") == expected


def test_fixed_subjects_exist_for_every_language() -> None:
    assert set(FALLBACK_SUBJECTS) == {"en", "fr"}
    assert header_text("=?=?=?") == "==="


@pytest.mark.parametrize(
    ("address", "ok"),
    [
        ("ana@example.com", True),
        ("ana.lima+clinic@mail.example.co", True),
        ("=?utf-8?q?x?=@example.com", False),
        ("ana@localhost", False),
        ("ana@exa mple.com", False),
        ('"a b"@example.com', False),
        ("ana@example.com\r\nBcc: x@y", False),
    ],
)
def test_plain_address(address: str, ok: bool) -> None:
    assert (plain_address(address) is not None) is ok
