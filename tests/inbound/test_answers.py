"""Automatic answers: which reply gets which, the safety net in each, and honest urgent answers."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from models import Alert, InboundMessage
from models.db import session_scope
from models.vocabulary import Medium
from scheduler.followups.intake import TreatmentCreate
from scheduler.followups.practitioners import save_practitioner
from scheduler.followups.registration import register_treatment
from scheduler.inbound.answers import ANSWER_KINDS, AnswerKind, answer_kind, is_emergency
from scheduler.inbound.notice_texts import SAMPLE_ANSWER, NoticeRenderer
from scheduler.inbound.replies import IncomingReply, ReplyOutcome, receive_reply
from scheduler.outbound.optout import opt_out_patient
from scheduler.settings import Settings
from tests.support.settings import make_settings

TORONTO = ZoneInfo("America/Toronto")
PERFORMED = datetime(2026, 11, 24, 14, 0, tzinfo=TORONTO)
NOW = datetime(2026, 11, 25, 22, 30, tzinfo=TORONTO)  # a late-evening reply
PATIENT = "+15145550611"
STRANGER = "+15145550999"


@pytest.mark.parametrize(
    ("keyword", "level", "question", "opted_out", "routine_auto", "expected"),
    [
        ("stop", "routine", False, False, False, "stop"),
        ("help", "routine", False, True, False, "help"),
        (None, "urgent", False, False, False, "urgent"),
        (None, "urgent", False, True, False, "urgent"),  # safety answer despite the opt-out
        (None, "concern", True, True, False, "concern"),
        (None, "routine", True, False, False, "question"),
        (None, "routine", True, True, False, None),  # opted out: no courtesy answers
        (None, "routine", False, False, False, None),  # thanks-only: no answer
        (None, "routine", False, False, True, "routine"),
    ],
)
def test_which_answer(
    keyword: str | None,
    level: str,
    question: bool,
    opted_out: bool,
    routine_auto: bool,
    expected: str | None,
) -> None:
    got = answer_kind(
        keyword=keyword,
        level=level,
        question=question,
        opted_out=opted_out,
        routine_auto_reply=routine_auto,
    )
    assert got == expected


SAFETY = {
    "en": ("call 911 now", "811", "urgent care", "613-555-0100"),
    "fr": ("appelez le 911 immédiatement", "811", "Info-Santé 811", "613-555-0100"),
}


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("kind", [k for k in ANSWER_KINDS if k not in ("stop", "start")])
@pytest.mark.parametrize("emergency", [False, True])
def test_every_answer_carries_the_safety_net(
    kind: AnswerKind, language: str, emergency: bool
) -> None:
    text = NoticeRenderer().answer(kind, language, replace(SAMPLE_ANSWER, emergency=emergency))
    for part in SAFETY[language]:
        assert part in text, (kind, language, part)
    # "911 now" is said once: first when the reply named breathing or throat swelling.
    assert text.count("911") == 1
    if emergency:
        assert text.startswith(("Trouble breathing", "Difficulté à respirer"))


@pytest.mark.parametrize(
    ("reasons", "emergency"),
    [
        (("trouble breathing",), True),
        (("swelling of the lips", "fever"), True),
        (("swelling of the throat",), True),
        (("pus", "fever"), False),
        ((), False),
    ],
)
def test_emergency_reasons(reasons: tuple[str, ...], emergency: bool) -> None:
    assert is_emergency(reasons) is emergency


def test_the_clinic_hours_are_the_send_window_unless_set() -> None:
    assert NoticeRenderer().answer("concern", "en", SAMPLE_ANSWER).count("(10:00-19:00)") == 1
    settings = make_settings("sqlite://", clinic_hours="09:00-17:30")
    from scheduler.inbound.answers import answer_context

    assert answer_context(settings).clinic_hours == "09:00-17:30"
    assert answer_context(make_settings("sqlite://")).clinic_hours == "10:00-19:00"


# --- through the reply pipeline, on both databases ---------------------------------------------


@pytest.fixture
def database_url(each_database_url: str) -> str:
    return each_database_url


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url, clinic_hours="09:00-17:00")


@pytest.fixture
def patient(engine: Engine, settings: Settings) -> None:
    with session_scope(engine) as session:
        save_practitioner(session, "Dr Paul Roy", phone="+16135550188", now=PERFORMED)
    request = TreatmentCreate.model_validate(
        {"name": "Ravi Singh", "phone": PATIENT, "practitioner": "Dr Paul Roy"}
    )
    with session_scope(engine) as session:
        register_treatment(session, request, settings=settings, now=PERFORMED)


class Pager:
    """Stands in for AlertNotifier.page_now: records the alert and answers as told."""

    def __init__(self, reached: bool) -> None:
        self.reached = reached
        self.paged: list[int] = []

    def __call__(self, alert_id: int) -> bool:
        self.paged.append(alert_id)
        return self.reached


def receive(
    engine: Engine, settings: Settings, body: str, sid: str, *, sender: str = PATIENT, **kw: object
) -> ReplyOutcome:
    """One SMS through the reply pipeline (the tests using it ask for the `patient` fixture)."""
    reply = IncomingReply(channel=Medium.SMS, from_address=sender, body=body, provider_id=sid)
    with Session(engine, expire_on_commit=False) as session:
        return receive_reply(session, settings, reply, now=NOW, **kw)  # type: ignore[arg-type]


def stored_answer(engine: Engine, inbound_id: int) -> str | None:
    with Session(engine) as session:
        row = session.get(InboundMessage, inbound_id)
        assert row is not None
        return row.auto_reply


@pytest.mark.usefixtures("patient")
def test_an_urgent_answer_says_paged_only_when_the_page_went_out(
    engine: Engine, settings: Settings
) -> None:
    reached = Pager(reached=True)
    paged = receive(engine, settings, "pus and a fever", "SM" + "a1" * 16, pager=reached)
    assert paged.paged and reached.paged == [paged.alert_id]
    assert paged.answer and "has been paged" in paged.answer and "flagged" not in paged.answer
    assert stored_answer(engine, paged.inbound_id) == paged.answer

    failed = Pager(reached=False)
    flagged = receive(engine, settings, "there is pus now", "SM" + "a2" * 16, pager=failed)
    assert failed.paged == [flagged.alert_id] and not flagged.paged
    assert flagged.answer and "has been paged" not in flagged.answer
    assert "flagged your message as urgent" in flagged.answer
    assert "within an hour" in flagged.answer
    assert stored_answer(engine, flagged.inbound_id) == flagged.answer

    # No pager at all (a process that pages nothing itself): flagged, never a false promise.
    alone = receive(engine, settings, "pus and fever", "SM" + "a3" * 16)
    assert alone.answer and "flagged your message as urgent" in alone.answer


@pytest.mark.usefixtures("patient")
def test_the_request_that_pages_holds_the_claim_so_the_job_keeps_off(
    engine: Engine, settings: Settings
) -> None:
    outcome = receive(engine, settings, "pus", "SM" + "b1" * 16, pager=Pager(reached=True))
    with Session(engine) as session:
        alert = session.get(Alert, outcome.alert_id)
    assert alert is not None and alert.notify_claimed_at == NOW and alert.notify_attempts == 1


@pytest.mark.usefixtures("patient")
def test_a_stranger_is_never_paged_but_gets_the_safety_answer(
    engine: Engine, settings: Settings
) -> None:
    pager = Pager(reached=True)
    outcome = receive(
        engine, settings, "I can't breathe", "SM" + "c1" * 16, sender=STRANGER, pager=pager
    )
    assert pager.paged == [] and outcome.alert_id is not None
    assert outcome.answer and outcome.answer.startswith("Trouble breathing")
    assert "flagged" in outcome.answer


@pytest.mark.usefixtures("patient")
def test_breathing_trouble_leads_with_911(engine: Engine, settings: Settings) -> None:
    outcome = receive(engine, settings, "my throat is swelling and it's hard to breathe", "SMd1")
    assert outcome.answer and outcome.answer.startswith(
        "Trouble breathing or swelling of the lips, tongue or throat: call 911 now."
    )


@pytest.mark.usefixtures("patient")
def test_an_opted_out_patient_still_gets_the_safety_answer(
    engine: Engine, settings: Settings
) -> None:
    with session_scope(engine) as session:
        patient_id = session.exec(select(InboundMessage.id)).first()  # none yet
        assert patient_id is None
        from models import Patient

        found = session.exec(select(Patient)).one()
        assert found.id is not None
        opt_out_patient(session, found.id, now=NOW)
    urgent = receive(engine, settings, "pus and fever", "SM" + "e1" * 16)
    assert urgent.answer and "911" in urgent.answer
    thanks = receive(engine, settings, "can I wear makeup?", "SM" + "e2" * 16)
    assert thanks.answer is None  # the courtesy answers stay stopped


@pytest.mark.usefixtures("patient")
def test_concerns_and_questions_promise_clinic_hours_and_thanks_get_none(
    engine: Engine, settings: Settings
) -> None:
    concern = receive(engine, settings, "still lots of pimples after 10 days", "SMf1")
    assert concern.level == "concern"
    assert concern.answer and "during clinic hours (09:00-17:00)" in concern.answer
    assert "today" not in concern.answer  # it is 22:30: no promise for "today"
    question = receive(engine, settings, "Can I wear makeup tomorrow?", "SMf2")
    assert question.level == "routine" and question.alert_id is None
    assert question.answer and "answer it during clinic hours (09:00-17:00)" in question.answer
    assert receive(engine, settings, "Thank you so much!", "SMf3").answer is None


@pytest.mark.usefixtures("patient")
def test_keywords_need_no_mark_handled(engine: Engine, settings: Settings) -> None:
    outcome = receive(engine, settings, "HELP", "SM" + "g1" * 16)
    with Session(engine) as session:
        row = session.get(InboundMessage, outcome.inbound_id)
    assert row is not None and row.keyword == "help"
    assert row.handled_at == NOW and row.handled_by == "system"
