"""The staff pages in real Chromium (Debian's), against the real app served by uvicorn.

Each test runs its own server on a free loopback port and its own SQLite file. Full-page
screenshots of every page, desktop (1280 wide) and phone (390 wide), go to
`test-artifacts/screenshots/` for people to look at.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import uvicorn
from sqlmodel import Session, col, select
from twilio.request_validator import RequestValidator

from models import Alert, OutboundMessage, Patient, Treatment
from models.db import session_scope
from models.vocabulary import Medium, Role
from scheduler.clock import system_clock
from scheduler.inbound.replies import IncomingReply, receive_reply
from scheduler.ops.runtime import open_database
from scheduler.settings import Settings
from scheduler.staff.accounts import add_staff
from scheduler.web.app import create_app
from tests.support.debian import binary_from_package, unavailable
from tests.support.paths import ARTIFACTS
from tests.support.settings import make_settings

# Real Chromium and a real server: seconds, not milliseconds.
pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOTS = ARTIFACTS / "screenshots"
TWILIO_TOKEN = "browser-test-auth-token"
EMAIL, PASSWORD = "nadia@clinic.example", "correct horse battery"
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, FilePayload, Page, ViewportSize


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = binary_from_package("chromium", "chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium)
        yield launched
        launched.close()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Served:
    url: str
    settings: Settings
    engine: Any

    def signed_sms(self, sender: str, body: str, sid: str) -> httpx.Response:
        """An inbound text as Twilio posts it, signed with the account's auth token."""
        url = f"{self.settings.public_base_url}/webhooks/twilio/sms"
        params = {"MessageSid": sid, "From": sender, "To": "+16135550100", "Body": body}
        signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, params)
        return httpx.post(url, data=params, headers={"X-Twilio-Signature": signature})


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    settings = make_settings(
        f"sqlite:///{tmp_path / 'aftercare.db'}",
        public_base_url=base,
        twilio_auth_token=TWILIO_TOKEN,
    )
    engine = open_database(settings)
    with session_scope(engine) as session:
        add_staff(session, EMAIL, PASSWORD, name="Nadia Roy", role=Role.ADMIN, now=system_clock())
    app = create_app(settings, engine)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield Served(base, settings, engine)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        engine.dispose()


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in(page: Page, base: str) -> None:
    page.goto(f"{base}/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


def test_front_desk_day_in_chromium(browser: Browser, served: Served) -> None:
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(10_000)
    page = context.new_page()
    base = served.url

    # Signed out: any page leads to the login form; a wrong password is refused.
    page.goto(f"{base}/alerts")
    assert page.url == f"{base}/login?next=/alerts"
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill("not my password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text().startswith("Email or password not recognised")
    shoot(page, "login")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/alerts")

    # Register with one wrong field: told next to it, nothing saved; then corrected.
    page.get_by_role("link", name="Register").first.click()
    page.get_by_label("Full name").fill("Éloïse Tremblay")
    page.get_by_label("Mobile number").fill("12345")
    page.get_by_label("Language of messages").select_option("fr")
    page.get_by_label("Practitioner").fill("Dr Amélie Roy")
    page.get_by_role("button", name="Register and schedule").click()
    error = page.locator("#phone-error")
    assert "not a valid phone number" in error.inner_text()
    assert page.get_by_label("Mobile number").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("Full name").input_value() == "Éloïse Tremblay"
    shoot(page, "register-errors")
    with Session(served.engine) as session:
        assert session.exec(select(Patient)).all() == []

    page.get_by_label("Mobile number").fill("613-555-0124")
    page.get_by_role("button", name="Register and schedule").click()
    page.wait_for_url(re.compile(r"/treatments/\d+\?done=registered$"))
    rows = page.locator("#scheduled tbody tr")
    assert rows.count() == 3
    zone = served.settings.zone
    today = datetime.now(zone).date()
    for row, days, step in zip(rows.all(), (1, 3, 7), ("Day 1", "Day 3", "Day 7"), strict=True):
        cells = row.locator("td").all_inner_texts()
        # Day N at the opening of the 10:00-19:00 send window, in clinic time.
        expected = (today + timedelta(days=days)).strftime("%a %d %b %Y, 10:00")
        assert [cells[0], cells[2]] == [step, expected]
    shoot(page, "treatment")

    # The patient replies with urgent signs, through Twilio's signed webhook.
    answer = served.signed_sms("+16135550124", "there's pus and I have a fever", "SMbrowser1")
    assert answer.status_code == 200, answer.text
    with Session(served.engine) as session:
        alert = session.exec(select(Alert)).one()
    assert alert.level == "urgent"

    page.get_by_role("link", name="Today").click()
    urgent = page.locator(".row-urgent")
    assert "there's pus and I have a fever" in urgent.inner_text()
    assert "Éloïse Tremblay" in urgent.inner_text()
    # Acknowledging asks first: the alert page, an optional note, then a confirm button.
    urgent.get_by_role("link", name="Acknowledge…").click()
    page.wait_for_url(f"{base}/alerts/{alert.id}")
    page.get_by_label("What was done").fill("Called her, seeing her at 4 pm")
    shoot(page, "alert-ack")
    page.get_by_role("button", name=f"Confirm: acknowledge alert #{alert.id}").click()
    page.wait_for_url(f"{base}/alerts/{alert.id}?done=acknowledged")
    assert f"Alert #{alert.id} acknowledged by {EMAIL}" in page.get_by_role("status").inner_text()
    assert "Called her, seeing her at 4 pm" in page.locator(".facts").inner_text()
    page.get_by_role("link", name="Today").click()
    assert page.locator(".row-urgent").count() == 0
    with Session(served.engine) as session:
        acked = session.get(Alert, alert.id)
    assert acked is not None and acked.acknowledged_by == EMAIL
    assert acked.ack_note == "Called her, seeing her at 4 pm"

    # The timeline: the reply and its (acknowledged) alert; then cancel the follow-ups.
    page.get_by_role("link", name="Patients").click()
    page.get_by_role("link", name="Éloïse Tremblay").click()
    timeline = page.locator(".timeline")
    assert "there's pus and I have a fever" in timeline.inner_text()
    assert f"Acknowledged by {EMAIL}" in timeline.inner_text()
    page.get_by_role("button", name="Cancel follow-ups").click()
    assert "Follow-ups cancelled: 3 pending message(s)" in page.get_by_role("status").inner_text()
    with Session(served.engine) as session:
        statuses = {m.status for m in session.exec(select(OutboundMessage)).all()}
    assert statuses == {"cancelled"}

    # CSV import with one bad row: the good row is registered, the bad one explained.
    page.get_by_role("link", name="Import").click()
    csv_text = (
        "name,phone,language,practitioner\n"
        "Ana Lima,613-555-0188,fr,Dr Amélie Roy\n"
        "Ben Carter,555,en,\n"
    )
    upload: FilePayload = {"name": "today.csv", "mimeType": "text/csv", "buffer": csv_text.encode()}
    page.get_by_label("CSV file").set_input_files(files=[upload])
    page.get_by_role("button", name="Import").click()
    assert "today.csv: 1 registered, 1 rejected" in page.locator("#res-h").inner_text()
    rows = page.locator("#import-rows tbody tr")
    assert rows.count() == 2
    rejected = page.locator("#import-rows .row-error").inner_text()
    assert rejected.startswith("3") and "phone: '555' is not a valid phone number" in rejected
    shoot(page, "import-result")
    with Session(served.engine) as session:
        names = {p.name for p in session.exec(select(Patient)).all()}
    assert names == {"Éloïse Tremblay", "Ana Lima"}

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{base}/login")
    page.goto(f"{base}/")
    assert page.url == f"{base}/login?next=/"
    context.close()


def _seed_a_busy_morning(served: Served) -> int:
    """A few patients, replies of each level, an escalated alert and a failed message."""
    now = system_clock()
    people = [
        ("Éloïse Tremblay", "613-555-0124", "fr", "Dr Amélie Roy", 2),
        ("Marcus Chen", "613-555-0147", "en", "Dr Amélie Roy", 1),
        ("Sofia Ramírez", "613-555-0163", "en", "Dr Paul Girard", 3),
        ("Jean-Philippe Côté", "613-555-0172", "fr", "Dr Paul Girard", 0),
    ]
    from scheduler.followups.intake import TreatmentCreate
    from scheduler.followups.registration import register_treatment

    with session_scope(served.engine) as session:
        for name, phone, language, practitioner, days_ago in people:
            request = TreatmentCreate(
                name=name,
                phone=phone,
                language=language,
                practitioner=practitioner,
                performed_at=now - timedelta(days=days_ago, hours=1),
            )
            register_treatment(session, request, settings=served.settings, now=now)
    replies = [
        ("+16135550172", "Merci, tout va bien", 95),
        ("+16135550163", "Thanks! A bit red and itchy but fine", 48),
        ("+16135550147", "My skin is quite swollen and it hurts more than yesterday", 31),
        ("+16135550124", "J'ai du pus et de la fièvre depuis ce matin", 12),
    ]
    for n, (sender, body, minutes_ago) in enumerate(replies):
        with Session(served.engine) as session:
            incoming = IncomingReply(Medium.SMS, sender, body, f"SMseed{n}")
            moment = now - timedelta(minutes=minutes_ago)
            receive_reply(session, served.settings, incoming, now=moment)
    with session_scope(served.engine) as session:
        message = session.exec(
            select(OutboundMessage)
            .join(Treatment, col(Treatment.id) == OutboundMessage.treatment_id)
            .join(Patient, col(Patient.id) == Treatment.patient_id)
            .where(col(Patient.name) == "Sofia Ramírez", col(OutboundMessage.step) == "day3")
        ).one()
        message.status, message.error_code = "failed", "30006"
        message.last_error = "Landline or unreachable carrier"
        message.attempts = 1
        session.add(message)
        alert = session.exec(select(Alert).where(col(Alert.level) == "concern")).first()
        if alert is not None:
            alert.status, alert.escalated_at = "escalated", now
            session.add(alert)
        patient = session.exec(select(Patient).where(col(Patient.name) == "Éloïse Tremblay")).one()
        assert patient.id is not None
        return patient.id


def test_screenshots_of_every_page_on_desktop_and_phone(browser: Browser, served: Served) -> None:
    patient_id = _seed_a_busy_morning(served)
    with Session(served.engine) as session:
        alert_id = session.exec(select(Alert.id).order_by(col(Alert.id))).first()
    base = served.url
    desktop: BrowserContext = browser.new_context(viewport=DESKTOP)
    page = desktop.new_page()
    sign_in(page, base)
    pages = {
        "today": "/",
        "register": "/treatments/new",
        "patients": "/patients",
        "patient": f"/patients/{patient_id}",
        "inbox": "/inbox?status=all",
        "alerts": "/alerts?status=all",
        "alert": f"/alerts/{alert_id}",
        "import": "/import",
        "admin-settings": "/admin",
        "admin-staff": "/admin/staff",
        "admin-tokens": "/admin/tokens",
        "admin-audit": "/admin/audit",
        "patient-export": f"/admin/patients/{patient_id}/export",
        "patient-erase": f"/admin/patients/{patient_id}/erase",
    }
    phone = browser.new_context(viewport=PHONE, storage_state=desktop.storage_state())
    small = phone.new_page()
    for name, path in pages.items():
        for target, suffix in ((page, ""), (small, "-phone")):
            response = target.goto(f"{base}{path}")
            assert response is not None and response.status == 200, (name, suffix)
            # Nothing may stick out sideways on a phone: the page scrolls only down.
            width = target.evaluate("document.documentElement.scrollWidth")
            assert width <= target.viewport_size["width"], (name, suffix, width)  # type: ignore[index]
            shoot(target, f"{name}{suffix}")
    phone_login = browser.new_context(viewport=PHONE).new_page()
    phone_login.goto(f"{base}/login")
    shoot(phone_login, "login-phone")
    phone_login.context.close()
    phone.close()
    desktop.close()


def test_today_shows_a_new_urgent_alert_without_a_reload(browser: Browser, served: Served) -> None:
    from scheduler.followups.intake import TreatmentCreate
    from scheduler.followups.registration import register_treatment

    now = system_clock()
    request = TreatmentCreate(
        name="Maya Okafor", phone="613-555-0188", performed_at=now - timedelta(days=1)
    )
    with session_scope(served.engine) as session:
        register_treatment(session, request, settings=served.settings, now=now)
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.add_init_script("window.AFTERCARE_POLL_MS = 300")
    refused: list[str] = []  # the CSP reports a blocked script or inline code here
    page.on("console", lambda msg: refused.append(msg.text) if "Refused" in msg.text else None)
    sign_in(page, served.url)
    assert page.title() == "Today · Aftercare"
    assert page.locator(".row-urgent").count() == 0
    page.evaluate("window.notReloaded = true")

    answer = served.signed_sms("+16135550188", "there's pus and I have a fever", "SMlive1")
    assert answer.status_code == 200, answer.text

    page.locator(".row-urgent").wait_for()
    assert "Maya Okafor" in page.locator("#alerts").inner_text()
    assert page.evaluate("window.notReloaded") is True  # the card changed, the page did not
    page.wait_for_function("document.title.startsWith('(1) ')")
    assert page.title() == "(1) Today · Aftercare"
    assert page.locator("#alerts-stat .stat-num").inner_text() == "1"
    assert refused == []
    shoot(page, "today-live")
    context.close()


def test_a_shared_phone_and_a_conversation_in_chromium(browser: Browser, served: Served) -> None:
    from scheduler.followups.intake import TreatmentCreate
    from scheduler.followups.registration import register_treatment

    now = system_clock()
    with session_scope(served.engine) as session:
        request = TreatmentCreate(
            name="Emily Chen", phone="613-555-0131", performed_at=now - timedelta(days=2)
        )
        register_treatment(session, request, settings=served.settings, now=now)
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, served.url)

    # Marc shares Emily's phone: the page asks who he is instead of renaming her.
    page.get_by_role("link", name="Register").first.click()
    page.get_by_label("Full name").fill("Marc Chen")
    page.get_by_label("Mobile number").fill("613-555-0131")
    page.get_by_role("button", name="Register and schedule").click()
    assert "already Emily Chen's. Who is this patient?" in page.locator("form.form").inner_text()
    shoot(page, "register-shared-phone")
    page.get_by_label("Another person who shares this phone").check()
    page.get_by_role("button", name="Register and schedule").click()
    page.wait_for_url(re.compile(r"/treatments/\d+\?done=registered$"))
    with Session(served.engine) as session:
        names = session.exec(select(Patient.name).order_by(col(Patient.id))).all()
    assert names == ["Emily Chen", "Marc Chen"]

    # Marc's reply lands on his timeline; staff answer it from a quick answer.
    answer = served.signed_sms("+16135550131", "Is the redness normal?", "SMchat1")
    assert answer.status_code == 200, answer.text
    page.get_by_role("link", name="Marc Chen").click()
    page.get_by_role("link", name="Answer").first.click()
    page.get_by_role("button", name="This is normal").click()
    assert "What you describe is normal" in page.get_by_label("Message").input_value()
    shoot(page, "patient-write")
    page.get_by_role("button", name="Send", exact=True).click()
    assert "Message queued" in page.get_by_role("status").inner_text()
    assert "message from " + EMAIL in page.locator(".timeline").inner_text()
    assert "Answered by " + EMAIL in page.locator(".timeline").inner_text()
    context.close()


def test_an_admin_manages_accounts_tokens_and_a_patients_data(
    browser: Browser, served: Served
) -> None:
    from scheduler.followups.intake import TreatmentCreate
    from scheduler.followups.registration import register_treatment

    now = system_clock()
    request = TreatmentCreate(
        name="Zoé Quintal", phone="613-555-0177", performed_at=now - timedelta(days=1)
    )
    with session_scope(served.engine) as session:
        patient_id = register_treatment(
            session, request, settings=served.settings, now=now
        ).patient.id
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(10_000)
    page = context.new_page()
    base = served.url
    sign_in(page, base)

    # A front-desk account, with the temporary password shown once.
    page.get_by_role("link", name="Admin").click()
    page.get_by_role("link", name="Staff accounts").click()
    page.get_by_label("Email").fill("desk@clinic.example")
    page.get_by_label("Name").fill("Dana Desk")
    page.get_by_role("button", name="Add account").click()
    secret = page.locator("#secret code.secret").inner_text()
    assert len(secret) >= 16
    shoot(page, "admin-staff-added")
    page.reload()
    assert page.locator("#secret").count() == 0  # shown once

    # Front desk may not acknowledge alerts nor enter the admin area: a page says why.
    desk = browser.new_context(viewport=DESKTOP).new_page()
    desk.goto(f"{base}/login")
    desk.get_by_label("Email").fill("desk@clinic.example")
    desk.get_by_label("Password").fill(secret)
    desk.get_by_role("button", name="Sign in").click()
    desk.wait_for_url(f"{base}/")
    assert desk.get_by_role("link", name="Admin").count() == 0
    response = desk.goto(f"{base}/admin/audit")
    assert response is not None and response.status == 403
    assert "A front-desk account may not read the audit log" in desk.locator("main").inner_text()
    shoot(desk, "forbidden")
    desk.context.close()

    # Promote her to practitioner.
    row = page.locator("#accounts tr", has_text="desk@clinic.example")
    row.get_by_label("Role of desk@clinic.example").select_option("practitioner")
    row.get_by_role("button", name="Save").click()
    assert "is now practitioner" in page.get_by_role("status").first.inner_text()

    # A read token for an integration, shown once; it works on the API.
    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Integration").fill("booking-system")
    page.get_by_role("button", name="Create token").click()
    token = page.locator("#secret code.secret").inner_text()
    shoot(page, "admin-token-created")
    answer = httpx.get(f"{base}/api/alerts", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    page.reload()
    assert "booking-system" in page.locator("#tokens").inner_text()

    # Correct the patient's name from the timeline; the old one is in the audit log.
    page.goto(f"{base}/patients/{patient_id}")
    page.get_by_text("Correct name, phone, email or language").click()
    page.get_by_label("Full name").fill("Zoé Quintal-Brisebois")
    page.get_by_role("button", name="Save corrections").click()
    assert "Details corrected: 1 field(s)" in page.get_by_role("status").inner_text()
    page.goto(f"{base}/admin/audit?patient={patient_id}")
    events = page.locator("#events").inner_text()
    assert "correct patient" in events and "'Zoé Quintal' -> 'Zoé Quintal-Brisebois'" in events
    page.get_by_label("Action").select_option("correct_patient")
    page.get_by_role("button", name="Apply").click()
    assert page.locator("#events tbody tr").count() == 1
    shoot(page, "admin-audit-filtered")

    # Export opens a printable page; erasing asks first, then leaves nothing of her.
    page.goto(f"{base}/patients/{patient_id}")
    with context.expect_page() as opened:
        page.get_by_role("link", name="Export").click()
    export = opened.value
    export.wait_for_load_state()
    assert "Zoé Quintal-Brisebois" in export.locator("h1").inner_text()
    export.close()
    page.get_by_role("link", name="Erase…").click()
    shoot(page, "patient-erase-confirm")
    page.get_by_role("button", name=f"Erase patient #{patient_id} for good").click()
    assert "Patient erased" in page.get_by_role("status").inner_text()
    assert "Quintal" not in page.locator("main").inner_text()
    with Session(served.engine) as session:
        erased = session.get(Patient, patient_id)
    assert erased is not None and erased.erased_at is not None and erased.phone == ""
    context.close()


DOC_SHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"


def test_the_main_pages_in_english_and_french(browser: Browser, served: Served) -> None:
    """Today, Register, a timeline and Alerts in both languages (docs/screenshots/*-en|fr.png);
    French is chosen with the header's EN | FR control, and a French browser's login is French."""
    patient_id = _seed_a_busy_morning(served)
    base = served.url
    context = browser.new_context(viewport=DESKTOP, locale="en-CA")
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, base)
    shots = {
        "today": "/",
        "register": "/treatments/new",
        "patient": f"/patients/{patient_id}",
        "alerts": "/alerts?status=all",
    }
    DOC_SHOTS.mkdir(parents=True, exist_ok=True)
    for language, switch in (("en", None), ("fr", "FR")):
        if switch is not None:
            page.goto(f"{base}/")
            page.get_by_role("button", name=switch, exact=True).click()
            page.wait_for_url(f"{base}/")
        for name, path in shots.items():
            page.goto(f"{base}{path}")
            assert page.locator("html").get_attribute("lang") == language
            page.screenshot(path=str(DOC_SHOTS / f"{name}-{language}.png"), full_page=True)
    nav = page.get_by_role("navigation", name="Principal")
    assert nav.get_by_role("link", name="Aujourd’hui").is_visible()  # noqa: RUF001
    assert nav.get_by_role("link", name="Boîte de réception").is_visible()
    # The longer French labels and the EN | FR control still fit a phone: no sideways scroll.
    phone = browser.new_context(viewport=PHONE, storage_state=context.storage_state())
    small = phone.new_page()
    for name, path in shots.items():
        small.goto(f"{base}{path}")
        width = small.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (name, width)
    small.goto(f"{base}/")
    small.screenshot(path=str(DOC_SHOTS / "today-fr-phone.png"), full_page=True)
    phone.close()
    context.close()
    french = browser.new_context(viewport=PHONE, locale="fr-CA").new_page()
    french.goto(f"{base}/login")
    assert french.locator("html").get_attribute("lang") == "fr"
    assert french.get_by_role("heading", name="Se connecter").is_visible()
    french.screenshot(path=str(DOC_SHOTS / "login-fr-phone.png"), full_page=True)
    french.context.close()
