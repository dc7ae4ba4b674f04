"""Signed opt-out tokens: round trip, tampering, wrong secret, garbage, URL shape."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from urllib.parse import quote

import pytest

from scheduler.outbound.unsubscribe_tokens import make_token, read_token, unsubscribe_url

SECRET = "test-secret-3f1c9a"


@pytest.mark.parametrize("patient_id", [0, 1, 42, 987_654_321, 10**19 - 1])
def test_round_trip(patient_id: int) -> None:
    token = make_token(SECRET, patient_id)
    assert read_token(SECRET, token) == patient_id
    assert make_token(SECRET, patient_id) == token  # deterministic: links stay stable


def test_token_is_short_and_url_safe() -> None:
    token = make_token(SECRET, 123456)
    assert quote(token, safe="") == token
    assert re.fullmatch(r"[A-Za-z0-9._-]+", token) and len(token) <= 45


def test_tampered_tokens_are_rejected() -> None:
    token = make_token(SECRET, 42)
    text, mac = token.split(".")
    assert read_token(SECRET, f"43.{mac}") is None  # someone else's id, our signature
    assert read_token(SECRET, f"{text}.{make_token(SECRET, 43).split('.')[1]}") is None
    for i in range(len(mac)):  # every single-character change of the MAC
        flipped = mac[:i] + ("A" if mac[i] != "A" else "B") + mac[i + 1 :]
        assert read_token(SECRET, f"{text}.{flipped}") is None
    assert read_token(SECRET, token[:-1]) is None
    assert read_token(SECRET, token + "A") is None


def test_wrong_secret_is_rejected() -> None:
    assert read_token("another-secret", make_token(SECRET, 42)) is None


def test_a_mac_made_for_another_purpose_does_not_verify() -> None:
    # A plain HMAC of the id (as another feature might compute with SECRET_KEY) is not a token.
    raw = hmac.new(SECRET.encode(), b"42", hashlib.sha256).digest()[:16]
    forged = "42." + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    assert read_token(SECRET, forged) is None


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "abc",
        "42",
        "42.",
        ".abc",
        "1.2.3",
        "-1.AAAAAAAAAAAAAAAAAAAAAA",
        "٤٢.AAAAAAAAAAAAAAAAAAAAAA",  # non-ASCII digits
        "A" * 5000,
    ],
)
def test_garbage_is_rejected(garbage: str) -> None:
    assert read_token(SECRET, garbage) is None


def test_non_canonical_forms_of_a_valid_token_are_rejected() -> None:
    token = make_token(SECRET, 42)
    for variant in (f"0{token}", f" {token}", f"{token}\n", f"{token}=", token.replace(".", "%2E")):
        assert read_token(SECRET, variant) is None


def test_refuses_empty_secret_and_bad_ids() -> None:
    with pytest.raises(ValueError):
        make_token("", 1)
    with pytest.raises(ValueError):
        make_token(SECRET, -1)


def test_unsubscribe_url() -> None:
    token = make_token(SECRET, 42)
    assert unsubscribe_url("https://clinic.example", SECRET, 42) == (
        f"https://clinic.example/unsubscribe/{token}"
    )
    assert unsubscribe_url("https://clinic.example/", SECRET, 42).count("//") == 1
