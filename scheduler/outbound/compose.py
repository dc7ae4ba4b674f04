"""Turn an outbox row into a rendered, addressed message for its channel (no I/O)."""

from __future__ import annotations

from models import OutboundMessage, Patient, Treatment
from models.vocabulary import Medium
from scheduler.channels.base import OutgoingMessage
from scheduler.channels.media import MEDIA, address_of
from scheduler.contacts import display_phone
from scheduler.outbound.render import MessageContext, MessageRenderer
from scheduler.outbound.segments import count_segments
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
        clinic_address=settings.clinic_address,
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
    """The message to hand to the channel, and its SMS segment count (None when not priced so)."""
    assert row.id is not None
    spec = MEDIA[Medium(row.channel)]
    address = address_of(patient, spec.name)
    if address is None:
        raise ValueError(f"patient has no {spec.address_field} for {spec.name}")
    context = message_context(patient, settings)
    if row.body is not None:  # a message staff wrote, in the clinic's frame
        parts = {
            part: renderer.staff_part(patient.language, part, context, row.body)
            for part in spec.parts
        }
    else:
        parts = {
            part: renderer.render_tidy(treatment.kind, row.step, patient.language, part, context)
            for part in spec.parts
        }
    message = OutgoingMessage(
        outbox_id=row.id,
        medium=spec.name,
        to=address,
        text=parts[spec.text_part],
        subject=parts[spec.subject_part] if spec.subject_part else None,
        html=parts[spec.html_part] if spec.html_part else None,
        unsubscribe_url=context.unsubscribe_url if spec.opt_out_link else None,
        previous_error_code=row.error_code,
    )
    segments = count_segments(message.text).segments if spec.segmented else None
    return message, segments
