"""Photos are served only to a signed-in staff member or an API caller, never cached, always
audited, within the practitioner's scope; the pages show thumbnails and refusals."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import Engine
from sqlmodel import select

from models import StaffUser
from models.db import session_scope
from models.vocabulary import Role, TokenScope
from scheduler.settings import Settings
from scheduler.staff.api_tokens import create_token
from scheduler.web.app import create_app
from tests.support import photos
from tests.support.clinic import DAY1, Clinic, build_clinic
from tests.support.pages import audit_events, signed_in
from tests.support.settings import make_settings

PRIVATE = "private, no-store"


@pytest.fixture
def database_url(each_database_url: str) -> str:
    return each_database_url


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url, practitioner_sees_own_only=True)


@dataclass(frozen=True)
class World:
    clinic: Clinic
    photo: int  # Marc's JPEG (with GPS when sent)
    refused: int  # Marc's PDF
    token: str


@pytest.fixture
def world(engine: Engine, settings: Settings) -> World:
    clinic = build_clinic(engine, settings)
    reply = clinic.replies["marc_concern"]
    alert = clinic.alerts["marc_concern_escalated"]
    photo = photos.add_photo(
        engine, reply, clinic.marc, photos.jpeg_with_gps(), alert_id=alert, now=DAY1
    )
    refused = photos.add_photo(engine, reply, clinic.marc, photos.PDF, alert_id=alert, now=DAY1)
    with session_scope(engine) as session:
        token = create_token(session, "viewer", TokenScope.READ, by="t", now=DAY1).secret
    return World(clinic, photo, refused, token)


def photo_paths(media_id: int) -> list[str]:
    return [
        f"/photos/{media_id}",
        f"/photos/{media_id}/thumbnail",
        f"/api/photos/{media_id}",
        f"/api/photos/{media_id}/thumbnail",
    ]


@pytest.fixture
def anonymous(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(settings, engine), base_url="https://testserver") as client:
        yield client


def test_nobody_gets_a_photo_without_signing_in(anonymous: TestClient, world: World) -> None:
    for path in [*photo_paths(world.photo), *photo_paths(world.refused), *photo_paths(99999)]:
        response = anonymous.get(path, follow_redirects=False)
        assert response.status_code in (303, 401), (path, response.status_code)
        assert not response.headers["content-type"].startswith("image/"), path
        assert b"\xff\xd8" not in response.content[:4], path
        if path.startswith("/api/"):
            assert response.status_code == 401
        else:
            assert response.headers["location"].startswith("/login")
    # A wrong token is no better.
    response = anonymous.get(
        f"/api/photos/{world.photo}", headers={"Authorization": "Bearer not-a-token"}
    )
    assert response.status_code == 401


def test_staff_see_the_photo_privately_and_each_view_is_audited(
    settings: Settings, engine: Engine, world: World
) -> None:
    with signed_in(settings, engine) as pages:
        full = pages.client.get(f"/photos/{world.photo}")
        thumb = pages.client.get(f"/photos/{world.photo}/thumbnail")
        for response in (full, thumb):
            assert response.status_code == 200
            assert response.headers["cache-control"] == PRIVATE
            assert response.headers["x-content-type-options"] == "nosniff"
        assert full.headers["content-type"] == "image/jpeg"
        image = Image.open(io.BytesIO(full.content))
        assert image.size == (480, 640) and not image.getexif()  # upright, no GPS
        assert max(Image.open(io.BytesIO(thumb.content)).size) <= 320
        # A refused file has no bytes to serve.
        assert pages.client.get(f"/photos/{world.refused}").status_code == 404
    views = audit_events(engine, "view_photo")
    assert [(e.target, e.detail) for e in views] == [
        (f"patient:{world.clinic.marc}", f"photo:{world.photo}"),
        (f"patient:{world.clinic.marc}", f"photo:{world.photo} thumbnail"),
    ]


def test_an_api_token_gets_it_under_api_and_replies_list_their_media(
    anonymous: TestClient, world: World, engine: Engine
) -> None:
    auth = {"Authorization": f"Bearer {world.token}"}
    response = anonymous.get(f"/api/photos/{world.photo}", headers=auth)
    assert response.status_code == 200 and response.headers["cache-control"] == PRIVATE
    listed = anonymous.get(f"/api/replies?patient_id={world.clinic.marc}", headers=auth).json()
    [reply] = [r for r in listed["items"] if r["id"] == world.clinic.replies["marc_concern"]]
    kept, refused = reply["media"]
    assert kept["status"] == "stored" and kept["url"] == f"/api/photos/{world.photo}"
    assert kept["thumbnail_url"] == f"/api/photos/{world.photo}/thumbnail"
    assert refused["status"] == "refused" and refused["url"] is None
    assert refused["refusal"] == "not an image (JPEG, PNG, WebP or HEIC only)"
    assert [e.actor for e in audit_events(engine, "view_photo")] == ["token:viewer"]


def test_a_practitioner_sees_only_own_patients_photos(
    settings: Settings, engine: Engine, world: World
) -> None:
    # A practitioner login linked to Dr Roy (Éloïse's), not Dr Chen (Marc's).
    with signed_in(settings, engine, role=Role.PRACTITIONER) as pages:
        with session_scope(engine) as session:
            staff = session.exec(select(StaffUser)).one()
            staff.practitioner_id = world.clinic.roy
            session.add(staff)
        for path in photo_paths(world.photo):
            response = pages.client.get(path)
            assert response.status_code == 403, path
            assert not response.headers["content-type"].startswith("image/")


def test_the_pages_show_thumbnails_and_refusals(
    settings: Settings, engine: Engine, world: World
) -> None:
    thumb = f'src="/photos/{world.photo}/thumbnail"'
    refusal = "Attachment refused: not an image (JPEG, PNG, WebP or HEIC only)"
    with signed_in(settings, engine) as pages:
        for path in (
            f"/patients/{world.clinic.marc}",
            "/inbox?status=all",
            f"/alerts/{world.clinic.alerts['marc_concern_escalated']}",
            "/alerts?status=all",
            "/",
            "/today/live",
        ):
            response = pages.client.get(path)
            html = response.json()["html"] if path == "/today/live" else response.text
            assert thumb in html and f'href="/photos/{world.photo}"' in html, path
            assert refusal in html, path
    # Listing a photo is not viewing it: only the browser's image requests are audited.
    assert audit_events(engine, "view_photo") == []
