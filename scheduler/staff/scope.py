"""Whose patients a caller sees: everyone's, or (PRACTITIONER_SEES_OWN_ONLY) a practitioner's own.

A practitioner's own patients are those with at least one treatment by that practitioner; all
of such a patient's data is then visible. A practitioner login linked to no practitioner record
sees nobody until an admin links it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, exists, false, true
from sqlalchemy.orm import Mapped, aliased
from sqlmodel import Session, col, select

from models import (
    Alert,
    InboundMessage,
    OutboundMessage,
    Patient,
    ReplyMedia,
    StaffUser,
    Treatment,
)
from models.vocabulary import Role


@dataclass(frozen=True)
class Scope:
    """Everyone (the default), or only the patients of `practitioner_id` (None: nobody)."""

    own_only: bool = False
    practitioner_id: int | None = None

    @property
    def everyone(self) -> bool:
        return not self.own_only


EVERYONE = Scope()


def scope_of(staff: StaffUser | None, *, own_only_setting: bool) -> Scope:
    """The scope of a staff member (None: a token, which acts for the whole clinic)."""
    if staff is None or not own_only_setting or staff.role != Role.PRACTITIONER:
        return EVERYONE
    return Scope(own_only=True, practitioner_id=staff.practitioner_id)


def visible(patient_id: Mapped[int] | Mapped[int | None], scope: Scope) -> ColumnElement[bool]:
    """SQL: the patient this column names is in the scope (a missing patient never is)."""
    if scope.everyone:
        return true()
    if scope.practitioner_id is None:
        return false()
    # An alias of its own: a query that already joins Treatment (the outbox) would otherwise
    # correlate this test to that one treatment instead of any of the patient's.
    own = aliased(Treatment, name="own_treatment")
    return exists().where(
        col(own.patient_id) == patient_id, col(own.practitioner_id) == scope.practitioner_id
    )


def patient_visible(session: Session, patient_id: int | None, scope: Scope) -> bool:
    """Whether this patient (None: an unknown sender) is in the scope."""
    if scope.everyone:
        return True
    if patient_id is None:
        return False
    query = select(Patient.id).where(Patient.id == patient_id, visible(col(Patient.id), scope))
    return session.exec(query).first() is not None


def _treatment_owner(session: Session, treatment_id: int) -> tuple[bool, int | None]:
    treatment = session.get(Treatment, treatment_id)
    return (treatment is not None, treatment.patient_id if treatment else None)


def _message_owner(session: Session, message_id: int) -> tuple[bool, int | None]:
    found = session.exec(
        select(Treatment.patient_id)
        .join(OutboundMessage, col(OutboundMessage.treatment_id) == Treatment.id)
        .where(OutboundMessage.id == message_id)
    ).first()
    return (found is not None, found)


def _reply_owner(session: Session, reply_id: int) -> tuple[bool, int | None]:
    reply = session.get(InboundMessage, reply_id)
    return (reply is not None, reply.patient_id if reply else None)


def _alert_owner(session: Session, alert_id: int) -> tuple[bool, int | None]:
    alert = session.get(Alert, alert_id)
    return (alert is not None, alert.patient_id if alert else None)


def _media_owner(session: Session, media_id: int) -> tuple[bool, int | None]:
    # The owner only: loading the row would read the photo's bytes too.
    query = select(ReplyMedia.id, ReplyMedia.patient_id).where(ReplyMedia.id == media_id)
    found = session.exec(query).first()
    return (found is not None, found[1] if found else None)


def _patient_owner(session: Session, patient_id: int) -> tuple[bool, int | None]:
    return (session.get(Patient, patient_id) is not None, patient_id)


# The path parameters that name a patient's record, and how to find whose it is.
OWNERS = {
    "patient_id": _patient_owner,
    "treatment_id": _treatment_owner,
    "message_id": _message_owner,
    "reply_id": _reply_owner,
    "alert_id": _alert_owner,
    "media_id": _media_owner,
}


@dataclass(frozen=True)
class Outside:
    """A record outside the caller's scope, and whose it is (None: an unknown sender's reply)."""

    patient_id: int | None


def outside_scope(session: Session, kind: str, ident: int, scope: Scope) -> Outside | None:
    """None when the record is in scope, or missing (the route answers 404 for that)."""
    if scope.everyone or kind not in OWNERS:
        return None
    found, owner = OWNERS[kind](session, ident)
    if not found or patient_visible(session, owner, scope):
        return None
    return Outside(owner)
