"""Every staff page in one `router` for the app, and the stylesheet they share."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.staticfiles import StaticFiles

from scheduler.web.pages import (
    admin,
    admin_staff,
    admin_tokens,
    alert,
    conversation,
    csv_upload,
    language,
    lists,
    login,
    patient,
    patient_privacy,
    photos,
    register,
    today,
)
from scheduler.web.pages.rendering import STATIC_DIR

router = APIRouter(include_in_schema=False)
PARTS = (
    today,
    login,
    register,
    patient,
    patient_privacy,
    conversation,
    alert,
    photos,
    lists,
    csv_upload,
    admin,
    admin_staff,
    admin_tokens,
    language,
)
for _part in PARTS:
    router.include_router(_part.router)

STATIC_PATH = "/static"


def static_files() -> StaticFiles:
    """The pages' stylesheet, mounted by the app at `STATIC_PATH`."""
    return StaticFiles(directory=STATIC_DIR)
