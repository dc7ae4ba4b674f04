"""Turn an outbox row into a rendered, addressed message for its channel (no I/O)."""

from __future__ import annotations

import logging

from models import OutboundMessage, Patient, Treatment
from models.vocabulary import Medium
from scheduler.channels.base import OutgoingMessage
from scheduler.channels.media import MEDIA, address_of
from scheduler.contacts import display_phone
from scheduler.outbound.render import MessageContext, MessageRenderer, segment_limit
from scheduler.outbound.segments import count_segments
from scheduler.outbound.sms_fit import fit_sms
from scheduler.outbound.unsubscribe_tokens import unsubscribe_url
from scheduler.settings import Settings

log = logging.getLogger(__name__)


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
        segments = count_segments(parts[spec.text_part]).segments if spec.segmented else None
    else:
        parts = {
            part: renderer.render_tidy(treatment.kind, row.step, patient.language, part, context)
            for part in spec.parts
        }
        segments = None
    if spec.segmented and row.body is None:
        # Held to the limit here too: what the start-up check could not foresee (a long
        # clinic name, a name with no Latin spelling) costs sentences, never 7 segments.
        limit = segment_limit(patient.language)
        checkin = renderer.checkin(patient.language, spec.text_part, context)
        fitted = fit_sms(parts[spec.text_part], checkin, limit)
        where = f"message {row.id} ({treatment.kind} {row.step} {patient.language})"
        if fitted.trimmed:
            log.warning(
                "%s would cost %s segments, over the limit of %s: sent without %s sentence(s)",
                where,
                count_segments(parts[spec.text_part]).segments,
                limit,
                len(fitted.dropped),
            )
        if fitted.segments.segments > limit:
            log.error(
                "%s costs %s segments, over the limit of %s", where, fitted.segments.segments, limit
            )
        parts[spec.text_part] = fitted.text
        segments = fitted.segments.segments
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
    return message, segments
