"""Authentication-Results as the clinic's server wrote it: which domains passed (pure rules)."""

from __future__ import annotations

import pytest

from scheduler.inbound.sender_auth import passed_domains, sender_authenticated

OURS = "mx.clinic.example"


@pytest.mark.parametrize(
    ("header", "domains"),
    [
        (f"{OURS}; dkim=pass header.d=example.com", {"example.com"}),
        (f"{OURS}; dkim=pass header.i=@Mail.Example.COM", {"mail.example.com"}),
        (f"{OURS}; spf=pass smtp.mailfrom=ana@example.com", {"example.com"}),
        (f"{OURS}; spf=pass smtp.mailfrom=example.com", {"example.com"}),
        (f"{OURS}; dmarc=pass (p=none) header.from=example.com", {"example.com"}),
        (f"{OURS} 1; dkim = pass (good sig) header.d = example.com", {"example.com"}),
        (f'"{OURS}"; dkim=pass reason="a;b" header.d=example.com', {"example.com"}),
        (
            f"{OURS}; dkim=fail header.d=example.com; spf=softfail smtp.mailfrom=x@example.com",
            set(),
        ),
        (f"{OURS}; none", set()),
        (
            f"{OURS}; dkim=neutral header.d=example.com; dkim=pass header.d=other.example",
            {"other.example"},
        ),
        (f"(comment; dkim=pass header.d=example.com) {OURS}; spf=fail", set()),
        ("mx.elsewhere.example; dkim=pass header.d=example.com", set()),
        (f"{OURS}.evil.example; dkim=pass header.d=example.com", set()),
        ("", set()),
        (";;;", set()),
    ],
)
def test_passed_domains(header: str, domains: set[str]) -> None:
    assert passed_domains(header, OURS) == domains


def test_an_empty_authserv_id_trusts_no_header() -> None:
    assert passed_domains("; dkim=pass header.d=example.com", "") == frozenset()
    assert passed_domains("x; dkim=pass header.d=example.com", "") == frozenset()


@pytest.mark.parametrize(
    ("headers", "sender", "expected"),
    [
        ([f"{OURS}; dkim=pass header.d=example.com"], "ana@example.com", True),
        ([f"{OURS}; dkim=pass header.d=example.com"], "ana@EXAMPLE.com", True),
        # A subdomain or a parent is another domain: alignment is exact.
        ([f"{OURS}; dkim=pass header.d=example.com"], "ana@mail.example.com", False),
        ([f"{OURS}; dkim=pass header.d=mail.example.com"], "ana@example.com", False),
        # Only the topmost header counts, even when a lower one (the sender's) passes.
        (
            [f"{OURS}; dkim=fail header.d=example.com", f"{OURS}; dkim=pass header.d=example.com"],
            "ana@example.com",
            False,
        ),
        (
            ["relay.example; dkim=pass header.d=example.com", f"{OURS}; dkim=pass header.d=x"],
            "ana@example.com",
            False,
        ),
        ([], "ana@example.com", False),
        ([f"{OURS}; dkim=pass header.d=example.com"], "not an address", False),
    ],
)
def test_sender_authenticated(headers: list[str], sender: str, expected: bool) -> None:
    assert sender_authenticated(headers, sender, OURS) is expected
