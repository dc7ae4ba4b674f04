"""`aftercare preview` and `aftercare kinds`: every message rendered, what it costs, where from."""

from __future__ import annotations

from models.vocabulary import LANGUAGES
from scheduler.contacts import display_phone
from scheduler.followups.kinds import KindCatalog, KindError, TreatmentKind, catalog_for
from scheduler.outbound.compose import first_name
from scheduler.outbound.render import (
    MessageContext,
    MessageRenderer,
    Part,
    TemplateFile,
    segment_limit,
    sms_context,
)
from scheduler.outbound.segments import count_segments
from scheduler.outbound.sms_fit import fit_sms
from scheduler.settings import Settings

SAMPLE_NAMES = {"en": "Alex", "fr": "Marie-Josée"}


class PreviewError(ValueError):
    """Unknown language, step or kind asked for, or kind files that do not load."""


def _catalog(settings: Settings) -> KindCatalog:
    try:
        return catalog_for(settings)
    except KindError as exc:
        raise PreviewError(f"the treatment kinds cannot be read: {exc}") from exc


def list_kinds(settings: Settings) -> str:
    """Every kind with its names, steps, staff notes and sources, and the file it comes from."""
    out: list[str] = []
    for kind in _catalog(settings).kinds.values():
        names = " / ".join(kind.names[lang] for lang in LANGUAGES if lang in kind.names)
        where = f"{kind.origin}: {kind.path}" if kind.origin == "clinic" else "shipped"
        out.append(f"{kind.name} — {names} ({where})")
        for step in kind.steps:
            out.append(
                f"  {step.name:<8} {step.label:<7} useful {step.useful_days} more day(s)"
                f" (until day {step.day + step.useful_days})"
            )
        signs = kind.signs
        if signs.expected or signs.urgent:
            out.append(
                f"  triage: {len(signs.expected)} expected effect(s),"
                f" {len(signs.urgent)} red flag(s)"
            )
        out.append(f"  sources: {len(kind.sources) or 'none listed'}")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def render_preview(
    settings: Settings,
    *,
    kind: str,
    language: str | None = None,
    step: str | None = None,
    name: str | None = None,
) -> str:
    """Every message of a kind as a patient would get it, with SMS costs and source files."""
    spec = _kind(settings, kind)
    steps = spec.step_names()
    if language is not None and language not in LANGUAGES:
        raise PreviewError(f"unknown language {language!r} (use {' or '.join(LANGUAGES)})")
    if step is not None and step not in steps:
        raise PreviewError(f"unknown step {step!r} of {kind} (use {', '.join(steps)})")
    if name is not None and not name.strip():
        raise PreviewError("--name must not be empty")
    renderer = MessageRenderer(clinic_dir=settings.clinic_templates_dir)
    where = "the clinic's" if spec.origin == "clinic" else "shipped"
    out = [f"# {kind}: {spec.display()}, {spec.days()} ({where} {spec.path})", ""]
    for lang in [language] if language else LANGUAGES:
        context = MessageContext(
            first_name=first_name(name) if name else SAMPLE_NAMES[lang],
            clinic_name=settings.clinic_name,
            clinic_phone=display_phone(settings.clinic_phone),
            unsubscribe_url=f"{settings.public_base_url}/unsubscribe/SAMPLE",
            clinic_address=settings.clinic_address,
        )
        for step_name in [step] if step else steps:
            out += _sms(renderer, kind, step_name, lang, context)
            out += _email(renderer, kind, step_name, lang, context)
    return "\n".join(out).rstrip() + "\n"


def _kind(settings: Settings, kind: str) -> TreatmentKind:
    try:
        return _catalog(settings).require(kind)
    except LookupError as exc:
        raise PreviewError(str(exc)) from exc


def _sms(
    renderer: MessageRenderer, kind: str, step: str, language: str, context: MessageContext
) -> list[str]:
    sms = renderer.sms(kind, step, language, context)
    limit = segment_limit(language)
    fitted = fit_sms(sms.text, renderer.checkin(language, "sms", context), limit)
    seg = fitted.segments
    spelled = sms_context(context).first_name
    as_sent = ""
    if spelled != context.first_name:
        # What the name would have cost as typed: the reason it is spelled in GSM-7.
        typed = count_segments(fitted.text.replace(spelled, context.first_name, 1))
        as_sent = f" (sent as {spelled!r}; as typed: {typed.segments} segment(s), {typed.encoding})"
    head = (
        f"=== {kind} {step} [{language}] SMS for {context.first_name!r}{as_sent}:"
        f" {seg.segments} segment(s) of {limit}, {seg.encoding}, {seg.units} units"
    )
    lines = [head, _sources(renderer.files(kind, step, language, "sms"))]
    if fitted.trimmed:
        lines.append(
            f"over the limit as written ({sms.segments.segments} segments): sent without"
            f" {len(fitted.dropped)} sentence(s): {' '.join(fitted.dropped)}"
        )
    return [*lines, fitted.text, ""]


def _email(
    renderer: MessageRenderer, kind: str, step: str, language: str, context: MessageContext
) -> list[str]:
    email = renderer.email(kind, step, language, context)
    parts: tuple[Part, ...] = ("email_subject", "email_text", "email_html")
    files = [f for part in parts for f in renderer.files(kind, step, language, part)]
    return [
        f"=== {kind} {step} [{language}] email",
        _sources(files),
        f"Subject: {email.subject}",
        "",
        email.text,
    ]


def _sources(files: list[TemplateFile]) -> str:
    """'from: messages/fr/ipl/day3.sms.j2 (shipped), messages/fr/_checkin.sms.j2 (clinic: …)'."""
    seen: dict[str, TemplateFile] = {f.name: f for f in files}
    shown = [
        f"{f.name} ({'clinic: ' + str(f.path) if f.origin == 'clinic' else 'shipped'})"
        for f in seen.values()
    ]
    return "from: " + ", ".join(shown)
