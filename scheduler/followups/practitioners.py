"""Practitioners and how to reach them when one of their patients needs a call."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from models import Practitioner
from models.vocabulary import LANGUAGES
from scheduler.contacts import normalize_email, normalize_phone


def name_key(name: str) -> str:
    """What makes two spellings one practitioner: "Dr Roy", "dr  roy" and "DR ROY" are one."""
    return " ".join(name.split()).casefold()


def find_practitioner(session: Session, name: str) -> Practitioner | None:
    """The practitioner this name means, however it is capitalised or spaced."""
    # A clinic has a handful of practitioners; matching in Python casefolds accents too,
    # which SQLite's lower() does not.
    wanted = name_key(name)
    rows = session.exec(select(Practitioner).order_by(col(Practitioner.id))).all()
    return next((row for row in rows if name_key(row.name) == wanted), None)


def save_practitioner(
    session: Session,
    name: str,
    *,
    phone: str | None = None,
    email: str | None = None,
    language: str | None = None,
    now: datetime,
) -> Practitioner:
    """Create the practitioner, or update the contact details of the one with this name
    (matched as `name_key` does: case and spacing do not make a new practitioner)."""
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
    if language is not None and language.strip().lower() not in LANGUAGES:
        raise ValueError(f"language: unknown language {language!r} (use {' or '.join(LANGUAGES)})")
    row = find_practitioner(session, clean)
    if row is None:
        row = Practitioner(name=clean, created_at=now)
    if language is not None:
        row.language = language.strip().lower()
    if e164:
        row.phone = e164
    if address:
        row.email = address
    session.add(row)
    session.commit()
    return row


def list_practitioners(session: Session) -> list[Practitioner]:
    return list(session.exec(select(Practitioner).order_by(Practitioner.name)).all())


def unreachable_practitioners(session: Session) -> list[Practitioner]:
    """Active practitioners with neither phone nor email: their alerts can page nobody."""
    query = select(Practitioner).where(
        col(Practitioner.active),
        col(Practitioner.phone).is_(None) | (col(Practitioner.phone) == ""),
        col(Practitioner.email).is_(None) | (col(Practitioner.email) == ""),
    )
    return list(session.exec(query.order_by(Practitioner.name)).all())
