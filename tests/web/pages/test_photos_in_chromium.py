"""A patient's photo in real Chromium: the timeline shows its thumbnail (loaded through the staff
session), a click opens the full photo, and a screenshot goes to docs/screenshots/."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import pytest
from PIL import Image, ImageDraw, ImageFilter
from sqlmodel import Session, select

from models import InboundMessage
from models.db import session_scope
from scheduler.clock import system_clock
from scheduler.followups.intake import TreatmentCreate
from scheduler.followups.registration import register_treatment
from tests.support.paths import REPO
from tests.support.photos import add_photo
from tests.web.pages.test_in_chromium import (  # noqa: F401 (fixtures)
    DESKTOP,
    Served,
    browser,
    served,
    sign_in,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SHOT = REPO / "docs" / "screenshots" / "patient-photos.png"


def cheek_photo() -> bytes:
    """Something like a close-up of a treated cheek: skin tones, a redder patch, soft edges."""
    image = Image.new("RGB", (1200, 900), (226, 180, 150))
    draw = ImageDraw.Draw(image)
    for i in range(0, 900, 6):
        draw.line([(0, i), (1200, i)], fill=(226 - i // 30, 180 - i // 25, 150 - i // 25))
    draw.ellipse((420, 300, 820, 600), fill=(205, 110, 100))
    draw.ellipse((500, 360, 740, 540), fill=(215, 95, 90))
    image = image.filter(ImageFilter.GaussianBlur(18))
    exif = image.getexif()
    exif[0x8825] = {1: "N", 2: (45.0, 25.0, 1.0), 3: "W", 4: (75.0, 41.0, 1.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def test_the_timeline_shows_the_photo(browser: Browser, served: Served) -> None:  # noqa: F811
    now = system_clock()
    request = TreatmentCreate(name="Camille Dubois", phone="613-555-0124", language="fr")
    with session_scope(served.engine) as session:
        patient = register_treatment(session, request, settings=served.settings, now=now).patient
    answer = served.signed_sms("+16135550124", "Voici ma joue ce matin, c'est normal ?", "SMph1")
    assert answer.status_code == 200
    with Session(served.engine) as session:
        reply = session.exec(select(InboundMessage)).one()
    assert patient.id is not None and reply.id is not None
    photo = add_photo(served.engine, reply.id, patient.id, cheek_photo(), now=now)

    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, served.url)
    page.goto(f"{served.url}/patients/{patient.id}")
    thumbnail = page.locator(f'img[src="/photos/{photo}/thumbnail"]')
    thumbnail.scroll_into_view_if_needed()
    # Loaded: the browser fetched it with the staff session (an image that failed has width 0).
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle()
    )
    assert thumbnail.evaluate("img => img.naturalWidth") == 320
    SHOT.parent.mkdir(parents=True, exist_ok=True)
    page.locator(f"#reply-{reply.id}").screenshot(path=str(SHOT))
    with context.expect_page() as opened:
        thumbnail.click()
    full = opened.value
    full.wait_for_load_state()
    assert full.url == f"{served.url}/photos/{photo}"
    assert full.evaluate("document.images[0].naturalWidth") == 1200
    # Signed out, the same address gives no photo.
    anonymous = browser.new_context()
    response = anonymous.new_page().goto(f"{served.url}/photos/{photo}")
    assert response is not None and not response.headers["content-type"].startswith("image/")
    anonymous.close()
    context.close()
