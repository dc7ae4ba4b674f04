"""What the JSON API returns: public shapes of the tables, built from the read-side queries."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime
from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from models import Alert, InboundMessage, OutboundMessage, Patient, PatientBase, Practitioner
from models import Treatment as TreatmentRowModel
from models.vocabulary import Medium
from scheduler.outbound.outbox import MessageRow
from scheduler.outbound.staff_messages import MAX_TEXT
from scheduler.staff import queries
from scheduler.staff.photos import PhotoFacts

T = TypeVar("T")
R = TypeVar("R")

# Every time leaves the API in UTC, whatever zone the object in hand carried.
UTCTime = Annotated[datetime, AfterValidator(lambda moment: moment.astimezone(UTC))]


class PublicModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class PatientPublic(PatientBase):
    id: int
    consent_source: str
    consent_at: UTCTime
    created_at: UTCTime
    # The media whose address (this patient's phone or email) asked for no more follow-ups.
    opted_out: list[str] = Field(default_factory=list)


class PatientBrief(PublicModel):
    id: int
    name: str


class PractitionerPublic(PublicModel):
    id: int
    name: str


class MessagePublic(PublicModel):
    """One outbox row: a scheduled, sent or closed follow-up message."""

    id: int
    treatment_id: int
    step: str
    channel: str
    status: str
    due_at: UTCTime
    expires_at: UTCTime
    next_attempt_at: UTCTime
    attempts: int
    sent_at: UTCTime | None
    provider_id: str | None
    segments: int | None
    delivery_status: str | None
    error_code: str | None
    last_error: str | None
    updated_at: UTCTime
    body: str | None = None  # a message staff wrote (follow-ups come from their templates)
    sent_by: str | None = None
    reply_to_id: int | None = None


class StaffMessageCreate(BaseModel):
    """A message to a patient, written by staff; it goes through the outbox."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_TEXT)
    channel: Medium
    reply_to_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class MessageListItem(MessagePublic):
    patient: PatientBrief


class TreatmentPublic(PublicModel):
    id: int
    patient_id: int
    practitioner_id: int | None
    kind: str
    performed_at: UTCTime
    status: str
    created_at: UTCTime
    cancelled_at: UTCTime | None


class TreatmentListItem(TreatmentPublic):
    patient: PatientPublic
    practitioner: PractitionerPublic | None


class TreatmentDetailPublic(TreatmentListItem):
    messages: list[MessagePublic]


class TreatmentCreated(TreatmentDetailPublic):
    warnings: list[str] = Field(default_factory=list)


class CancelResult(PublicModel):
    treatment: TreatmentPublic
    cancelled_messages: int = Field(description="pending messages that will now not be sent")


class PhotoPublic(PublicModel):
    """A photo the reply carried: kept (with its URLs under /api), pending, or refused."""

    id: int
    status: str = Field(description="pending | stored | refused")
    refusal: str | None = Field(description="why it was not kept (refused), or the last error")
    content_type: str | None
    width: int | None
    height: int | None
    size_bytes: int | None
    url: str | None = Field(description="the photo, for a token or staff session (stored only)")
    thumbnail_url: str | None


def photo_public(facts: PhotoFacts) -> PhotoPublic:
    base = f"/api/photos/{facts.id}"
    return PhotoPublic(
        id=facts.id,
        status=facts.status,
        refusal=facts.refusal,
        content_type=facts.content_type,
        width=facts.width,
        height=facts.height,
        size_bytes=facts.size_bytes,
        url=base if facts.stored else None,
        thumbnail_url=f"{base}/thumbnail" if facts.stored else None,
    )


class ReplyPublic(PublicModel):
    """A patient's reply as staff see it in the inbox."""

    id: int
    patient: PatientBrief | None = Field(description="None when the sender is not a patient")
    treatment_id: int | None
    practitioner: PractitionerPublic | None
    channel: str
    from_address: str
    body: str
    media_urls: list[str] = Field(description="Twilio's media URLs as received (need its login)")
    media: list[PhotoPublic] = Field(default_factory=list)
    keyword: str | None
    level: str | None
    reasons: list[str]
    auto_reply: str | None
    received_at: UTCTime
    handled_at: UTCTime | None
    handled_by: str | None
    alert_id: int | None
    sender_verified: bool = Field(
        description="False: an email from an unknown or unauthenticated sender; nothing was "
        "done on its word (no opt-out, alert or answer)"
    )


class AlertPublic(PublicModel):
    """A reply that needs a practitioner, and where it is in notify / escalate / acknowledge."""

    id: int
    inbound_id: int
    patient: PatientBrief | None
    treatment_id: int | None
    practitioner: PractitionerPublic | None
    level: str
    reasons: list[str]
    status: str
    reply_body: str
    created_at: UTCTime
    notified_at: UTCTime | None
    notify_error: str | None
    escalated_at: UTCTime | None
    escalated_to: str | None
    acknowledged_at: UTCTime | None
    acknowledged_by: str | None


class Page(BaseModel, Generic[T]):
    """One page of a list; `total` counts the whole filtered list."""

    items: list[T]
    total: int
    page: int
    per_page: int
    pages: int


def page_of(found: queries.Page[R], convert: Callable[[R], T]) -> Page[T]:
    return Page[T](
        items=[convert(item) for item in found.items],
        total=found.total,
        page=found.page,
        per_page=found.per_page,
        pages=found.pages,
    )


def json_list(text: str | None) -> list[str]:
    """A JSON list column as strings; anything else (legacy, hand-edited) kept as one item."""
    if not text:
        return []
    try:
        value = json.loads(text)
    except ValueError:
        return [text]
    if isinstance(value, list):
        return [str(item) for item in value]
    return [str(value)]


def _brief(patient: Patient | None) -> PatientBrief | None:
    return PatientBrief.model_validate(patient) if patient is not None else None


def _practitioner(practitioner: Practitioner | None) -> PractitionerPublic | None:
    return PractitionerPublic.model_validate(practitioner) if practitioner is not None else None


def patient_public(patient: Patient, opted_out: Collection[str] = ()) -> PatientPublic:
    found = PatientPublic.model_validate(patient)
    found.opted_out = sorted(opted_out)
    return found


def message_public(message: OutboundMessage) -> MessagePublic:
    return MessagePublic.model_validate(message)


def message_item(row: MessageRow) -> MessageListItem:
    base = MessagePublic.model_validate(row.message).model_dump()
    return MessageListItem(**base, patient=PatientBrief.model_validate(row.patient))


def treatment_public(treatment: TreatmentRowModel) -> TreatmentPublic:
    return TreatmentPublic.model_validate(treatment)


def treatment_item(row: queries.TreatmentRow, opted_out: Collection[str] = ()) -> TreatmentListItem:
    return TreatmentListItem(
        **treatment_public(row.treatment).model_dump(),
        patient=patient_public(row.patient, opted_out),
        practitioner=_practitioner(row.practitioner),
    )


def treatment_detail(
    treatment: TreatmentRowModel,
    patient: Patient,
    practitioner: Practitioner | None,
    messages: Sequence[OutboundMessage],
    opted_out: Collection[str] = (),
) -> TreatmentDetailPublic:
    return TreatmentDetailPublic(
        **treatment_public(treatment).model_dump(),
        patient=patient_public(patient, opted_out),
        practitioner=_practitioner(practitioner),
        messages=[message_public(m) for m in messages],
    )


def reply_public(row: queries.ReplyRow, photos: Sequence[PhotoFacts] = ()) -> ReplyPublic:
    reply: InboundMessage = row.reply
    assert reply.id is not None
    return ReplyPublic(
        id=reply.id,
        patient=_brief(row.patient),
        treatment_id=reply.treatment_id,
        practitioner=_practitioner(row.practitioner),
        channel=reply.channel,
        from_address=reply.from_address,
        body=reply.body,
        media_urls=json_list(reply.media_urls),
        media=[photo_public(facts) for facts in photos],
        keyword=reply.keyword,
        level=reply.level,
        reasons=json_list(reply.reasons),
        auto_reply=reply.auto_reply,
        received_at=reply.received_at,
        handled_at=reply.handled_at,
        handled_by=reply.handled_by,
        alert_id=row.alert.id if row.alert is not None else None,
        sender_verified=reply.sender_verified,
    )


def alert_public(row: queries.AlertRow) -> AlertPublic:
    alert: Alert = row.alert
    assert alert.id is not None
    return AlertPublic(
        id=alert.id,
        inbound_id=alert.inbound_id,
        patient=_brief(row.patient),
        treatment_id=alert.treatment_id,
        practitioner=_practitioner(row.practitioner),
        level=alert.level,
        reasons=json_list(alert.reasons),
        status=alert.status,
        reply_body=row.reply.body,
        created_at=alert.created_at,
        notified_at=alert.notified_at,
        notify_error=alert.notify_error,
        escalated_at=alert.escalated_at,
        escalated_to=alert.escalated_to,
        acknowledged_at=alert.acknowledged_at,
        acknowledged_by=alert.acknowledged_by,
    )
