"""Retention on a simulated clock: content older than RETENTION_DAYS is erased, in batches,
by the daily job; recent patients, open alerts and a dry run are left alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import Alert, InboundMessage, Patient, ReplyMedia
from models.db import session_scope
from models.vocabulary import MediaStatus, Medium
from scheduler.clock import SimulatedClock
from scheduler.inbound.photo_images import process_photo
from scheduler.inbound.replies import IncomingReply, receive_reply
from scheduler.privacy.patient_data import ERASED
from scheduler.privacy.retention import RetentionJob, add_retention_job, run_retention
from scheduler.settings import Settings
from tests.support import photos
from tests.support.privacy import NEEDLES, build_story, register, where_found
from tests.support.settings import make_settings

START = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
DAYS = 730


@pytest.fixture
def database_url(each_database_url: str) -> str:
    return each_database_url


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(START)


def erased(engine: Engine) -> set[int]:
    with Session(engine) as session:
        rows = session.exec(select(Patient.id).where(col(Patient.erased_at).is_not(None)))
        return {int(i) for i in rows if i is not None}


def no_sleep(_seconds: float) -> None:
    pass


def test_nothing_before_the_retention_period_everything_after(
    engine: Engine, settings: Settings, clock: SimulatedClock
) -> None:
    story = build_story(engine, settings, clock())
    # Her last message (day 7) is due five days after START: two years from then, not before.
    clock.advance(timedelta(days=DAYS))
    report = run_retention(engine, days=DAYS, now=clock(), sleep=no_sleep)
    assert report.patients == [] and erased(engine) == set()
    clock.advance(timedelta(days=6))
    report = run_retention(engine, days=DAYS, now=clock(), sleep=no_sleep)
    assert report.patients == [story.zoe, story.bob]
    assert erased(engine) == {story.zoe, story.bob}
    assert where_found(engine) == []


def test_a_recent_reply_keeps_a_patient(
    engine: Engine, settings: Settings, clock: SimulatedClock
) -> None:
    story = build_story(engine, settings, clock())
    clock.advance(timedelta(days=DAYS - 10))
    with Session(engine) as session:
        reply = IncomingReply(Medium.SMS, "+16135550190", "all healed, thanks", "SMbob-late")
        receive_reply(session, settings, reply, now=clock())
    clock.advance(timedelta(days=30))
    report = run_retention(engine, days=DAYS, now=clock(), sleep=no_sleep)
    assert report.patients == [story.zoe]
    assert erased(engine) == {story.zoe}


def test_an_open_alert_waits(engine: Engine, settings: Settings, clock: SimulatedClock) -> None:
    story = build_story(engine, settings, clock())
    with session_scope(engine) as session:
        alert = session.get(Alert, story.alert)
        assert alert is not None
        alert.status = "escalated"
        session.add(alert)
    clock.advance(timedelta(days=DAYS + 30))
    report = run_retention(engine, days=DAYS, now=clock(), sleep=no_sleep)
    assert report.patients == [story.bob]
    assert {n for _t, _c, n in where_found(engine)} == set(NEEDLES)


def test_a_dry_run_says_what_it_would_do_and_does_nothing(
    engine: Engine, settings: Settings, clock: SimulatedClock
) -> None:
    story = build_story(engine, settings, clock())
    with Session(engine) as session:
        stranger = IncomingReply(Medium.SMS, "+16135550999", "who is this", "SMstranger")
        receive_reply(session, settings, stranger, now=clock())
    clock.advance(timedelta(days=DAYS + 30))
    report = run_retention(engine, days=DAYS, now=clock(), dry_run=True, sleep=no_sleep)
    assert (report.patients, report.strangers) == ([story.zoe, story.bob], 1)
    assert "would erase 2 patient(s) and 1 reply(ies)" in report.summary()
    assert erased(engine) == set()
    report = run_retention(engine, days=DAYS, now=clock(), sleep=no_sleep)
    assert report.strangers == 1
    with Session(engine) as session:
        bodies = session.exec(select(InboundMessage.body, InboundMessage.from_address)).all()
    assert set(bodies) == {(ERASED, ERASED)}


def test_batches_with_a_pause_between_them(
    engine: Engine, settings: Settings, clock: SimulatedClock
) -> None:
    with session_scope(engine) as session:
        for n in range(5):
            register(session, settings, clock(), name=f"Patient {n}", phone=f"613-555-01{n:02d}")
    clock.advance(timedelta(days=DAYS + 30))
    pauses: list[float] = []
    report = run_retention(
        engine, days=DAYS, now=clock(), batch_size=2, pause=0.5, sleep=pauses.append
    )
    assert len(report.patients) == 5 and report.batches == 3
    assert pauses == [0.5, 0.5]  # between batches, not after the last
    assert len(erased(engine)) == 5


def test_the_daily_job(database_url: str, engine: Engine, clock: SimulatedClock) -> None:
    settings = make_settings(database_url, retention_days=30)
    with session_scope(engine) as session:
        register(session, settings, clock(), name="Old Patient", phone="613-555-0150")
    clock.advance(timedelta(days=60))
    report = RetentionJob(engine, settings, clock)()
    assert report is not None and len(report.patients) == 1
    off = make_settings(database_url, retention_days=0)
    assert RetentionJob(engine, off, clock)() is None

    scheduler = BackgroundScheduler(timezone=UTC)
    add_retention_job(scheduler, engine, settings, clock)
    job = scheduler.get_job("retention")
    assert job is not None and "hour='3', minute='30'" in str(job.trigger)
    assert str(job.trigger.timezone) == "America/Toronto"
    empty = BackgroundScheduler(timezone=UTC)
    add_retention_job(empty, engine, off, clock)
    assert empty.get_jobs() == []


def test_photos_go_with_the_patient_and_with_a_strangers_reply(
    engine: Engine, settings: Settings, clock: SimulatedClock
) -> None:
    build_story(engine, settings, clock())
    with Session(engine) as session:
        stranger = IncomingReply(
            Medium.EMAIL,
            "someone@example.net",
            "",
            "<stranger-photo@example.net>",
            photos=(process_photo(photos.png(), max_bytes=10_000_000),),
        )
        receive_reply(session, settings, stranger, now=clock())
    with Session(engine) as session:
        kept = session.exec(select(ReplyMedia).where(col(ReplyMedia.data).is_not(None))).all()
    assert len(kept) == 2  # Zoé's email photo, and the stranger's
    clock.advance(timedelta(days=DAYS + 6))
    run_retention(engine, days=DAYS, now=clock(), sleep=no_sleep)
    with Session(engine) as session:
        rows = session.exec(select(ReplyMedia)).all()
    assert {(r.status, r.data, r.thumbnail) for r in rows} == {(MediaStatus.ERASED, None, None)}
