"""The checks `aftercare serve` runs before it starts, and `aftercare check` runs too.

Both commands call `startup_checks`: a FAIL stops the service, a warn is logged at start and
printed by `check`.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from models.vocabulary import LANGUAGES
from scheduler.channels.media import ALL_PARTS
from scheduler.contacts import display_phone
from scheduler.followups.kinds import KindCatalog, KindError, cached_catalog, orphan_folders
from scheduler.followups.practitioners import unreachable_practitioners
from scheduler.inbound.notice_texts import NoticeRenderer
from scheduler.ops.runtime import StartupError, describe_db_error
from scheduler.ops.verdicts import CheckResult, fail, listing, ok, warn
from scheduler.outbound.render import SAMPLE_CONTEXT, MessageContext, MessageRenderer, RenderError
from scheduler.outbound.sample_names import longest_name
from scheduler.settings import Settings
from scheduler.staff.snippets import SnippetError, load_snippets

log = logging.getLogger(__name__)


def startup_checks(
    settings: Settings,
    renderer: MessageRenderer,
    notices: NoticeRenderer,
    engine: Engine | None,
) -> list[CheckResult]:
    """Every check the service needs to pass before it may start (`engine`: its database)."""
    return [
        check_kinds(renderer),
        check_message_templates(settings, renderer),
        check_staff_templates(renderer),
        check_notice_templates(notices),
        check_clinic_address(settings),
        check_paging(settings, engine),
    ]


def check_staff_templates(renderer: MessageRenderer) -> CheckResult:
    """The frame of messages staff write, and their quick answers, in every language."""
    name = "staff messages"
    problems: list[str] = []
    for language in LANGUAGES:
        for part in ALL_PARTS:
            try:
                text = renderer.staff_part(language, part, SAMPLE_CONTEXT, "Sample answer.")
            except RenderError as exc:
                problems.append(str(exc))
                continue
            if part != "email_subject" and "Sample answer." not in text:
                problems.append(f"staff/{language}/message.{part}.j2 leaves out the text")
        try:
            load_snippets(language)
        except SnippetError as exc:
            problems.append(str(exc))
    if problems:
        return fail(name, listing(problems) + " (fix templates/staff/ or templates/snippets/)")
    return ok(name, "the frame and the quick answers render in every language")


def renderer_kinds(renderer: MessageRenderer) -> KindCatalog:
    """The kinds found where this renderer finds its templates (the clinic's folder first)."""
    return cached_catalog(renderer.clinic_dir, renderer.templates_dir)


def check_kinds(renderer: MessageRenderer) -> CheckResult:
    """Every kind file reads and its steps make sense; messages without a kind are named."""
    name = "kinds"
    try:
        catalog = renderer_kinds(renderer)
    except KindError as exc:
        return fail(name, listing(list(exc.problems)) + " (fix kinds/<kind>.toml)")
    shown = ", ".join(f"{kind.name} ({kind.days()})" for kind in catalog.kinds.values())
    own = [kind.name for kind in catalog.kinds.values() if kind.origin == "clinic"]
    detail = shown + (f"; the clinic's own file for {', '.join(own)}" if own else "")
    orphans = orphan_folders(catalog, renderer.clinic_dir, renderer.templates_dir)
    if orphans:
        return warn(name, f"{detail}; {listing(orphans)} have no kinds/<kind>.toml: never sent")
    unsourced = [kind.name for kind in catalog.kinds.values() if not kind.sources]
    if unsourced:
        return warn(name, f"{detail}; no sources listed for {', '.join(unsourced)}")
    return ok(name, detail)


def check_clinic_address(settings: Settings) -> CheckResult:
    """CASL: commercial electronic messages carry the sender's mailing address."""
    name = "CLINIC_ADDRESS"
    if settings.clinic_address.strip():
        return ok(name, "in every email footer and the HELP answer")
    detail = "empty: CASL requires the clinic's mailing address in every email and HELP answer"
    return warn(name, detail) if settings.environment == "production" else ok(name, detail)


def check_paging(settings: Settings, engine: Engine | None) -> CheckResult:
    """An urgent alert must always reach someone: the practitioner, else the on-call contact."""
    name = "paging"
    if settings.oncall_phone or settings.oncall_email:
        return ok(name, "urgent alerts page the practitioner, and on-call when they cannot")
    if engine is None:
        return warn(name, "not checked (no database); ONCALL_PHONE and ONCALL_EMAIL are empty")
    try:
        with Session(engine) as session:
            nobody = [p.name for p in unreachable_practitioners(session)]
    except SQLAlchemyError as exc:
        return warn(name, f"not checked: {describe_db_error(exc)}")
    if nobody:
        detail = (
            f"ONCALL_PHONE and ONCALL_EMAIL are empty, and {', '.join(nobody)} "
            "has no phone or email (aftercare practitioner add NAME --phone ...): "
            "their patients' urgent alerts would page nobody"
        )
    else:
        detail = (
            "ONCALL_PHONE and ONCALL_EMAIL are empty: an urgent alert for a treatment "
            "registered without a practitioner would page nobody"
        )
    return fail(name, detail) if settings.environment == "production" else warn(name, detail)


def check_message_templates(settings: Settings, renderer: MessageRenderer) -> CheckResult:
    """Every step of every kind renders in every language and part, within the SMS limit."""
    name = "templates"
    try:
        steps = renderer_kinds(renderer).steps_by_kind()
    except KindError:
        return fail(name, "not checked: the kinds do not load (see kinds)")
    problems = renderer.check_all(steps, LANGUAGES, SAMPLE_CONTEXT)
    if problems:
        return fail(name, listing(problems) + " (fix templates/messages/)")
    # The sample names are fixed; this clinic's own name, with a long first name, may push an
    # SMS past the limit. Sending trims it (compose.py), so it is a warning, not a refusal.
    extra = renderer.check_all(steps, LANGUAGES, clinic_context(settings))
    if extra:
        return warn(
            name,
            f"with CLINIC_NAME={settings.clinic_name!r} and a first name like"
            f" {longest_name()!r}: {listing(extra)}",
        )
    count = sum(len(names) for names in steps.values()) * len(LANGUAGES)
    return ok(name, f"{count} messages render in {', '.join(LANGUAGES)}, every part")


def check_notice_templates(notices: NoticeRenderer) -> CheckResult:
    name = "answers and alerts"
    problems = notices.check_all()
    if problems:
        return fail(name, listing(problems) + " (fix templates/replies/ or templates/alerts/)")
    return ok(name, "every answer to a reply and every practitioner alert renders")


def clinic_context(settings: Settings) -> MessageContext:
    """This clinic's name and phone, with the longest common first name."""
    phone = display_phone(settings.clinic_phone)
    return replace(
        SAMPLE_CONTEXT,
        first_name=longest_name(),
        clinic_name=settings.clinic_name,
        clinic_phone=phone,
        clinic_address=settings.clinic_address or SAMPLE_CONTEXT.clinic_address,
    )


def checked_renderer(settings: Settings, engine: Engine | None = None) -> MessageRenderer:
    """A renderer whose every template was rendered once; refuses to start on any FAIL."""
    renderer = MessageRenderer(clinic_dir=settings.clinic_templates_dir)
    notices = NoticeRenderer(clinic_dir=settings.clinic_templates_dir)
    results = startup_checks(settings, renderer, notices, engine)
    failures = [result for result in results if result.level == "FAIL"]
    if failures:
        lines = "\n".join(f"  - {result.name}: {result.detail}" for result in failures)
        raise StartupError(f"the service cannot start:\n{lines}")
    for result in results:
        if result.level == "warn":
            log.warning("%s: %s", result.name, result.detail)
    return renderer
