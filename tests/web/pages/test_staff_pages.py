"""The staff pages through the real app: register, timeline, actions, lists; each one audited."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from models import Alert, InboundMessage, OutboundMessage, Patient, Treatment
from models.db import session_scope
from models.vocabulary import Medium
from scheduler.followups.intake import TreatmentCreate
from scheduler.followups.registration import register_treatment
from scheduler.inbound.replies import IncomingReply, receive_reply
from scheduler.settings import Settings
from tests.support.pages import EMAIL, START, Pages, audit_events, csrf_of, signed_in

FORM = {
    "name": "Éloïse Tremblay",
    "phone": "613-555-0124",
    "email": "",
    "language": "fr",
    "channel": "sms",
    "consent_source": "in-clinic",
    "kind": "microneedling",
    "performed_date": "2026-11-25",
    "performed_time": "09:30",
    "practitioner": "Dr Roy",
}


@pytest.fixture
def pages(settings: Settings, engine: Engine) -> Iterator[Pages]:
    with signed_in(settings, engine) as found:
        yield found


def register(pages: Pages, name: str = "Alex Martin", phone: str = "613-555-0188") -> int:
    with session_scope(pages.engine) as session:
        request = TreatmentCreate(name=name, phone=phone, practitioner="Dr Roy")
        done = register_treatment(session, request, settings=pages.settings, now=pages.clock())
        assert done.patient.id is not None
        return done.patient.id


def reply(pages: Pages, body: str, phone: str = "+16135550188", sid: str = "SM1") -> int:
    with Session(pages.engine) as session:
        outcome = receive_reply(
            session,
            pages.settings,
            IncomingReply(channel=Medium.SMS, from_address=phone, body=body, provider_id=sid),
            now=pages.clock(),
        )
    return outcome.inbound_id


def count(engine: Engine, table: type) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(table)).one())


def text_of(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def test_register_shows_each_error_by_its_field_and_saves_nothing(pages: Pages) -> None:
    bad = {**FORM, "phone": "12345", "channel": "email"}
    response = pages.client.post("/treatments/new", data={"csrf_token": pages.token(), **bad})
    assert response.status_code == 400
    html = response.text
    assert re.search(r'id="phone-error">[^<]*not a valid phone number', html)
    assert re.search(r'id="phone"[^>]*aria-invalid="true"', html)
    assert 'value="Éloïse Tremblay"' in html  # what was typed stays
    assert "Nothing was saved" in html
    assert count(pages.engine, Patient) == 0 and count(pages.engine, Treatment) == 0

    # Once the phone is right, the cross-field rule speaks: email needed for that channel.
    response = pages.client.post(
        "/treatments/new", data={"csrf_token": pages.token(), **bad, "phone": "613-555-0124"}
    )
    assert response.status_code == 400
    assert re.search(r'id="email-error">Required when channel is email', response.text)
    assert count(pages.engine, Patient) == 0


def test_register_schedules_day_1_3_7_and_shows_their_local_times(pages: Pages) -> None:
    response = pages.client.post(
        "/treatments/new", data={"csrf_token": pages.token(), **FORM}, follow_redirects=False
    )
    assert response.status_code == 303
    match = re.fullmatch(r"/treatments/(\d+)\?done=registered", response.headers["location"])
    assert match
    page = text_of(pages.client.get(response.headers["location"]).text)
    # Day N after Wed 25 Nov, at the opening of the 10:00-19:00 window, Toronto time.
    for day in ("Thu 26 Nov 2026, 10:00", "Sat 28 Nov 2026, 10:00", "Wed 02 Dec 2026, 10:00"):
        assert day in page
    with Session(pages.engine) as session:
        patient = session.exec(select(Patient)).one()
        treatment = session.exec(select(Treatment)).one()
    assert patient.language == "fr" and patient.consent_at == START
    assert treatment.performed_at == START - timedelta(minutes=30)  # 09:30 Toronto
    assert count(pages.engine, OutboundMessage) == 3
    event = audit_events(pages.engine, "register")[0]
    assert (event.actor, event.target) == (EMAIL, f"patient:{patient.id}")
    assert event.detail == f"treatment:{match.group(1)}"


def test_an_existing_patient_is_found_by_post_and_prefills_the_form(pages: Pages) -> None:
    patient_id = register(pages, name="Éloïse Tremblay", phone="613-555-0124")
    found = pages.client.post(
        "/treatments/new/search", data={"csrf_token": pages.token(), "q": "eloise"}
    )
    assert found.status_code == 200 and f"/treatments/new?patient={patient_id}" in found.text
    assert "q=" not in str(found.url)
    [searched] = audit_events(pages.engine, "search")
    assert (searched.detail, searched.shown) == ("search (1 result)", str(patient_id))
    prefilled = pages.client.get(f"/treatments/new?patient={patient_id}").text
    assert 'value="Éloïse Tremblay"' in prefilled and 'value="+16135550124"' in prefilled


def test_the_timeline_shows_messages_replies_and_alerts_in_order(pages: Pages) -> None:
    patient_id = register(pages)
    pages.clock.advance(timedelta(hours=1))
    reply(pages, "there's pus and I have a fever")
    html = pages.client.get(f"/patients/{patient_id}").text
    reply_at, alert_at, day1_at = (
        html.index('id="reply-'),
        html.index('id="alert-'),
        html.index("Day 1"),
    )
    assert reply_at < alert_at < day1_at  # the reply came today; day 1 is tomorrow
    assert "there&#39;s pus and I have a fever" in html
    event = audit_events(pages.engine, "view_timeline")[0]
    assert (event.actor, event.target) == (EMAIL, f"patient:{patient_id}")


def test_unknown_ids_are_404(pages: Pages) -> None:
    assert pages.client.get("/patients/999").status_code == 404
    assert pages.client.get("/treatments/999").status_code == 404
    for path in ("/treatments/999/cancel", "/alerts/999/ack", "/replies/999/handled"):
        assert pages.post(path).status_code == 404
    assert audit_events(pages.engine, "ack_alert") == []


def _failed_message(pages: Pages, patient_id: int) -> int:
    with session_scope(pages.engine) as session:
        message = session.exec(
            select(OutboundMessage)
            .join(Treatment, col(Treatment.id) == OutboundMessage.treatment_id)
            .where(col(Treatment.patient_id) == patient_id, OutboundMessage.step == "day1")
        ).one()
        message.status, message.error_code, message.last_error = "failed", "21211", "invalid"
        session.add(message)
        assert message.id is not None
        return message.id


def test_each_action_does_its_work_and_writes_one_audit_row(pages: Pages) -> None:
    patient_id = register(pages)
    target = f"patient:{patient_id}"
    reply_id = reply(pages, "there's pus and I have a fever")
    with Session(pages.engine) as session:
        alert = session.exec(select(Alert)).one()
        treatment = session.exec(select(Treatment)).one()
    message_id = _failed_message(pages, patient_id)
    home = f"/patients/{patient_id}"

    # Acknowledging comes back to the alert's own page, which confirms it with the note.
    response = pages.post(f"/alerts/{alert.id}/ack", {"note": "Called her; seeing her at 4"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/alerts/{alert.id}?done=acknowledged"
    events = audit_events(pages.engine, "ack_alert")
    assert [(e.actor, e.target, e.detail) for e in events] == [
        (EMAIL, target, f"alert:{alert.id} with a note")
    ]
    confirmed = pages.client.get(response.headers["location"]).text
    assert f"Alert #{alert.id} acknowledged by {EMAIL}" in confirmed
    assert "Called her; seeing her at 4" in confirmed

    steps = [
        (f"/replies/{reply_id}/handled", "mark_handled", "done=handled"),
        (f"/messages/{message_id}/resend", "resend", "done=resent"),
        (f"/patients/{patient_id}/opt-out", "opt_out", "done=opted_out&n=3"),
        (f"/patients/{patient_id}/opt-in", "opt_in", "done=opted_in&n=3"),
        (f"/treatments/{treatment.id}/cancel", "cancel", "done=cancelled&n=3"),
    ]
    for path, action, done in steps:
        response = pages.post(path, {"next": home})
        assert response.status_code == 303, (path, response.text)
        assert response.headers["location"] == f"{home}?{done}"
        events = audit_events(pages.engine, action)
        assert [(e.actor, e.target) for e in events] == [(EMAIL, target)], action

    with Session(pages.engine) as session:
        acked = session.get(Alert, alert.id)
        handled = session.get(InboundMessage, reply_id)
        messages = session.exec(select(OutboundMessage)).all()
    assert acked is not None and acked.acknowledged_by == EMAIL
    assert acked.ack_note == "Called her; seeing her at 4"
    assert handled is not None and handled.handled_by == EMAIL
    assert {m.status for m in messages} == {"cancelled"}
    notice = pages.client.get(f"{home}?done=cancelled&n=3").text
    assert "Follow-ups cancelled: 3 pending message(s)" in notice


def test_a_message_that_cannot_be_resent_says_so(pages: Pages) -> None:
    patient_id = register(pages)
    with Session(pages.engine) as session:
        pending = session.exec(select(OutboundMessage)).first()
    assert pending is not None
    response = pages.post(f"/messages/{pending.id}/resend")
    assert response.headers["location"] == f"/patients/{patient_id}?error=resend"
    assert audit_events(pages.engine, "resend") == []


def test_today_lists_open_alerts_with_their_age_and_unhandled_replies(pages: Pages) -> None:
    register(pages)
    reply(pages, "there's pus and I have a fever", sid="SM1")
    reply(pages, "all good, thanks", sid="SM2")
    pages.clock.advance(timedelta(minutes=12))
    html = pages.client.get("/").text
    assert re.search(r'class="age age-urgent"[^>]*>12 min<', html)
    assert "all good, thanks" in html
    with Session(pages.engine) as session:
        alert = session.exec(select(Alert)).one()
    pages.post(f"/alerts/{alert.id}/ack", {"next": "/"})
    assert 'class="age age-urgent"' not in pages.client.get("/").text


def test_inbox_filters_and_pages_by_fifty(pages: Pages) -> None:
    register(pages)
    for n in range(50):
        reply(pages, f"fine {n}", sid=f"SM{n}")
    reply(pages, "there's pus and I have a fever", sid="SM-urgent")
    first = pages.client.get("/inbox?status=all").text
    assert first.count('class="row"') + first.count('class="row row-') == 50
    assert "51 replies · page 1 of 2" in first and 'rel="next"' in first
    second = pages.client.get("/inbox?status=all&page=2").text
    assert "fine 0" in second and 'rel="prev"' in second
    urgent = pages.client.get("/inbox?status=all&level=urgent").text
    assert "there&#39;s pus" in urgent and "fine 1" not in urgent
    alerts = pages.client.get("/alerts?status=open&level=urgent").text
    assert "there&#39;s pus" in alerts and "1 alert · page 1 of 1" in alerts


def test_import_registers_good_rows_and_lists_bad_ones(pages: Pages) -> None:
    csv_text = (
        "name,phone,language,performed_at\n"
        "Ana Lima,613-555-0124,fr,2026-11-25T09:00\n"
        "Ben Carter,12345,en,\n"
    )
    response = pages.client.post(
        "/import",
        data={"csrf_token": pages.token("/import")},
        files={"file": ("today.csv", csv_text.encode(), "text/csv")},
    )
    assert response.status_code == 200
    page = text_of(response.text)
    assert "today.csv: 1 registered, 1 rejected" in page
    assert "3 rejected phone: '12345' is not a valid phone number" in page
    assert "2 registered Treatment #" in page
    assert count(pages.engine, Treatment) == 1
    detail = audit_events(pages.engine, "import")[0].detail
    assert detail is not None and detail.startswith("1 registered, 1 rejected")


def test_import_refuses_a_file_that_is_not_utf8(pages: Pages) -> None:
    response = pages.client.post(
        "/import",
        data={"csrf_token": pages.token("/import")},
        files={"file": ("x.csv", "name,phone\nZoë,613-555-0124\n".encode("latin-1"), "text/csv")},
    )
    assert response.status_code == 400 and "not UTF-8" in response.text
    assert count(pages.engine, Treatment) == 0


def test_the_stylesheet_is_served(pages: Pages) -> None:
    response = pages.client.get("/static/app.css")
    assert response.status_code == 200 and "--accent" in response.text


def test_every_form_on_every_page_carries_the_session_token(pages: Pages) -> None:
    patient_id = register(pages)
    reply(pages, "there's pus and I have a fever")
    _failed_message(pages, patient_id)
    with Session(pages.engine) as session:
        treatment = session.exec(select(Treatment)).one()
    paths = [
        "/",
        "/treatments/new",
        f"/treatments/new?patient={patient_id}",
        f"/treatments/{treatment.id}",
        f"/patients/{patient_id}",
        "/patients",
        "/inbox",
        "/alerts",
        "/import",
    ]
    tokens = set()
    for path in paths:
        response = pages.client.get(path)
        assert response.status_code == 200, path
        tokens.add(csrf_of(response.text))
    assert len(tokens) == 1


def test_every_kind_can_be_registered_and_its_days_come_from_its_steps(pages: Pages) -> None:
    form = pages.client.get("/treatments/new").text
    options = re.findall(r'<option value="(\w+)"[^>]*>([^<]+)</option>', form)
    kinds = [
        (value, label)
        for value, label in options
        if value in {"microneedling", "chemical_peel", "dermal_filler", "ipl"}
    ]
    assert kinds == [
        ("microneedling", "Microneedling (days 1, 3 and 7)"),
        ("chemical_peel", "Chemical peel (days 1, 3 and 7)"),
        ("dermal_filler", "Dermal filler (hyaluronic acid) (days 1, 3 and 14)"),
        ("ipl", "IPL photofacial (days 1, 3 and 10)"),
    ]
    assert "Day 1, 3 and 7" not in form

    response = pages.client.post(
        "/treatments/new",
        data={"csrf_token": pages.token(), **FORM, "kind": "dermal_filler"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    page = text_of(pages.client.get(response.headers["location"]).text)
    assert "Dermal filler (hyaluronic acid) · performed" in page
    for label, day in (
        ("Day 1", "Thu 26 Nov 2026"),
        ("Day 3", "Sat 28 Nov"),
        ("Day 14", "Wed 09 Dec"),
    ):
        assert re.search(rf"{label} SMS {day}", page), (label, page)


def test_an_unknown_kind_is_shown_by_its_field_with_the_known_ones(pages: Pages) -> None:
    response = pages.client.post(
        "/treatments/new", data={"csrf_token": pages.token(), **FORM, "kind": "botox"}
    )
    assert response.status_code == 400
    assert re.search(
        r'id="kind-error">Unknown treatment kind &#39;botox&#39; \(known: microneedling,',
        response.text,
    )
    assert count(pages.engine, Treatment) == 0
