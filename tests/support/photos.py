"""Sample files patients send: real images made with Pillow (and pillow-heif), and others."""

from __future__ import annotations

import io
from datetime import datetime

import pillow_heif
from PIL import Image
from sqlalchemy import Engine

from models import ReplyMedia
from models.db import session_scope
from scheduler.inbound.photo_images import process_photo
from scheduler.inbound.photo_store import outcome_values

GPS_IFD = 0x8825
ORIENTATION = 0x0112
MAKE, MODEL = 0x010F, 0x0110
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _picture(width: int, height: int) -> Image.Image:
    """Left half red, right half blue: orientation is visible in the pixels."""
    image = Image.new("RGB", (width, height), (200, 30, 30))
    image.paste((30, 30, 200), (width // 2, 0, width, height))
    return image


def jpeg_with_gps(width: int = 640, height: int = 480, *, orientation: int = 6) -> bytes:
    """A phone photo: GPS position, camera make and model, rotated by its EXIF orientation."""
    image = _picture(width, height)
    exif = image.getexif()
    exif[ORIENTATION] = orientation
    exif[MAKE], exif[MODEL] = "Apple", "iPhone 15 Pro"
    exif[GPS_IFD] = {1: "N", 2: (45.0, 25.0, 12.5), 3: "W", 4: (75.0, 41.0, 30.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def png(width: int = 300, height: int = 200) -> bytes:
    out = io.BytesIO()
    _picture(width, height).convert("RGBA").save(out, "PNG")
    return out.getvalue()


def heic(width: int = 400, height: int = 300) -> bytes:
    out = io.BytesIO()
    pillow_heif.from_pillow(_picture(width, height)).save(out, quality=60)
    return out.getvalue()


def webp(width: int = 200, height: int = 200) -> bytes:
    out = io.BytesIO()
    _picture(width, height).save(out, "WEBP")
    return out.getvalue()


def big_jpeg(min_bytes: int) -> bytes:
    """A real JPEG of at least `min_bytes` (noise does not compress)."""
    side = 256
    while True:
        image = Image.effect_noise((side, side), 120).convert("RGB")
        out = io.BytesIO()
        image.save(out, "JPEG", quality=100)
        if out.tell() >= min_bytes:
            return out.getvalue()
        side *= 2


def add_photo(
    engine: Engine,
    inbound_id: int,
    patient_id: int | None,
    raw: bytes,
    *,
    alert_id: int | None = None,
    now: datetime,
) -> int:
    """A reply's file as the photo job or the mailbox would have kept (or refused) it."""
    outcome = process_photo(raw, max_bytes=10 * 1024 * 1024)
    values = outcome_values(outcome, now)
    with session_scope(engine) as session:
        row = ReplyMedia(
            inbound_id=inbound_id, patient_id=patient_id, alert_id=alert_id, created_at=now
        )
        for name, value in values.items():
            setattr(row, name, value)
        session.add(row)
        session.flush()
        assert row.id is not None
        return row.id
