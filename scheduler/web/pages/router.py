"""Every staff page in one `router` for the app, and the stylesheet they share."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.staticfiles import StaticFiles

from scheduler.web.pages import (
    alert,
    conversation,
    csv_upload,
    lists,
    login,
    patient,
    register,
    today,
)
from scheduler.web.pages.rendering import STATIC_DIR

router = APIRouter(include_in_schema=False)
for _part in (today, login, register, patient, conversation, alert, lists, csv_upload):
    router.include_router(_part.router)

STATIC_PATH = "/static"


def static_files() -> StaticFiles:
    """The pages' stylesheet, mounted by the app at `STATIC_PATH`."""
    return StaticFiles(directory=STATIC_DIR)
