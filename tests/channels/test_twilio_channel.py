"""TwilioChannel through the real SDK and real HTTP against the fake Twilio server."""

from __future__ import annotations

import logging
import re
import socket
import time
import traceback
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from models.vocabulary import Medium
from scheduler.channels.base import DeliveryError, ErrorKind, OutgoingMessage
from scheduler.channels.twilio_sms import TwilioChannel, parse_retry_after
from scheduler.contacts import mask_phone
from scheduler.settings import Settings
from tests.fakes.twilio_server import FakeTwilio, FaultMode

ACCOUNT = "AC" + "1f" * 16
TOKEN = "tok_3c9d1e0f5a7b4c2d"
FROM = "+16135550100"
TO = "+15145550123"
CALLBACK = "https://clinic.example/webhooks/twilio/status"


def sms(to: str = TO, text: str = "Day 1: how are you feeling?") -> OutgoingMessage:
    return OutgoingMessage(outbox_id=1, medium=Medium.SMS, to=to, text=text)


@pytest.fixture
def tw() -> Iterator[FakeTwilio]:
    with FakeTwilio(account_sid=ACCOUNT, auth_token=TOKEN) as server:
        yield server


def make_channel(tw: FakeTwilio, **overrides: object) -> TwilioChannel:
    options: dict[str, object] = {
        "account_sid": ACCOUNT,
        "auth_token": TOKEN,
        "from_number": FROM,
        "api_base": tw.base_url,
        "status_callback_url": CALLBACK,
        "timeout": 2.0,
    } | overrides
    return TwilioChannel(**options)  # type: ignore[arg-type]


@pytest.fixture
def channel(tw: FakeTwilio) -> Iterator[TwilioChannel]:
    ch = make_channel(tw)
    yield ch
    ch.close()


def send_error(channel: TwilioChannel, message: OutgoingMessage | None = None) -> DeliveryError:
    with pytest.raises(DeliveryError) as info:
        channel.send(message or sms())
    return info.value


def test_send_returns_sid_and_server_saw_the_message(
    tw: FakeTwilio, channel: TwilioChannel
) -> None:
    sid = channel.send(sms())
    assert re.fullmatch(r"SM[0-9a-f]{32}", sid)
    [seen] = tw.requests
    assert seen.auth_ok and seen.status == 201
    assert seen.path == f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
    assert seen.params == {
        "To": TO,
        "Body": "Day 1: how are you feeling?",
        "From": FROM,
        "StatusCallback": CALLBACK,
    }
    assert tw.messages[sid]["status"] == "queued"


def test_submit_reports_segments(channel: TwilioChannel) -> None:
    receipt = channel.submit(sms(text="a" * 200))
    assert (receipt.num_segments, receipt.status) == (2, "queued")


def test_messaging_service_variant_and_no_callback(tw: FakeTwilio) -> None:
    ch = make_channel(tw, from_number="", messaging_service_sid="MG" + "2" * 32)
    ch2 = make_channel(tw, status_callback_url=None)
    try:
        receipt = ch.submit(sms())
        ch2.send(sms())
    finally:
        ch.close()
        ch2.close()
    assert (receipt.num_segments, receipt.status) == (0, "accepted")
    first, second = tw.requests
    assert first.params["MessagingServiceSid"] == "MG" + "2" * 32 and "From" not in first.params
    assert "StatusCallback" not in second.params


@pytest.mark.parametrize(
    ("mode", "kind", "code"),
    [
        ("21610", ErrorKind.OPTED_OUT, "21610"),
        ("21211", ErrorKind.PERMANENT, "21211"),
        ("21614", ErrorKind.PERMANENT, "21614"),
        ("500", ErrorKind.TRANSIENT, "20500"),
        ("429", ErrorKind.TRANSIENT, "20429"),
    ],
)
def test_faults_map_to_delivery_errors(
    tw: FakeTwilio, channel: TwilioChannel, mode: FaultMode, kind: ErrorKind, code: str
) -> None:
    tw.fail_next(1, mode)
    err = send_error(channel)
    assert (err.kind, err.code) == (kind, code)
    assert channel.send(sms())  # the queued fault was used up


def test_429_carries_retry_after_from_header(tw: FakeTwilio, channel: TwilioChannel) -> None:
    tw.retry_after = "7"
    tw.fail_next(1, "429")
    assert send_error(channel).retry_after == 7.0
    tw.retry_after = None
    tw.fail_next(1, "429")
    assert send_error(channel).retry_after is None


def test_per_recipient_rule_only_hits_that_recipient(
    tw: FakeTwilio, channel: TwilioChannel
) -> None:
    tw.rules["+15145550199"] = "21610"
    assert send_error(channel, sms(to="+15145550199")).kind is ErrorKind.OPTED_OUT
    assert channel.send(sms())


def test_slow_answer_times_out_as_transient(tw: FakeTwilio) -> None:
    tw.slow_seconds = 2.0
    tw.fail_next(1, "slow")
    ch = make_channel(tw, timeout=0.2)
    started = time.monotonic()
    err = send_error(ch)
    ch.close()
    assert (err.kind, err.code) == (ErrorKind.TRANSIENT, "read-timeout")
    assert time.monotonic() - started < 1.5


def test_refused_connection_is_transient() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ch = TwilioChannel(
        account_sid=ACCOUNT,
        auth_token=TOKEN,
        from_number=FROM,
        api_base=f"http://127.0.0.1:{port}",
        status_callback_url=None,
    )
    err = send_error(ch)
    ch.close()
    assert (err.kind, err.code) == (ErrorKind.TRANSIENT, "connection")


def test_wrong_token_is_transient_not_permanent(tw: FakeTwilio) -> None:
    # Decision: bad credentials break every send, so retry (bounded by max_attempts)
    # rather than permanently failing each queued message.
    ch = make_channel(tw, auth_token="wrong-token")
    err = send_error(ch)
    ch.close()
    assert (err.kind, err.code) == (ErrorKind.UNAVAILABLE, "20003")
    assert tw.requests[0].auth_ok is False


def test_no_phone_number_or_token_in_errors_or_logs(
    tw: FakeTwilio, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="twilio.http_client")
    ch = make_channel(tw, timeout=0.2)
    tw.slow_seconds = 1.0
    ch.send(sms())
    errors = []
    for mode in ("21211", "21614", "21610", "429", "500", "slow"):
        tw.fail_next(1, mode)
        errors.append(send_error(ch))
    bad_token = make_channel(tw, auth_token=TOKEN + "x")
    errors.append(send_error(bad_token))
    bad_token.close()
    ch.close()
    assert mask_phone(TO) in str(errors[0])  # the number is masked, not dropped
    texts = [caplog.text] + ["".join(traceback.format_exception(e)) + repr(e.args) for e in errors]
    for text in texts:
        assert TO not in text and TO[2:] not in text and TOKEN not in text
    # The SDK's own request/response logging (URLs, headers) is switched off entirely.
    sdk_logs = [r for r in caplog.records if r.name.startswith(("twilio", "scheduler.channels"))]
    assert sdk_logs == []


def test_concurrent_sends_from_a_thread_pool(tw: FakeTwilio, channel: TwilioChannel) -> None:
    limited = "+15145550177"
    tw.rules[limited] = "429"
    tw.retry_after = "9"

    def attempt(i: int) -> str | float | None:
        try:
            return channel.send(sms(to=limited if i % 2 else TO, text=f"msg {i}"))
        except DeliveryError as exc:
            return exc.retry_after

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(attempt, range(40)))
    sids = results[0::2]
    # Each thread reads its own 429's Retry-After, never a neighbour's 201 headers.
    assert results[1::2] == [9.0] * 20
    assert len(set(sids)) == 20 and set(sids) == set(tw.messages)
    assert len(tw.requests) == 40


def test_closed_channel_and_wrong_medium() -> None:
    ch = TwilioChannel(
        account_sid=ACCOUNT, auth_token=TOKEN, from_number=FROM, status_callback_url=None
    )
    email = OutgoingMessage(outbox_id=2, medium=Medium.EMAIL, to="a@b.example", text="hi")
    assert send_error(ch, email).kind is ErrorKind.PERMANENT
    ch.close()
    assert send_error(ch).code == "closed"
    with pytest.raises(ValueError):
        TwilioChannel(account_sid=ACCOUNT, auth_token=TOKEN, status_callback_url=None)


def test_from_settings_uses_public_callback_url(tw: FakeTwilio) -> None:
    settings = Settings(
        _env_file=None,
        sms_channel="twilio",
        twilio_account_sid=ACCOUNT,
        twilio_auth_token=TOKEN,
        twilio_from_number=FROM,
        twilio_api_base=tw.base_url + "/",
        public_base_url="https://clinic.example/",
    )
    ch = TwilioChannel.from_settings(settings)
    ch.send(sms())
    ch.close()
    assert tw.requests[0].params["StatusCallback"] == CALLBACK


def test_fake_speaks_twilio_wire_format(tw: FakeTwilio, channel: TwilioChannel) -> None:
    sid = channel.send(sms())
    url = f"{tw.base_url}/2010-04-01/Accounts/{ACCOUNT}/Messages"
    got = httpx.get(f"{url}/{sid}.json", auth=(ACCOUNT, TOKEN)).json()
    assert (got["sid"], got["to"], got["num_segments"]) == (sid, TO, "1")
    assert got["date_created"].endswith("+0000")
    bad = httpx.post(f"{url}.json", auth=(ACCOUNT, "nope"), data={"To": TO, "Body": "x"})
    assert bad.status_code == 401 and bad.json()["code"] == 20003
    both = {"To": TO, "Body": "x", "From": FROM, "MessagingServiceSid": "MG1"}
    assert httpx.post(f"{url}.json", auth=(ACCOUNT, TOKEN), data=both).status_code == 400
    no_body = httpx.post(f"{url}.json", auth=(ACCOUNT, TOKEN), data={"To": TO, "From": FROM})
    assert no_body.json() == {
        "code": 21602,
        "message": "Message body is required.",
        "more_info": "https://www.twilio.com/docs/errors/21602",
        "status": 400,
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, None), ("", None), ("3", 3.0), ("1.5", 1.5), ("-4", 0.0), ("soon", None)],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


def test_parse_retry_after_http_date_in_the_past_is_zero() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


def test_mask_phone() -> None:
    assert mask_phone("+1 (514) 555-0123") == "***0123"
    assert mask_phone("7") == "***"
