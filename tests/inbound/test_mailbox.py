"""poll_mailbox against a real Dovecot on loopback: each reply handled once, nothing deleted."""

from __future__ import annotations

import logging
import traceback
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from scheduler.inbound.mailbox import (
    DONE_KEYWORD,
    UNREADABLE_KEYWORD,
    IncomingEmail,
    MailboxError,
    imap_date,
    poll_mailbox,
)
from scheduler.settings import Settings
from tests.fakes.imap_server import DovecotServer
from tests.support.settings import make_settings

NOW = datetime(2025, 11, 24, 20, 0, tzinfo=UTC)
PATIENT = "Marie Tremblay <Marie.Tremblay@Example.com>"
CLINIC = "Clinique <replies@clinic.example>"


class Collector:
    """A `handle` that records what it got; it raises for subjects listed in `fail_on`."""

    def __init__(self, fail_on: tuple[str, ...] = ()) -> None:
        self.got: list[IncomingEmail] = []
        self.fail_on = fail_on

    def __call__(self, email: IncomingEmail) -> None:
        if any(marker in email.subject for marker in self.fail_on):
            raise RuntimeError(f"database is down while storing a reply from {email.from_address}")
        self.got.append(email)

    @property
    def texts(self) -> list[str]:
        return [email.text for email in self.got]


@pytest.fixture
def folder(dovecot: DovecotServer) -> str:
    """A fresh folder per test, so tests share the server but not their mail."""
    name = f"t-{uuid.uuid4().hex[:10]}"
    dovecot.create_folder(name)
    return name


@pytest.fixture
def settings(dovecot: DovecotServer, folder: str, tmp_path: Path) -> Settings:
    return make_settings(f"sqlite:///{tmp_path / 'unused.db'}", **dovecot.settings(folder))


def mail(
    body: str = "Hello\n",
    *,
    subject: str = "Re: Day 1 after your treatment",
    sender: str = PATIENT,
    headers: str = "",
    date: str = "Mon, 24 Nov 2025 10:30:00 -0500",
) -> bytes:
    """A plain-text mail, written out by hand as it travels."""
    head = (
        f"From: {sender}\nTo: {CLINIC}\nSubject: {subject}\nDate: {date}\n"
        f"Message-ID: <{uuid.uuid4().hex}@mail.example>\nMIME-Version: 1.0\n{headers}"
    )
    if "Content-Type" not in headers:
        head += "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n"
    return (head + "\n" + body).replace("\n", "\r\n").encode()


def test_a_plain_reply_is_handled_once_and_marked_processed(
    dovecot: DovecotServer, folder: str, settings: Settings
) -> None:
    uid = dovecot.append(mail("A bit red but fine.\n"), folder=folder)
    handle = Collector()

    report = poll_mailbox(settings, handle, now=NOW)

    assert (report.seen, report.handled, report.failed, report.pending) == (1, 1, 0, 0)
    [email] = handle.got
    assert email.from_address == "marie.tremblay@example.com"
    assert email.to_address == "replies@clinic.example"
    assert email.subject == "Re: Day 1 after your treatment"
    assert email.text == "A bit red but fine."
    assert email.attachments == ()
    assert email.received_at == datetime(2025, 11, 24, 15, 30, tzinfo=UTC)
    assert email.message_id.endswith("@mail.example") and "<" not in email.message_id
    assert {DONE_KEYWORD, "\\Seen"} <= dovecot.flags_of(uid, folder=folder)
    assert "\\Flagged" not in dovecot.flags_of(uid, folder=folder)  # staff's star stays theirs

    again = poll_mailbox(settings, handle, now=NOW)
    assert again.seen == 0 and len(handle.got) == 1


def test_mail_older_than_the_lookback_is_left_alone(
    dovecot: DovecotServer, folder: str, settings: Settings
) -> None:
    # A first start on a mailbox with years of mail must not triage and answer all of it.
    old = dovecot.append(mail("From last month"), folder=folder, arrived=NOW - timedelta(days=30))
    edge = dovecot.append(mail("Two weeks ago"), folder=folder, arrived=NOW - timedelta(days=14))
    recent = dovecot.append(mail("Yesterday"), folder=folder, arrived=NOW - timedelta(days=1))
    handle = Collector()

    report = poll_mailbox(settings, handle, now=NOW)

    assert settings.imap_lookback_days == 14
    assert (report.seen, report.handled, report.pending) == (2, 2, 0)
    assert handle.texts == ["Two weeks ago", "Yesterday"]
    assert {DONE_KEYWORD, "\\Seen"} <= dovecot.flags_of(recent, folder=folder)
    assert {DONE_KEYWORD, "\\Seen"} <= dovecot.flags_of(edge, folder=folder)
    assert dovecot.flags_of(old, folder=folder) == frozenset()  # unread and unmarked, for staff

    longer = settings.model_copy(update={"imap_lookback_days": 31})
    assert poll_mailbox(longer, handle, now=NOW).handled == 1
    assert handle.texts[-1] == "From last month"


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2025, 11, 24, 20, 0, tzinfo=UTC), "24-Nov-2025"),
        (datetime(2025, 12, 31, 22, 0, tzinfo=ZoneInfo("America/Toronto")), "1-Jan-2026"),
        (datetime(2026, 3, 1, 3, 0, tzinfo=UTC), "1-Mar-2026"),
    ],
)
def test_imap_date_is_the_utc_day_in_rfc3501_form(moment: datetime, expected: str) -> None:
    assert imap_date(moment) == expected


def test_quoted_history_is_removed_in_english_and_french(
    dovecot: DovecotServer, folder: str, settings: Settings
) -> None:
    english = (
        "Some swelling this morning.\n\n"
        "On Mon, Nov 24, 2025 at 10:00 AM Clinique <replies@clinic.example>\nwrote:\n\n"
        "> Day 1: redness is normal.\n> Call us at 613-555-0100.\n"
    )
    french = (
        "Ça chauffe un peu.\nMerci\n\n"
        "Le lun. 24 nov. 2025 à 10:00, Clinique <replies@clinic.example> a écrit\u00a0:\n"
        "> Jour 1 : une rougeur est normale.\n"
    )
    outlook = (
        "No problems.\n\n-----Original Message-----\nFrom: Clinique\n"
        "Sent: Monday, November 24, 2025 10:00 AM\nSubject: Day 1\n\nDay 1: redness is normal.\n"
    )
    for body in (english, french, outlook):
        dovecot.append(mail(body), folder=folder)
    handle = Collector()

    poll_mailbox(settings, handle, now=NOW)

    assert handle.texts == [
        "Some swelling this morning.",
        "Ça chauffe un peu.\nMerci",
        "No problems.",
    ]


def test_an_html_only_mail_is_converted_to_text(
    dovecot: DovecotServer, folder: str, settings: Settings
) -> None:
    html = (
        "<html><head><style>div{font-family:Arial}</style></head><body>"
        '<div dir="ltr">J&#39;ai une petite cro&ucirc;te,<div>est-ce normal&nbsp;?</div></div>'
        '<br><div class="gmail_quote"><div class="gmail_attr">Le lun. 24 nov. 2025 &agrave;'
        " 10:00, Clinique &lt;replies@clinic.example&gt; a &eacute;crit&nbsp;:<br></div>"
        '<blockquote class="gmail_quote">Jour 3&nbsp;: la peau p&egrave;le.</blockquote>'
        "</div></body></html>\n"
    )
    headers = "Content-Type: text/html; charset=us-ascii\nContent-Transfer-Encoding: 7bit\n"
    dovecot.append(mail(html, headers=headers), folder=folder)
    handle = Collector()

    poll_mailbox(settings, handle, now=NOW)

    assert handle.texts == ["J'ai une petite croûte,\nest-ce normal ?"]


def test_attachment_names_are_listed(
    dovecot: DovecotServer, folder: str, settings: Settings
) -> None:
    body = (
        "--b1\nContent-Type: text/plain; charset=utf-8\n\nHere is a photo of my cheek.\n"
        '--b1\nContent-Type: image/jpeg; name="IMG_2041.jpg"\n'
        'Content-Disposition: attachment; filename="IMG_2041.jpg"\n'
        "Content-Transfer-Encoding: base64\n\n/9j/4AAQSkZJRg==\n"
        "--b1\nContent-Type: image/heic\nContent-Transfer-Encoding: base64\n"
        "Content-Disposition: attachment; filename*=utf-8''joue%20gauche%C3%A9.heic\n\nAAAA\n"
        '--b1\nContent-Type: application/pdf; name="=?utf-8?q?ordonnance_=C3=A9t=C3=A9.pdf?="\n'
        "Content-Disposition: attachment\nContent-Transfer-Encoding: base64\n\nJVBERi0=\n"
        "--b1--\n"
    )
    headers = 'Content-Type: multipart/mixed; boundary="b1"\n'
    dovecot.append(mail(body, headers=headers), folder=folder)
    handle = Collector()

    poll_mailbox(settings, handle, now=NOW)

    [email] = handle.got
    assert email.text == "Here is a photo of my cheek."
    assert email.attachments == ("IMG_2041.jpg", "joue gaucheé.heic", "ordonnance été.pdf")


def test_non_ascii_subjects_and_bodies_in_every_transfer_encoding(
    dovecot: DovecotServer, folder: str, settings: Settings
) -> None:
    quoted_printable = mail(
        "J'ai de la fi=C3=A8vre depuis hier soir, =C3=A7a br=C3=BBle.=\nMerci\n",
        subject="=?utf-8?q?R=C3=A9ponse_=C3=A0_votre_message?=",
        sender="=?iso-8859-1?q?H=E9l=E8ne_C=F4t=E9?= <HELENE@example.ca>",
        headers="Content-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: quoted-printable\n",
    )
    base64_latin1 = mail(
        # "Rougeur légère, pas de douleur." in ISO-8859-1, base64-encoded.
        "Um91Z2V1ciBs6WfocmUsIHBhcyBkZSBkb3VsZXVyLg==\n",
        subject="=?UTF-8?B?w4lyeXRow6htZSDDoCBKMw==?=",
        headers="Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: base64\n",
    )
    raw_utf8 = mail("Ça va très bien 🙂\n", subject="Réponse")  # 8-bit, undeclared in headers
    for raw in (quoted_printable, base64_latin1, raw_utf8):
        dovecot.append(raw, folder=folder)
    handle = Collector()

    poll_mailbox(settings, handle, now=NOW)

    assert [(e.subject, e.text) for e in handle.got] == [
        ("Réponse à votre message", "J'ai de la fièvre depuis hier soir, ça brûle.Merci"),
        ("Érythème à J3", "Rougeur légère, pas de douleur."),
        ("Réponse", "Ça va très bien 🙂"),
    ]
    assert handle.got[0].from_address == "helene@example.ca"


def test_a_mail_whose_handler_fails_stays_unprocessed_and_is_handled_next_poll(
    dovecot: DovecotServer, folder: str, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    failing = dovecot.append(mail("first", subject="Re: boom"), folder=folder)
    fine = dovecot.append(mail("second"), folder=folder)
    caplog.set_level(logging.DEBUG, logger="scheduler.inbound.mailbox")

    report = poll_mailbox(settings, Collector(fail_on=("boom",)), now=NOW)

    assert (report.seen, report.handled, report.failed) == (2, 1, 1)
    assert not {DONE_KEYWORD, "\\Seen"} & dovecot.flags_of(failing, folder=folder)
    assert DONE_KEYWORD in dovecot.flags_of(fine, folder=folder)
    assert "m***@example.com" in caplog.text and "RuntimeError" in caplog.text
    assert "marie.tremblay@example.com" not in caplog.text.lower()  # masked, even in the error

    handle = Collector()
    retry = poll_mailbox(settings, handle, now=NOW)
    assert (retry.seen, retry.handled) == (1, 1) and handle.texts == ["first"]
    assert DONE_KEYWORD in dovecot.flags_of(failing, folder=folder)


def test_auto_replies_and_bounces_are_marked_processed_without_handling(
    dovecot: DovecotServer, folder: str, settings: Settings
) -> None:
    bounce_body = (
        "--r\nContent-Type: text/plain\n\nDelivery to the following recipient failed.\n"
        "--r\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example\n\n"
        "Final-Recipient: rfc822; marie@example.com\nAction: failed\nStatus: 5.1.1\n--r--\n"
    )
    automatic = [
        mail("I am away until Monday.", headers="Auto-Submitted: auto-replied\n"),
        mail("Newsletter", headers="Precedence: bulk\n"),
        mail(
            bounce_body,
            sender="Mail Delivery Subsystem <MAILER-DAEMON@mx.example>",
            headers="Content-Type: multipart/report; report-type=delivery-status; boundary=r\n",
        ),
    ]
    uids = [dovecot.append(raw, folder=folder) for raw in automatic]
    typed = dovecot.append(mail("Typed by me", headers="Auto-Submitted: no\n"), folder=folder)
    handle = Collector()

    report = poll_mailbox(settings, handle, now=NOW)

    assert (report.seen, report.skipped, report.handled) == (4, 3, 1)
    assert handle.texts == ["Typed by me"]
    for uid in [*uids, typed]:
        assert {DONE_KEYWORD, "\\Seen"} <= dovecot.flags_of(uid, folder=folder)
    assert poll_mailbox(settings, handle, now=NOW).seen == 0


def test_an_unreadable_mail_is_left_for_staff_and_logged_once(
    dovecot: DovecotServer, folder: str, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    junk = dovecot.append(b"this is not an email at all\r\n", folder=folder)
    dovecot.append(mail("readable"), folder=folder)
    handle = Collector()
    caplog.set_level(logging.WARNING, logger="scheduler.inbound.mailbox")

    first = poll_mailbox(settings, handle, now=NOW)
    second = poll_mailbox(settings, handle, now=NOW)

    assert (first.seen, first.unreadable, first.handled) == (2, 1, 1)
    assert (second.seen, second.unreadable, second.handled) == (1, 1, 0)
    assert handle.texts == ["readable"]
    flags = dovecot.flags_of(junk, folder=folder)
    assert UNREADABLE_KEYWORD in flags and not {DONE_KEYWORD, "\\Seen"} & flags
    assert caplog.text.count("cannot be read") == 1


def test_nothing_is_ever_deleted_or_expunged(
    dovecot: DovecotServer, folder: str, settings: Settings
) -> None:
    raws = [
        mail("ok"),
        mail("boom", subject="boom"),
        mail("away", headers="Auto-Submitted: auto-replied\n"),
        b"garbage\r\n",
    ]
    uids = [dovecot.append(raw, folder=folder) for raw in raws]
    # Someone marked one for deletion in their mail client: CLOSE would expunge it; we must not.
    dovecot.append(mail("staff deleted this", subject="deleted"), folder=folder, flags="\\Deleted")

    for _ in range(3):
        poll_mailbox(settings, Collector(fail_on=("boom",)), now=NOW)

    assert dovecot.count(folder) == len(raws) + 1
    for uid in uids:
        assert "\\Deleted" not in dovecot.flags_of(uid, folder=folder)


def test_work_per_poll_is_bounded_oldest_first(
    dovecot: DovecotServer, folder: str, settings: Settings
) -> None:
    for number in range(5):
        dovecot.append(mail(f"reply {number}"), folder=folder)
    handle = Collector()

    first = poll_mailbox(settings, handle, now=NOW, limit=3)
    assert (first.handled, first.pending) == (3, 2)
    assert handle.texts == ["reply 0", "reply 1", "reply 2"]

    second = poll_mailbox(settings, handle, now=NOW, limit=3)
    assert (second.handled, second.pending) == (2, 0)
    assert handle.texts[3:] == ["reply 3", "reply 4"]


def test_a_folder_with_a_non_ascii_name(dovecot: DovecotServer, tmp_path: Path) -> None:
    wire = f"R&AOk-ponses patients {uuid.uuid4().hex[:6]}"  # modified UTF-7, written by hand
    dovecot.create_folder(wire)
    dovecot.append(mail("dans le dossier"), folder=wire)
    name = "Réponses patients " + wire.rsplit(" ", 1)[1]
    settings = make_settings(f"sqlite:///{tmp_path / 'u.db'}", **dovecot.settings(name))
    handle = Collector()

    poll_mailbox(settings, handle, now=NOW)

    assert handle.texts == ["dans le dossier"]


def make(dovecot: DovecotServer, tmp_path: Path, **overrides: Any) -> Settings:
    values = {**dovecot.settings(), **overrides}
    return make_settings(f"sqlite:///{tmp_path / 'u.db'}", **values)


def test_a_wrong_password_raises_a_clear_error_without_the_password(tmp_path: Path) -> None:
    # A server of its own: Dovecot slows every later login from an IP after a failed one.
    with DovecotServer(tls=False) as lonely:
        secret = "Wr0ng-Secret-7731"
        settings = make(lonely, tmp_path, imap_password=secret)

        with pytest.raises(MailboxError) as caught:
            poll_mailbox(settings, Collector(), now=NOW)

    message = str(caught.value)
    assert "refused the login" in message and "IMAP_PASSWORD" in message
    assert f"{lonely.host}:{lonely.port}" in message
    assert secret not in "".join(traceback.format_exception(caught.value))


def test_a_missing_folder_names_the_setting(dovecot: DovecotServer, tmp_path: Path) -> None:
    settings = make(dovecot, tmp_path, imap_folder="No Such Folder")
    with pytest.raises(MailboxError, match=r"No Such Folder.*IMAP_FOLDER"):
        poll_mailbox(settings, Collector(), now=NOW)


def test_an_unreachable_server_raises_mailbox_error(tmp_path: Path) -> None:
    from tests.fakes.smtp_server import free_port

    settings = make_settings(
        f"sqlite:///{tmp_path / 'u.db'}",
        imap_host="127.0.0.1",
        imap_port=free_port(),
        imap_security="none",
        imap_username="x",
        imap_password="pw-never-shown",
    )
    with pytest.raises(MailboxError, match="connection refused"):
        poll_mailbox(settings, Collector(), now=NOW, timeout=2)


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_tls_modes_verify_the_certificate(
    dovecot: DovecotServer, folder: str, tmp_path: Path, security: str
) -> None:
    if dovecot.cert is None:
        pytest.skip("openssl is missing, so the server has no TLS certificate")
    settings = make(dovecot, tmp_path, **dovecot.settings(folder, security=security))
    dovecot.append(mail(f"over {security}"), folder=folder)

    with pytest.raises(MailboxError, match=r"certificate.*not trusted"):
        poll_mailbox(settings, Collector(), now=NOW)  # the system CAs do not know our cert

    handle = Collector()
    poll_mailbox(settings, handle, now=NOW, ssl_context=dovecot.cert.client_context())
    assert handle.texts == [f"over {security}"]


def test_ssl_against_the_plain_port_says_what_to_check(
    dovecot: DovecotServer, tmp_path: Path
) -> None:
    settings = make(dovecot, tmp_path, imap_security="ssl")  # port is still the plain one
    with pytest.raises(MailboxError, match="IMAP_SECURITY=ssl"):
        poll_mailbox(settings, Collector(), now=NOW, timeout=5)


def test_a_folder_listing_many_keywords_still_gets_our_keyword(
    dovecot: DovecotServer, folder: str, settings: Settings
) -> None:
    # Dovecot lists every keyword in use in PERMANENTFLAGS, the "may create" \* last.
    labels = " ".join(f"$label{number}" for number in range(80))
    uid = dovecot.append(mail("tagged by staff"), folder=folder, flags=labels)

    poll_mailbox(settings, Collector(), now=NOW)

    flags = dovecot.flags_of(uid, folder=folder)
    assert DONE_KEYWORD in flags and "\\Flagged" not in flags


def test_plain_text_against_the_tls_port_times_out_with_a_hint(
    dovecot: DovecotServer, tmp_path: Path
) -> None:
    if dovecot.cert is None:
        pytest.skip("openssl is missing, so the server has no TLS port")
    settings = make(dovecot, tmp_path, imap_port=dovecot.ssl_port, imap_security="none")
    with pytest.raises(MailboxError, match=r"did not answer within 0.5 s.*IMAP_SECURITY=none"):
        poll_mailbox(settings, Collector(), now=NOW, timeout=0.5)
