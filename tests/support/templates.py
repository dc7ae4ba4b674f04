"""What the template tests render with: the shipped kind and a sample context."""

from __future__ import annotations

from scheduler.outbound.render import MessageContext

KIND = "microneedling"

SAMPLE = MessageContext(
    first_name="Marie-Josée",
    clinic_name="Clinique Esthétique Ottawa",
    clinic_phone="613-555-0100",
    unsubscribe_url="https://aftercare.example.ca/unsubscribe?token=abc123&channel=email",
)
