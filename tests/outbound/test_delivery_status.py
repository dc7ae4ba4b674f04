"""Table-driven tests of the status-callback ordering and mapping rules."""

from __future__ import annotations

import pytest

from scheduler.outbound.delivery_status import outbox_status_for, should_apply, status_rank

LIFECYCLE = ["accepted", "scheduled", "queued", "sending", "sent", "delivered", "read"]

APPLY_CASES: list[tuple[str | None, str, bool]] = [
    (None, "queued", True),
    (None, "delivered", True),
    ("queued", "sent", True),
    ("sent", "delivered", True),
    ("delivered", "read", True),
    ("sent", "undelivered", True),
    ("sending", "failed", True),
    ("sent", "sent", False),  # duplicate callback
    ("delivered", "sent", False),  # late, older state
    ("sent", "queued", False),
    ("delivered", "undelivered", False),  # a failure never overwrites a delivery
    ("delivered", "failed", False),
    ("read", "delivered", False),
    ("undelivered", "delivered", True),  # a late positive receipt wins
    ("failed", "delivered", True),
    ("failed", "undelivered", False),  # first terminal failure stands
    ("undelivered", "failed", False),
    ("scheduled", "canceled", True),
    (None, "received", False),  # inbound statuses never touch an outbound row
    ("sent", "receiving", False),
    ("sent", "bogus", False),
    ("SENT", " Delivered ", True),  # case and whitespace tolerated
    ("unknown-to-us", "queued", True),
]


@pytest.mark.parametrize(("current", "incoming", "expected"), APPLY_CASES)
def test_should_apply(current: str | None, incoming: str, expected: bool) -> None:
    assert should_apply(current, incoming) is expected


def test_lifecycle_ranks_strictly_increase() -> None:
    ranks = [status_rank(s) for s in LIFECYCLE]
    assert ranks == sorted(ranks) and len(set(ranks)) == len(ranks) and ranks[0] > 0


@pytest.mark.parametrize(
    ("twilio", "ours"),
    [
        ("accepted", "sent"),
        ("scheduled", "sent"),
        ("queued", "sent"),
        ("sending", "sent"),
        ("sent", "sent"),
        ("delivered", "delivered"),
        ("read", "delivered"),
        ("undelivered", "undelivered"),
        ("failed", "failed"),
        ("canceled", "failed"),
        ("receiving", None),
        ("received", None),
        ("nonsense", None),
        ("DELIVERED", "delivered"),
    ],
)
def test_outbox_status_for(twilio: str, ours: str | None) -> None:
    assert outbox_status_for(twilio) == ours
