"""Every JSON API route under /api, in one `router` for the app."""

from __future__ import annotations

from fastapi import APIRouter

from scheduler.web.api import alerts, messages, photos, replies, treatments

router = APIRouter()
PARTS = (treatments, messages, replies, photos, alerts)
for _part in PARTS:
    router.include_router(_part.router)
