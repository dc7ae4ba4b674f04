"""The pure rules of reading a patient's email: reply extraction, HTML, senders, dates, names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scheduler.inbound.email_parsing import (
    MAX_FILES,
    MAX_PARTS,
    UnreadableEmail,
    attachment_names,
    file_parts,
    html_to_text,
    is_automatic,
    parse_message,
    reply_text,
    to_incoming,
)
from scheduler.inbound.mailbox import DONE_KEYWORD, UNREADABLE_KEYWORD, encode_folder, marks_for

NOW = datetime(2025, 11, 24, 20, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Just a reply.\n", "Just a reply."),
        # Gmail, attribution wrapped over two lines, history quoted with '>'.
        (
            "Some redness today.\n\nOn Mon, Nov 24, 2025 at 10:00 AM Clinic <care@clinic.example>\n"
            "wrote:\n> Day 1 after your treatment\n> Call us if\n",
            "Some redness today.",
        ),
        # French Gmail/Apple, with the narrow no-break space French typography puts before ':'.
        (
            "Ça pique un peu.\n\nLe lun. 24 nov. 2025 à 10:00, Clinique <soins@clinique.ca> a"
            " écrit\u202f:\n> Bonjour\n",
            "Ça pique un peu.",
        ),
        # Unquoted history after the attribution (Apple Mail, Thunderbird HTML): all of it goes.
        (
            "Fine thanks\nOn 24 Nov 2025, at 10:00, Clinic <c@x.example> wrote:\n\nDay 1 tips\n",
            "Fine thanks",
        ),
        # Bottom-posting: the attribution and quote go, the reply under them stays.
        (
            "On Mon, Nov 24, 2025 at 10:00 AM Clinic wrote:\n> How is your skin?\n\nItchy, a bit.",
            "Itchy, a bit.",
        ),
        # Interleaved answers keep every unquoted line.
        ("> Any swelling?\nNo.\n> Any fever?\nYes, 38.5\n", "No.\nYes, 38.5"),
        ("Merci\n\n-----Original Message-----\nFrom: Clinic\nSent: Monday\nDay 1", "Merci"),
        ("Merci\n\n-----Message d'origine-----\nDe : Clinique\nbla", "Merci"),
        (
            "All good\n\n________________________________\nFrom: Clinic <c@x.example>\n"
            "Sent: Monday, November 24, 2025 10:00 AM\nTo: Marie\nSubject: Day 1\n\nTips",
            "All good",
        ),
        (
            "Tout va bien\n\nDe\u00a0: Clinique <c@x.example>\nEnvoyé\u00a0: lundi 24 novembre\n"
            "À\u00a0: Marie\nObjet\u00a0: Jour 1\n",
            "Tout va bien",
        ),
        # The patient's own words are not history: no date or address, no second header field.
        ("On Monday I wrote: it hurts", "On Monday I wrote: it hurts"),
        ("From: my phone, it still hurts\nThanks", "From: my phone, it still hurts\nThanks"),
        ("Line 1\r\n\r\n\r\n\r\nLine 2\r\n\r\n", "Line 1\n\nLine 2"),
        ("> only history\n", ""),
    ],
)
def test_reply_text_keeps_the_reply_only(text: str, expected: str) -> None:
    assert reply_text(text) == expected


def test_html_to_text_keeps_lines_and_drops_quotes_scripts_and_styles() -> None:
    html = (
        "<html><head><style>p {color: red}</style><title>t</title></head><body>"
        "<div dir='ltr'>Bonjour,<br>la rougeur   a <b>diminué</b>&nbsp;!</div>"
        "<p>Merci &amp; à bientôt</p><script>alert(1)</script>"
        "<div class='gmail_quote'><div>Le lun. 24 nov. 2025 à 10:00, Clinique"
        " &lt;soins@clinique.ca&gt; a écrit&nbsp;:<br></div>"
        "<blockquote>Jour 1 <blockquote>older</blockquote></blockquote></div></body></html>"
    )
    text = html_to_text(html)
    assert text.splitlines()[:3] == ["Bonjour,", "la rougeur a diminué !", "Merci & à bientôt"]
    assert "alert" not in text and "color" not in text and "Jour 1" not in text
    assert reply_text(text) == "Bonjour,\nla rougeur a diminué !\nMerci & à bientôt"


def test_encode_folder_is_modified_utf7() -> None:
    # The vectors of RFC 3501 section 5.1.3, plus '&' and French.
    assert encode_folder("~peter/mail/台北/日本語") == "~peter/mail/&U,BTFw-/&ZeVnLIqe-"
    assert encode_folder("Réponses & suivis") == "R&AOk-ponses &- suivis"
    assert encode_folder("INBOX") == "INBOX"


def _message(headers: str, body: str = "hello\n") -> bytes:
    return (headers.strip("\n") + "\n\n" + body).replace("\n", "\r\n").encode()


def test_sender_is_the_bare_lowercased_address_and_recipient_prefers_delivered_to() -> None:
    raw = _message(
        "From: =?utf-8?q?Am=C3=A9lie_Roy?= <Amelie.ROY@Example.COM>\n"
        "To: Someone Else <other@example.com>\nCc: replies@clinic.example\n"
        "Delivered-To: Replies@Clinic.example\nMessage-ID: <abc@mail.example>\n"
    )
    email = to_incoming(parse_message(raw), raw, now=NOW)
    assert email.from_address == "amelie.roy@example.com"
    assert email.to_address == "replies@clinic.example"
    assert email.message_id == "abc@mail.example"


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        ("Mon, 24 Nov 2025 10:30:00 -0500", datetime(2025, 11, 24, 15, 30, tzinfo=UTC)),
        ("Mon, 24 Nov 2025 10:30:00 -0000", datetime(2025, 11, 24, 10, 30, tzinfo=UTC)),
        ("not a date", NOW),
        (None, NOW),
        ("Tue, 25 Nov 2025 10:30:00 +0000", NOW),  # a fast phone clock: never after now
    ],
)
def test_received_at_comes_from_date_else_the_clock(date: str | None, expected: datetime) -> None:
    header = f"Date: {date}\n" if date else ""
    raw = _message(f"From: a@example.com\n{header}")
    received = to_incoming(parse_message(raw), raw, now=NOW).received_at
    assert received == expected and received.utcoffset() == timedelta(0)


def test_a_missing_message_id_is_replaced_by_a_stable_one() -> None:
    raw = _message("From: a@example.com\nSubject: no id")
    other = _message("From: a@example.com\nSubject: no id either")
    first = to_incoming(parse_message(raw), raw, now=NOW).message_id
    assert first == to_incoming(parse_message(raw), raw, now=NOW).message_id
    assert first != to_incoming(parse_message(other), other, now=NOW).message_id


@pytest.mark.parametrize(
    "raw",
    [b"", b"this is not an email\r\n", _message("Subject: nobody sent this"), _message("From: ,")],
)
def test_mail_without_headers_or_sender_is_unreadable(raw: bytes) -> None:
    with pytest.raises(UnreadableEmail):
        to_incoming(parse_message(raw), raw, now=NOW)


@pytest.mark.parametrize(
    ("headers", "automatic"),
    [
        ("Auto-Submitted: auto-replied", True),
        ("Auto-Submitted: auto-generated; owner-email=x@y", True),
        ("Auto-Submitted: no", False),
        ("Precedence: bulk", True),
        ("Precedence: auto_reply", True),
        ("Precedence: junk", True),
        ("Precedence: first-class", False),
        ("X-Autoreply: yes", True),
        ("Return-Path: <>", True),
        ("Return-Path: <marie@example.com>", False),
        ("Content-Type: multipart/report; report-type=delivery-status; boundary=x", True),
        ("Subject: Re: Day 1", False),
    ],
)
def test_automatic_mail_is_recognised(headers: str, automatic: bool) -> None:
    raw = _message(f"From: marie@example.com\n{headers}")
    assert is_automatic(parse_message(raw)) is automatic


@pytest.mark.parametrize("sender", ["MAILER-DAEMON@mx.example", "postmaster@example.com"])
def test_bounce_senders_are_automatic(sender: str) -> None:
    assert is_automatic(parse_message(_message(f"From: Mail System <{sender}>")))


def test_attachment_names_cover_nested_parts_and_clean_paths() -> None:
    raw = _message(
        'From: a@example.com\nContent-Type: multipart/mixed; boundary="m"',
        "--m\n"
        'Content-Type: multipart/alternative; boundary="a"\n\n'
        "--a\nContent-Type: text/plain\n\nhi\n"
        "--a\nContent-Type: text/html\n\n<p>hi</p>\n--a--\n"
        "--m\n"
        "Content-Type: image/jpeg\n"
        'Content-Disposition: inline; filename="C:\\\\fakepath\\\\IMG_0001.JPG"\n\nAAAA\n'
        "--m\nContent-Type: image/png\n\nAAAA\n"
        "--m\nContent-Type: text/plain\nContent-Disposition: attachment\n\nnotes\n"
        "--m\nContent-Type: message/rfc822\n\nSubject: fwd\n\nbody\n"
        "--m--\n",
    )
    message = parse_message(raw)
    body = message.get_body(preferencelist=("plain", "html"))
    assert attachment_names(file_parts(message, body)) == (
        "IMG_0001.JPG",
        "unnamed.png",
        "unnamed.txt",
        "message.eml",
    )


def test_a_mail_of_thousands_of_parts_is_read_only_as_far_as_a_reply_needs() -> None:
    # From the blind hostile set: 5,000 empty parts took 2 s to list, part by part.
    parts = "".join("--m\nContent-Type: image/png\n\nAAAA\n" for _ in range(5_000))
    raw = _message(
        'From: a@example.com\nContent-Type: multipart/mixed; boundary="m"',
        "--m\nContent-Type: text/plain\n\nmy cheek is still red\n" + parts + "--m--\n",
    )
    message = parse_message(raw)
    body = message.get_body(preferencelist=("plain", "html"))
    names = attachment_names(file_parts(message, body))
    assert 0 < len(names) < MAX_PARTS
    mail = to_incoming(message, raw, now=datetime.now(UTC))
    assert mail.text == "my cheek is still red" and len(mail.files) == MAX_FILES


@pytest.mark.parametrize(
    ("permanent", "done", "unreadable"),
    [
        (None, DONE_KEYWORD, UNREADABLE_KEYWORD),  # absent: everything may be stored
        ("(\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)", DONE_KEYWORD, UNREADABLE_KEYWORD),
        (f"(\\Seen \\Flagged {DONE_KEYWORD})", DONE_KEYWORD, None),  # made earlier, no new ones
        ("(" + " ".join(f"$k{n}" for n in range(60)) + " \\*)", DONE_KEYWORD, UNREADABLE_KEYWORD),
        ("(\\Seen \\Answered \\Flagged \\Deleted \\Draft $MDNSent)", "\\Flagged", None),  # Exchange
    ],
)
def test_processed_mark_follows_what_the_folder_can_store(
    permanent: str | None, done: str, unreadable: str | None
) -> None:
    marks = marks_for(permanent)
    assert marks is not None and (marks.done, marks.unreadable) == (done, unreadable)


def test_a_folder_that_stores_no_flags_cannot_be_polled() -> None:
    assert marks_for("(\\Seen \\Deleted)") is None


def test_an_empty_plain_part_falls_back_to_the_html_alternative() -> None:
    raw = _message(
        'From: a@example.com\nContent-Type: multipart/alternative; boundary="a"',
        "--a\nContent-Type: text/plain\n\n\n--a\nContent-Type: text/html\n\n"
        "<div>Photo ci-jointe</div>\n--a--\n",
    )
    assert to_incoming(parse_message(raw), raw, now=NOW).text == "Photo ci-jointe"
