"""Outbox claims: one conditional UPDATE takes a batch, so two passes never take the same row."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Engine, literal_column, select
from sqlmodel import col

from models import OutboundMessage, OutboxStatus
from models.vocabulary import ErrorCode
from scheduler.outbound import outbox_states
from scheduler.outbound.recovery import AWAITING_CHECK


def claim_batch(engine: Engine, *, now: datetime, limit: int) -> tuple[str, list[int]]:
    """Mark up to `limit` due rows as sending under a fresh token; commit; return their ids."""
    token = uuid.uuid4().hex
    due = (
        select(col(OutboundMessage.id))
        .where(
            col(OutboundMessage.status) == OutboxStatus.PENDING,
            col(OutboundMessage.next_attempt_at) <= now,
        )
        .order_by(col(OutboundMessage.next_attempt_at))
        .limit(limit)
    )
    status_term: ColumnElement[str] | None = None
    if engine.dialect.name == "postgresql":
        # SKIP LOCKED: concurrent passes skip each other's rows instead of queueing behind them.
        # MATERIALIZED: as a plain IN (subquery) the planner may rescan it once per outer row,
        # and each rescan skips the rows just updated and locks the next `limit` ones: the
        # claim then took the whole backlog (25 rows for a limit of 10, on a fresh table).
        picked = due.with_for_update(skip_locked=True).cte("due").prefix_with("MATERIALIZED")
        target: ColumnElement[bool] = col(OutboundMessage.id) == picked.c.id
    else:
        target = col(OutboundMessage.id).in_(due.scalar_subquery())
        if engine.dialect.name == "sqlite":
            # SQLite keeps no planner statistics and would serve the re-check from the status
            # index, walking every pending row (bench/README.md). A unary + is SQLite's way to
            # keep a term off an index: the rows are then found by id.
            status_term = literal_column("+status")
    claim = (
        outbox_states.move([OutboxStatus.PENDING], OutboxStatus.SENDING, status_term=status_term)
        .where(target)
        .values(claim_token=token, claimed_at=now, updated_at=now)
        .returning(col(OutboundMessage.id))
    )
    with engine.begin() as connection:
        ids = [row_id for row_id in connection.execute(claim).scalars() if row_id is not None]
    return token, sorted(ids)


def finish(engine: Engine, row_id: int, token: str, **values: Any) -> bool:
    """Record an outcome, only if the row is still ours (guards against a recovered claim)."""
    if "status" in values:
        outbox_states.finish_from_sending(values["status"])
    params = {"finish_id": row_id, "finish_token": token}
    params.update((f"finish_{key}", value) for key, value in values.items())
    with engine.begin() as connection:
        statement = outbox_states.finish_statement(tuple(sorted(values)))
        return bool(connection.execute(statement, params).rowcount)


def recover_stale(engine: Engine, *, now: datetime, timeout: timedelta) -> int:
    """Put claims left by a crashed process back in the queue, marked interrupted.

    The provider may or may not have taken the message: the pass that takes it again asks the
    channel to check first, or fails it for staff when the channel cannot (outbound.recovery).
    """
    stmt = (
        outbox_states.move([OutboxStatus.SENDING], OutboxStatus.PENDING)
        .where(col(OutboundMessage.claimed_at) < now - timeout)
        .values(
            claim_token=None,
            next_attempt_at=now,
            error_code=ErrorCode.INTERRUPTED,
            last_error=AWAITING_CHECK,
            updated_at=now,
        )
    )
    with engine.begin() as connection:
        return int(connection.execute(stmt).rowcount)
