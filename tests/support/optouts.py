"""Reading opt-outs in tests: when an address opted out (they are per phone and per email)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, select

from models import OptedOutAddress


def opted_out_at(engine: Engine, medium: str, address: str) -> datetime | None:
    """When this phone (medium "sms") or email ("email") opted out, or None."""
    key = address.casefold() if medium == "email" else address
    with Session(engine) as session:
        row = session.exec(
            select(OptedOutAddress).where(
                OptedOutAddress.medium == medium, OptedOutAddress.address == key
            )
        ).first()
        return row.opted_out_at if row else None
