"""Practitioners and how to reach them when one of their patients needs a call."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from models import Practitioner
from scheduler.contacts import normalize_email, normalize_phone


def save_practitioner(
    session: Session,
    name: str,
    *,
    phone: str | None = None,
    email: str | None = None,
    now: datetime,
) -> Practitioner:
    """Create the practitioner, or update the contact details of the one with this name."""
    clean = " ".join(name.split())
    if not clean:
        raise ValueError("name: must not be empty")
    try:
        e164 = normalize_phone(phone) if phone else None
    except ValueError as exc:
        raise ValueError(f"phone: {exc}") from None
    try:
        address = normalize_email(email) if email else None
    except ValueError as exc:
        raise ValueError(f"email: {exc}") from None
    row = session.exec(select(Practitioner).where(Practitioner.name == clean)).first()
    if row is None:
        row = Practitioner(name=clean, created_at=now)
    if e164:
        row.phone = e164
    if address:
        row.email = address
    session.add(row)
    session.commit()
    return row


def list_practitioners(session: Session) -> list[Practitioner]:
    return list(session.exec(select(Practitioner).order_by(Practitioner.name)).all())
