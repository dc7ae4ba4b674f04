"""The outbox's one owner of statuses: the transition table, and nobody writing around it."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from itertools import product

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from models import OutboundMessage
from models.vocabulary import OutboxStatus as S
from scheduler.outbound import claims, outbox_states
from scheduler.outbound.outbox_states import TRANSITIONS, ForbiddenTransition, allowed, move
from scheduler.settings import Settings
from tests.support.dispatch import register
from tests.support.paths import REPO

# The lifecycle as the product describes it, written out independently of the module's table.
EXPECTED = {
    (S.PENDING, S.SENDING),  # claimed by a pass
    (S.PENDING, S.CANCELLED),  # treatment cancelled, patient opted out
    (S.SENDING, S.SENT),
    (S.SENDING, S.PENDING),  # retry, deferred to the window, released at shutdown, recovered
    (S.SENDING, S.FAILED),
    (S.SENDING, S.EXPIRED),
    (S.SENDING, S.CANCELLED),
    (S.SENT, S.DELIVERED),
    (S.SENT, S.UNDELIVERED),
    (S.SENT, S.FAILED),
    (S.UNDELIVERED, S.DELIVERED),  # a late positive receipt
    (S.FAILED, S.DELIVERED),
    (S.UNDELIVERED, S.PENDING),  # resend
    (S.FAILED, S.PENDING),
    (S.EXPIRED, S.PENDING),
    (S.CANCELLED, S.PENDING),  # START revives
}


def test_every_status_has_a_row() -> None:
    assert set(TRANSITIONS) == set(S)


@pytest.mark.parametrize(("current", "new"), list(product(S, S)))
def test_the_table_allows_exactly_the_lifecycle(current: S, new: S) -> None:
    expected = current == new or (current, new) in EXPECTED
    assert allowed(current, new) is expected
    if not expected:
        with pytest.raises(ForbiddenTransition):
            move([current], new)


def test_delivered_is_final_and_a_row_is_never_born_sending() -> None:
    assert not TRANSITIONS[S.DELIVERED]
    with pytest.raises(ForbiddenTransition):
        outbox_states.born(S.SENDING)
    assert outbox_states.born(S.PENDING) is S.PENDING


def test_finish_refuses_a_forbidden_outcome_before_writing(engine: Engine) -> None:
    # A claimed row can become sent, never delivered directly: no SQL runs.
    with pytest.raises(ForbiddenTransition, match="sending -> delivered"):
        claims.finish(engine, 1, "token", status=S.DELIVERED)


def test_set_status_checks_the_loaded_row() -> None:
    moment = datetime(2026, 11, 25, 15, tzinfo=UTC)
    row = OutboundMessage(
        treatment_id=1,
        step="day1",
        channel="sms",
        due_at=moment,
        expires_at=moment,
        next_attempt_at=moment,
        updated_at=moment,
        status=S.DELIVERED,
    )
    with pytest.raises(ForbiddenTransition):
        outbox_states.set_status(row, S.PENDING)
    assert row.status == S.DELIVERED


def test_a_move_only_touches_rows_in_its_source_states(engine: Engine, settings: Settings) -> None:
    register(engine, settings)  # three pending rows
    with Session(engine) as session:
        untouched = session.execute(move([S.FAILED], S.PENDING))
        cancelled = session.execute(move([S.PENDING], S.CANCELLED))
        session.commit()
    assert (untouched.rowcount, cancelled.rowcount) == (0, 3)  # type: ignore[attr-defined]


def _writes_outbox_status(tree: ast.AST) -> list[int]:
    """Lines that UPDATE outbound_message or assign `.status` on something named like a message."""
    lines = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "update"
            and any(isinstance(a, ast.Name) and a.id == "OutboundMessage" for a in node.args)
        ):
            lines.append(node.lineno)
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if (
                    isinstance(target, ast.Attribute)
                    and target.attr == "status"
                    and isinstance(target.value, ast.Name)
                    and target.value.id in {"row", "message", "outbox", "m"}
                ):
                    lines.append(node.lineno)
    return sorted(lines)


def test_no_module_writes_an_outbox_status_around_the_table() -> None:
    owner = REPO / "scheduler/outbound/outbox_states.py"
    offenders = {
        str(path.relative_to(REPO)): lines
        for path in sorted((REPO / "scheduler").rglob("*.py"))
        if path != owner and (lines := _writes_outbox_status(ast.parse(path.read_text())))
    }
    assert offenders == {}


def test_the_scan_would_see_a_write() -> None:
    sample = "update(OutboundMessage).values(status='sent')\nrow.status = 'sent'\n"
    assert _writes_outbox_status(ast.parse(sample)) == [1, 2]
