"""What the benchmarks changed in scheduler/: early reports looked up many SIDs at a time,
`finish()` with reusable statements, a treatment's messages found by treatment (SQLite, PG)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, update
from sqlmodel import Session, col, select

from models import EarlyDeliveryReport, OutboundMessage, OutboxStatus
from models.db import session_scope
from scheduler.outbound.claims import claim_batch, finish
from scheduler.outbound.delivery_reports import replay_early_reports_for
from scheduler.settings import Settings
from scheduler.staff.queries import MessageFilter, list_messages
from tests.support.dispatch import DAY1, register, rows


@pytest.fixture
def database_url(each_database_url: str) -> str:
    return each_database_url


def sid(row_id: int) -> str:
    return f"SM{row_id:032x}"


def mark_sent(engine: Engine, ids: list[int]) -> None:
    with engine.begin() as conn:
        for row_id in ids:
            conn.execute(
                update(OutboundMessage)
                .where(col(OutboundMessage.id) == row_id)
                .values(status=OutboxStatus.SENT, provider_id=sid(row_id), sent_at=DAY1)
            )


def keep_early(engine: Engine, provider_id: str, status: str) -> None:
    with session_scope(engine) as session:
        session.add(EarlyDeliveryReport(provider_id=provider_id, status=status, received_at=DAY1))


def test_only_the_sids_with_early_reports_are_replayed_and_others_are_kept(
    engine: Engine, settings: Settings
) -> None:
    register(engine, settings, count=2)
    ids = [row.id for row in rows(engine) if row.id is not None]
    mark_sent(engine, ids)
    keep_early(engine, sid(ids[1]), "delivered")
    keep_early(engine, sid(ids[4]), "undelivered")
    keep_early(engine, "SM" + "f" * 32, "delivered")  # its message was never recorded

    # ids[4] has a report but is not in this batch: it waits for its own lookup.
    applied = replay_early_reports_for(engine, [sid(i) for i in ids[:4]], now=DAY1)

    assert applied == 1
    by_id = {row.id: row for row in rows(engine)}
    assert (by_id[ids[1]].status, by_id[ids[1]].delivery_status) == ("delivered", "delivered")
    assert by_id[ids[4]].delivery_status is None
    assert all(by_id[i].delivery_status is None for i in (ids[0], ids[2], ids[3]))
    with Session(engine) as session:
        left = sorted(r.provider_id for r in session.exec(select(EarlyDeliveryReport)))
    assert left == sorted([sid(ids[4]), "SM" + "f" * 32])


def test_a_lookup_larger_than_one_query_chunk_finds_reports_in_every_chunk(
    engine: Engine, settings: Settings
) -> None:
    register(engine, settings, count=1)
    [first, *_] = [row.id for row in rows(engine) if row.id is not None]
    mark_sent(engine, [first])
    keep_early(engine, sid(first), "delivered")
    # 1,200 SIDs, the real one last: found only if the third chunk of 500 is queried too.
    unknown = [f"SMnone{i:026d}" for i in range(1_199)]

    assert replay_early_reports_for(engine, [*unknown, sid(first)], now=DAY1) == 1
    assert replay_early_reports_for(engine, [], now=DAY1) == 0
    assert next(r for r in rows(engine) if r.id == first).delivery_status == "delivered"


def test_finish_records_each_outcome_shape_and_only_under_its_own_claim(
    engine: Engine, settings: Settings
) -> None:
    register(engine, settings, count=1)
    token, claimed = claim_batch(engine, now=DAY1 + timedelta(days=30), limit=3)
    assert len(claimed) == 3
    later = DAY1 + timedelta(hours=1)

    assert finish(
        engine,
        claimed[0],
        token,
        status=OutboxStatus.SENT,
        provider_id="SMa",
        sent_at=later,
        attempts=1,
        updated_at=later,
    )
    assert finish(
        engine,
        claimed[1],
        token,
        status=OutboxStatus.PENDING,
        next_attempt_at=later,
        error_code="timeout",
        last_error="t",
        updated_at=later,
    )
    # The same set of columns again (the cached statement), with other values.
    assert finish(
        engine,
        claimed[2],
        token,
        status=OutboxStatus.SENT,
        provider_id="SMc",
        sent_at=DAY1,
        attempts=2,
        updated_at=DAY1,
    )
    # Not ours any more: the row is no longer `sending` under this token.
    assert not finish(engine, claimed[0], token, status=OutboxStatus.FAILED, updated_at=later)
    assert not finish(
        engine, claimed[1], "other-token", status=OutboxStatus.FAILED, updated_at=later
    )

    by_id = {row.id: row for row in rows(engine)}
    first, second, third = (by_id[i] for i in claimed)
    assert (first.status, first.provider_id, first.sent_at, first.attempts) == (
        "sent",
        "SMa",
        later,
        1,
    )
    assert first.claim_token is None
    assert (second.status, second.next_attempt_at, second.error_code) == (
        "pending",
        later,
        "timeout",
    )
    assert (third.status, third.provider_id, third.sent_at, third.attempts) == (
        "sent",
        "SMc",
        DAY1,
        2,
    )


def test_a_treatments_messages_by_status_are_found_by_treatment_not_by_status_index(
    engine: Engine, settings: Settings
) -> None:
    treatment_ids = register(engine, settings, count=3)
    seen: list[tuple[str, Any]] = []

    def capture(_c: object, _cur: object, statement: str, params: Any, *_: object) -> None:
        if "FROM outbound_message" in statement:
            seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        with Session(engine) as session:
            filters = MessageFilter(statuses=("pending",), treatment_id=treatment_ids[1])
            found = list_messages(session, filters).items
    finally:
        event.remove(engine, "before_cursor_execute", capture)

    assert [m.message.treatment_id for m in found] == [treatment_ids[1]] * 3
    assert all(m.message.status == "pending" for m in found)
    if engine.dialect.name == "sqlite":
        assert len(seen) == 2  # the page and its total
        for statement, params in seen:
            with engine.connect() as conn:
                plan = " / ".join(
                    str(row[3])
                    for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)
                )
            # The (status, due_at) index would walk every pending row of every treatment.
            assert "ix_outbound_status_due" not in plan, plan
            assert "treatment_id" in plan, plan
