"""SmtpChannel over real loopback SMTP (aiosmtpd): MIME shape, TLS, AUTH and error mapping."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from pathlib import Path

import pytest

from scheduler.channels.base import DeliveryError, ErrorKind, OutgoingMessage
from scheduler.channels.smtp_email import SmtpChannel
from scheduler.contacts import mask_email as mask_address
from scheduler.outbound.unsubscribe_tokens import unsubscribe_url
from scheduler.settings import Settings
from tests.fakes.smtp_server import FAULTS, Fault, Mode, SmtpSink, TestCert, free_port, text_content

FROM = "Clinique Éclat Santé <soins@clinique-eclat.example>"
FROM_ADDR = "soins@clinique-eclat.example"
TO = "marie.dupre@patients.example"
USER, PASSWORD = "aftercare@clinique-eclat.example", "s3cr3t-Pa55word!"
SUBJECT = "Votre suivi après le traitement — jour 3 : ça va ?"
TEXT = "Bonjour Marie,\nComment ça va après votre traitement ? Répondez « oui » ou « non ».\n"
HTML = "<p>Bonjour Marie,</p><p>Comment ça va après votre traitement ? Répondez « oui ».</p>\n"
# Long on purpose: the stock header folder would RFC 2047-encode a URL this long.
URL = unsubscribe_url("https://suivi.clinique-eclat-sante-esthetique.example", "k" * 32, 123456)


def email(**overrides: object) -> OutgoingMessage:
    fields: dict[str, object] = {
        "outbox_id": 7,
        "medium": "email",
        "to": TO,
        "text": TEXT,
        "subject": SUBJECT,
        "html": HTML,
        "unsubscribe_url": URL,
    }
    fields.update(overrides)
    return OutgoingMessage(**fields)  # type: ignore[arg-type]


def channel_for(sink: SmtpSink, cert: TestCert | None = None, **overrides: object) -> SmtpChannel:
    security = {"plain": "none", "starttls": "starttls", "ssl": "ssl"}[sink.mode]
    options: dict[str, object] = {
        "host": sink.host,
        "port": sink.port,
        "security": security,
        "timeout": 5.0,
        "email_from": FROM,
        "local_hostname": "client.test",
        "ssl_context": cert.client_context() if cert else None,
    }
    options.update(overrides)
    return SmtpChannel(**options)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def cert(tmp_path_factory: pytest.TempPathFactory) -> TestCert:
    return TestCert.create(Path(tmp_path_factory.mktemp("smtp-tls")))


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as server:
        yield server


def test_multipart_message_round_trips_with_accents_and_headers(sink: SmtpSink) -> None:
    channel = channel_for(sink)
    provider_id = channel.send(email(headers={"X-Aftercare-Outbox": "7"}))

    got = sink.received[0]
    assert (got.mail_from, got.rcpt_tos) == (FROM_ADDR, (TO,))
    assert got.raw.isascii()  # 7-bit clean: accents travel as encoded words / quoted-printable
    msg = sink.only_message()
    assert msg.get_content_type() == "multipart/alternative"
    plain, html = msg.iter_parts()
    assert isinstance(plain, EmailMessage) and isinstance(html, EmailMessage)
    assert plain.get_content_type() == "text/plain" and text_content(plain) == TEXT
    assert html.get_content_type() == "text/html" and text_content(html) == HTML
    assert "MIME-Version" not in plain and "MIME-Version" not in html
    assert msg["Subject"] == SUBJECT
    assert msg["From"] == FROM and msg["From"].addresses[0].display_name == "Clinique Éclat Santé"
    assert msg["To"] == TO
    assert msg["Date"] is not None and msg["Date"].datetime is not None
    assert msg["Message-ID"] == f"<{provider_id}>"
    assert provider_id.endswith("@clinique-eclat.example") and "<" not in provider_id
    assert msg["X-Aftercare-Outbox"] == "7"
    assert msg["Auto-Submitted"] == "auto-generated"


def test_list_unsubscribe_has_mailto_and_one_click_https(sink: SmtpSink) -> None:
    channel_for(sink).send(email())

    msg = sink.only_message()
    unsubscribe = " ".join(str(msg["List-Unsubscribe"]).split())
    assert unsubscribe == f"<mailto:{FROM_ADDR}?subject=unsubscribe>, <{URL}>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert URL.encode() in sink.received[0].raw  # literal on the wire, not an encoded word


def test_text_only_message_without_url_has_mailto_only(sink: SmtpSink) -> None:
    channel_for(sink, unsubscribe_mailto="desabonnement@clinique-eclat.example").send(
        email(html=None, unsubscribe_url=None)
    )

    msg = sink.only_message()
    assert msg.get_content_type() == "text/plain" and text_content(msg) == TEXT
    assert (
        msg["List-Unsubscribe"]
        == "<mailto:desabonnement@clinique-eclat.example?subject=unsubscribe>"
    )
    assert "List-Unsubscribe-Post" not in msg


@pytest.mark.parametrize("mode", ["plain", "starttls", "ssl"])
def test_authenticated_delivery_over_each_transport(mode: Mode, cert: TestCert) -> None:
    with SmtpSink(mode=mode, cert=cert, username=USER, password=PASSWORD) as sink:
        provider_id = channel_for(sink, cert, username=USER, password=PASSWORD).send(email())

        got = sink.received
        assert len(got) == 1 and got[0].login == USER
        assert got[0].tls is (mode != "plain")
        assert got[0].message["Message-ID"] == f"<{provider_id}>"


def test_untrusted_certificate_is_refused_not_ignored(cert: TestCert) -> None:
    with SmtpSink(mode="starttls", cert=cert) as sink:
        with pytest.raises(DeliveryError) as caught:
            channel_for(sink, ssl_context=None).send(email())  # system CAs only
        assert (caught.value.kind, caught.value.code) == (ErrorKind.UNAVAILABLE, "smtp-tls")
        assert sink.received == []


def test_starttls_never_falls_back_to_plain_text(sink: SmtpSink) -> None:
    with pytest.raises(DeliveryError) as caught:
        channel_for(sink, security="starttls", username=USER, password=PASSWORD).send(email())
    assert (caught.value.kind, caught.value.code) == (ErrorKind.UNAVAILABLE, "smtp-config")
    assert sink.received == []


def test_bad_password_is_transient_and_short_circuits(cert: TestCert) -> None:
    with SmtpSink(mode="starttls", cert=cert, username=USER, password=PASSWORD) as sink:
        channel = channel_for(sink, cert, username=USER, password="wrong-" + PASSWORD)
        with pytest.raises(DeliveryError) as first:
            channel.send(email())
        sink.stop()  # a second attempt must not even connect during the cool-down
        with pytest.raises(DeliveryError) as second:
            channel.send(email())
    for caught in (first, second):
        assert (caught.value.kind, caught.value.code) == (ErrorKind.UNAVAILABLE, "smtp-auth")
        assert "535" in str(caught.value) and PASSWORD not in str(caught.value)
        assert caught.value.retry_after is not None and 0 < caught.value.retry_after <= 60


def test_missing_credentials_count_as_auth_problem() -> None:
    with SmtpSink(username=USER, password=PASSWORD) as sink, pytest.raises(DeliveryError) as caught:
        channel_for(sink, auth_cooldown=0).send(email())
    assert (caught.value.kind, caught.value.code) == (ErrorKind.UNAVAILABLE, "smtp-auth")
    assert "530" in str(caught.value)


EXPECTED: dict[Fault, tuple[ErrorKind, str]] = {
    "rcpt-451": (ErrorKind.TRANSIENT, "smtp-451"),
    "data-451": (ErrorKind.TRANSIENT, "smtp-451"),
    "rcpt-550": (ErrorKind.PERMANENT, "smtp-550"),
    "drop": (ErrorKind.TRANSIENT, "smtp-connection"),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_faults_map_to_kinds_without_leaking(
    fault: Fault, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with SmtpSink(username=USER, password=PASSWORD, fault=fault) as sink:
        channel = channel_for(sink, username=USER, password=PASSWORD)
        with pytest.raises(DeliveryError) as caught:
            channel.send(email())
        assert sink.received == []

    assert (caught.value.kind, caught.value.code) == EXPECTED[fault]
    rendered = "".join(traceback.format_exception(caught.value))
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("scheduler"))
    assert ours, "the failure should be logged"
    for text in (rendered, ours):
        assert PASSWORD not in text and TO not in text.lower()
    if fault == "rcpt-550":  # the relay echoed the address; we keep only its masked form
        assert mask_address(TO) in str(caught.value)


def test_connection_refused_is_transient() -> None:
    channel = SmtpChannel(
        host="127.0.0.1", port=free_port(), security="none", timeout=2.0, email_from=FROM
    )
    with pytest.raises(DeliveryError) as caught:
        channel.send(email())
    assert (caught.value.kind, caught.value.code) == (ErrorKind.TRANSIENT, "smtp-connection")
    assert TO not in str(caught.value)


@pytest.mark.parametrize(
    "overrides",
    [
        {"to": f"{TO}, other@patients.example"},  # would silently add a recipient
        {"to": "not an address"},
        {"subject": "Bonjour\r\nBcc: attacker@evil.example"},  # header injection
        {"headers": {"Bcc": "attacker@evil.example"}},
        {"unsubscribe_url": "https://x.example/a b"},
    ],
)
def test_unsendable_messages_are_permanent(sink: SmtpSink, overrides: dict[str, object]) -> None:
    with pytest.raises(DeliveryError) as caught:
        channel_for(sink).send(email(**overrides))
    assert (caught.value.kind, caught.value.code) == (ErrorKind.PERMANENT, "invalid-message")
    assert sink.received == []


def test_concurrent_sends_each_get_their_own_message_id(sink: SmtpSink) -> None:
    channel = channel_for(sink)
    recipients = [f"patient{n}@patients.example" for n in range(8)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        ids = list(pool.map(lambda to: channel.send(email(to=to)), recipients))
    channel.close()

    got = {m.message["Message-ID"]: m.rcpt_tos for m in sink.received}
    assert len(set(ids)) == 8
    assert got == {f"<{pid}>": (to,) for pid, to in zip(ids, recipients, strict=True)}


def test_from_settings_defaults_mailto_to_sender(sink: SmtpSink) -> None:
    settings = Settings(
        _env_file=None,
        smtp_host=sink.host,
        smtp_port=sink.port,
        smtp_security="none",
        smtp_timeout_seconds=5,
        email_from=FROM,
    )
    SmtpChannel.from_settings(settings).send(email(unsubscribe_url=None))
    assert sink.only_message()["List-Unsubscribe"] == f"<mailto:{FROM_ADDR}?subject=unsubscribe>"


def test_rejects_sender_without_address() -> None:
    with pytest.raises(ValueError, match="EMAIL_FROM"):
        SmtpChannel(host="h", port=25, security="none", timeout=1, email_from="Clinic")


def test_mask_address() -> None:
    assert mask_address("marie@example.com") == "m***@example.com"
    assert mask_address("nonsense") == "***"
