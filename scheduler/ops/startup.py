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
from scheduler.followups.plan import KINDS
from scheduler.followups.practitioners import unreachable_practitioners
from scheduler.inbound.notice_texts import NoticeRenderer
from scheduler.ops.runtime import StartupError, describe_db_error
from scheduler.ops.verdicts import CheckResult, fail, listing, ok, warn
from scheduler.outbound.render import SAMPLE_CONTEXT, MessageContext, MessageRenderer, RenderError
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
        check_message_templates(settings, renderer),
        check_staff_templates(renderer),
        check_notice_templates(notices),
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
    name = "templates"
    steps = {kind: [step.name for step in spec.steps] for kind, spec in KINDS.items()}
    problems = renderer.check_all(steps, LANGUAGES, SAMPLE_CONTEXT)
    if problems:
        return fail(name, listing(problems) + " (fix templates/messages/)")
    # The sample name is fixed; this clinic's own name may push an SMS into one more segment.
    # That costs money, not correctness, so it is a warning rather than a refusal to start.
    extra = renderer.check_all(steps, LANGUAGES, clinic_context(settings))
    if extra:
        return warn(name, f"with CLINIC_NAME={settings.clinic_name!r}: {listing(extra)}")
    count = sum(len(names) for names in steps.values()) * len(LANGUAGES)
    return ok(name, f"{count} messages render in {', '.join(LANGUAGES)}, every part")


def check_notice_templates(notices: NoticeRenderer) -> CheckResult:
    name = "answers and alerts"
    problems = notices.check_all()
    if problems:
        return fail(name, listing(problems) + " (fix templates/replies/ or templates/alerts/)")
    return ok(name, "every answer to a reply and every practitioner alert renders")


def clinic_context(settings: Settings) -> MessageContext:
    phone = display_phone(settings.clinic_phone)
    return replace(SAMPLE_CONTEXT, clinic_name=settings.clinic_name, clinic_phone=phone)


def checked_renderer(settings: Settings, engine: Engine | None = None) -> MessageRenderer:
    """A renderer whose every template was rendered once; refuses to start on any FAIL."""
    renderer = MessageRenderer()
    results = startup_checks(settings, renderer, NoticeRenderer(), engine)
    failures = [result for result in results if result.level == "FAIL"]
    if failures:
        lines = "\n".join(f"  - {result.name}: {result.detail}" for result in failures)
        raise StartupError(f"the service cannot start:\n{lines}")
    for result in results:
        if result.level == "warn":
            log.warning("%s: %s", result.name, result.detail)
    return renderer
