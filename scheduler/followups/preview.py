"""`aftercare preview`: every message rendered for a sample patient, with SMS segment counts."""

from __future__ import annotations

from models.vocabulary import LANGUAGES
from scheduler.contacts import display_phone
from scheduler.followups.plan import KINDS
from scheduler.outbound.render import MessageContext, MessageRenderer
from scheduler.settings import Settings

SAMPLE_NAMES = {"en": "Alex", "fr": "Marie-Josée"}


class PreviewError(ValueError):
    """Unknown language, step or kind asked for."""


def render_preview(
    settings: Settings, *, kind: str, language: str | None = None, step: str | None = None
) -> str:
    if kind not in KINDS:
        raise PreviewError(f"unknown treatment kind {kind!r} (known: {', '.join(KINDS)})")
    steps = [s.name for s in KINDS[kind].steps]
    if language is not None and language not in LANGUAGES:
        raise PreviewError(f"unknown language {language!r} (use {' or '.join(LANGUAGES)})")
    if step is not None and step not in steps:
        raise PreviewError(f"unknown step {step!r} (use {', '.join(steps)})")
    renderer = MessageRenderer()
    out: list[str] = []
    for lang in [language] if language else LANGUAGES:
        context = MessageContext(
            first_name=SAMPLE_NAMES[lang],
            clinic_name=settings.clinic_name,
            clinic_phone=display_phone(settings.clinic_phone),
            unsubscribe_url=f"{settings.public_base_url}/unsubscribe/SAMPLE",
        )
        for name in [step] if step else steps:
            sms = renderer.sms(kind, name, lang, context)
            seg = sms.segments
            email = renderer.email(kind, name, lang, context)
            out += [
                f"=== {kind} {name} [{lang}] SMS: {seg.segments} segment(s), "
                f"{seg.encoding}, {seg.units} units",
                sms.text,
                "",
                f"=== {kind} {name} [{lang}] email",
                f"Subject: {email.subject}",
                "",
                email.text,
                "",
            ]
    return "\n".join(out).rstrip() + "\n"
