"""The one owner of an outbox row's status: every change goes through this table of transitions.

    pending ──claim──► sending ──► sent ──► delivered / undelivered / failed (provider report)
       │                  ├──► pending (retry later, deferred to the window, released, recovered)
       │                  └──► failed / expired / cancelled (re-checked at claim time)
       └──► cancelled (treatment cancelled, opt-out) ◄── START revives still-useful ones
    failed / undelivered / expired ──resend──► pending

A forbidden change is a programming error: `ForbiddenTransition` is raised before any SQL runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache

from sqlalchemy import ColumnElement, Update, bindparam, update
from sqlmodel import col

from models import OutboundMessage
from models.vocabulary import OutboxStatus as S

TRANSITIONS: Mapping[S, frozenset[S]] = {
    S.PENDING: frozenset({S.SENDING, S.CANCELLED}),
    S.SENDING: frozenset({S.SENT, S.PENDING, S.FAILED, S.EXPIRED, S.CANCELLED}),
    S.SENT: frozenset({S.DELIVERED, S.UNDELIVERED, S.FAILED}),
    # A late positive receipt beats an earlier failure report (carriers send late DLRs).
    S.UNDELIVERED: frozenset({S.DELIVERED, S.PENDING}),
    S.FAILED: frozenset({S.DELIVERED, S.PENDING}),
    S.DELIVERED: frozenset(),
    S.EXPIRED: frozenset({S.PENDING}),
    S.CANCELLED: frozenset({S.PENDING}),
}
# What a row may be written as when it is created: born cancelled for an opted-out patient,
# expired when registered after the step's useful life.
BORN = frozenset({S.PENDING, S.CANCELLED, S.EXPIRED})


class ForbiddenTransition(ValueError):
    """A status change the outbox does not allow (a bug in the caller)."""


def allowed(current: str, new: str) -> bool:
    """Whether a row in `current` may move to `new` (staying put is always allowed)."""
    return current == new or S(new) in TRANSITIONS[S(current)]


def check(current: str, new: str) -> None:
    if not allowed(current, new):
        raise ForbiddenTransition(f"outbox status {current} -> {new} is not allowed")


def born(status: S) -> S:
    """The status a new row is written with, checked against BORN."""
    if status not in BORN:
        raise ForbiddenTransition(f"an outbox row cannot be created {status}")
    return status


def move(sources: Iterable[S], new: S, *, status_term: ColumnElement[str] | None = None) -> Update:
    """`UPDATE outbound_message SET status = new WHERE status IN sources`, every source checked.

    Callers add their own conditions and values; the status condition makes the write lose to
    a concurrent change instead of overwriting it. `status_term` replaces the status column in
    that condition (SQLite's `+status` keeps a term off the status index, see claims).
    """
    froms = sorted(set(sources))
    for source in froms:
        check(source, new)
    status = status_term if status_term is not None else col(OutboundMessage.status)
    condition = status == froms[0] if len(froms) == 1 else status.in_(froms)
    return update(OutboundMessage).where(condition).values(status=new)


def set_status(row: OutboundMessage, new: S) -> None:
    """Change a loaded row's status (the session writes it), checked like `move`."""
    check(row.status, new)
    row.status = new


def finish_from_sending(new: S) -> None:
    """Check an outcome written by `claims.finish` (a claimed row always starts at sending)."""
    check(S.SENDING, new)


@lru_cache(maxsize=64)
def finish_statement(keys: tuple[str, ...]) -> Update:
    """The UPDATE that records a claimed row's outcome, if it is still ours; built once per set
    of columns, because building it per message was measurable (bench/README.md)."""
    return (
        update(OutboundMessage)
        .where(
            col(OutboundMessage.id) == bindparam("finish_id"),
            col(OutboundMessage.claim_token) == bindparam("finish_token"),
            col(OutboundMessage.status) == S.SENDING,
        )
        .values(claim_token=None, **{key: bindparam(f"finish_{key}") for key in keys})
    )
