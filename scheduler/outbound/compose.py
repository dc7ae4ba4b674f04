"""Turn an outbox row into a rendered, addressed message for its channel (no I/O)."""

from __future__ import annotations

from models import OutboundMessage, Patient, Treatment
from scheduler.channels.base import OutgoingMessage
from scheduler.contacts import display_phone
from scheduler.outbound.render import MessageContext, MessageRenderer
from scheduler.outbound.unsubscribe_tokens import unsubscribe_url
from scheduler.settings import Settings


def first_name(full_name: str) -> str:
    parts = full_name.split()
    return parts[0] if parts else full_name


def message_context(patient: Patient, settings: Settings) -> MessageContext:
    assert patient.id is not None
    return MessageContext(
        first_name=first_name(patient.name),
        clinic_name=settings.clinic_name,
        clinic_phone=display_phone(settings.clinic_phone),
        unsubscribe_url=unsubscribe_url(
            settings.public_base_url, settings.secret_key.get_secret_value(), patient.id
        ),
    )


def compose(
    row: OutboundMessage,
    treatment: Treatment,
    patient: Patient,
    *,
    settings: Settings,
    renderer: MessageRenderer,
) -> tuple[OutgoingMessage, int | None]:
    """The message to hand to the channel, and its SMS segment count (None for email)."""
    assert row.id is not None
    context = message_context(patient, settings)
    if row.channel == "sms":
        sms = renderer.sms(treatment.kind, row.step, patient.language, context)
        message = OutgoingMessage(
            outbox_id=row.id,
            medium="sms",
            to=patient.phone,
            text=sms.text,
            previous_error_code=row.error_code,
        )
        return message, sms.segments.segments
    if not patient.email:
        raise ValueError("patient has no email address")
    email = renderer.email(treatment.kind, row.step, patient.language, context)
    message = OutgoingMessage(
        outbox_id=row.id,
        medium="email",
        to=patient.email,
        text=email.text,
        subject=email.subject,
        html=email.html,
        unsubscribe_url=context.unsubscribe_url,
        previous_error_code=row.error_code,
    )
    return message, None
