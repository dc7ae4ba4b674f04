"""What the inbound tests share: one Dovecot server per test module (each test uses a folder)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.imap_server import DovecotServer


@pytest.fixture(scope="module")
def dovecot() -> Iterator[DovecotServer]:
    with DovecotServer() as server:
        yield server
