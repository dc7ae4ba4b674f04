"""Render follow-up message templates (SMS and email) from `templates/messages/`.

Templates are looked up in the clinic's folder (CLINIC_TEMPLATES_DIR) first, then in the shipped
ones, so that a clinic can reword any message, check-in or footer without forking.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    UndefinedError,
    meta,
)
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import escape

from scheduler.channels.media import ALL_PARTS, MEDIA
from scheduler.outbound.segments import SegmentInfo, count_segments
from scheduler.outbound.transliterate import non_gsm7, to_gsm7
from scheduler.outbound.wording import FILTERS
from scheduler.shipped import Origin, origin_of, search_path, templates_dir

Part = str  # a template part a medium declares (scheduler.channels.media)
PARTS: tuple[Part, ...] = ALL_PARTS
# Parts priced per SMS segment: their names are spelled in GSM-7 (transliterate.py).
SEGMENTED_PARTS: frozenset[Part] = frozenset(s.text_part for s in MEDIA.values() if s.segmented)

# Three GSM-7 segments (459 septets) in both languages: the text, the care tips and the 1/2/3
# check-in. A UCS-2 character (a name with ç or î, a curly quote) would cost 7: see segments.py.
SMS_SEGMENT_LIMITS: Mapping[str, int] = {"en": 3, "fr": 3}
DEFAULT_SMS_SEGMENT_LIMIT = 3

# The opt-out keyword carriers honour; French uses ARRET without an accent to stay GSM-7.
STOP_KEYWORDS: Mapping[str, str] = {"en": "STOP", "fr": "ARRET"}
DEFAULT_STOP_KEYWORD = "STOP"

# Names end up in a filesystem path, so keep them to plain slugs.
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class RenderError(Exception):
    """A message template could not be rendered."""


class MessageTemplateNotFound(RenderError, TemplateNotFound):
    """The template for a (language, kind, step, part) does not exist."""

    def __init__(self, name: str, where: str) -> None:
        TemplateNotFound.__init__(
            self, name, f"message template not found: {name} (looked in {where})"
        )


class MessageUndefinedError(RenderError):
    """A template used a variable the message context does not provide."""


@dataclass(frozen=True)
class MessageContext:
    """The only variables every message template receives."""

    first_name: str
    clinic_name: str
    clinic_phone: str  # already formatted for display, e.g. "613-555-0100"
    unsubscribe_url: str  # https link, used by email templates
    clinic_address: str = ""  # the mailing address in email footers (CASL); may be empty


# The patient every check and preview renders for: a long French first name with accents.
SAMPLE_CONTEXT = MessageContext(
    first_name="Marie-Josée",
    clinic_name="Clinique Esthétique Ottawa",
    clinic_phone="613-555-0100",
    unsubscribe_url="https://clinic.example/unsubscribe/sample-token",
    clinic_address="123 Bank St, Ottawa ON K1P 1A1",
)


def sms_context(ctx: MessageContext) -> MessageContext:
    """The context an SMS is rendered with: a name never changes the text's encoding."""
    return dataclasses.replace(
        ctx, first_name=to_gsm7(ctx.first_name), clinic_name=to_gsm7(ctx.clinic_name)
    )


def segment_limit(language: str) -> int:
    """How many SMS segments a message in `language` may cost."""
    return SMS_SEGMENT_LIMITS.get(language, DEFAULT_SMS_SEGMENT_LIMIT)


@dataclass(frozen=True)
class TemplateFile:
    """A template a text was rendered from, and whether it is the clinic's or the shipped one."""

    name: str
    path: Path
    origin: Origin


@dataclass(frozen=True)
class RenderedSms:
    """An SMS body and what it costs."""

    text: str
    segments: SegmentInfo


@dataclass(frozen=True)
class RenderedEmail:
    """A one-line subject with matching plain-text and HTML bodies."""

    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class TemplateProblem:
    """One thing wrong with one message template, as found by `MessageRenderer.check_all`."""

    kind: str
    step: str
    language: str
    part: Part
    message: str

    def __str__(self) -> str:
        return f"{self.language}/{self.kind}/{self.step}.{self.part}: {self.message}"


def default_templates_dir() -> Path:
    """The shipped templates (see `scheduler.shipped`)."""
    return templates_dir()


def template_loader(search: list[Path]) -> BaseLoader:
    """The first folder that has a template wins: the clinic's, then the shipped one."""
    return ChoiceLoader([FileSystemLoader(folder, encoding="utf-8") for folder in search])


def template_name(kind: str, step: str, language: str, part: Part) -> str:
    """Loader name of one message template, e.g. `messages/fr/microneedling/day3.sms.j2`."""
    for label, value in (("kind", kind), ("step", step), ("language", language)):
        if not _NAME.match(value):
            raise RenderError(f"invalid {label} {value!r}: expected a lowercase slug")
    return f"messages/{language}/{kind}/{step}.{part}.j2"


def checkin_name(language: str, part: Part) -> str:
    """The shared 1/2/3 check-in a language's messages include for one part."""
    return f"messages/{language}/_checkin.{part}.j2"


def _autoescape(name: str | None) -> bool:
    return name is not None and name.endswith("email_html.j2")


def _tidy_lines(text: str) -> str:
    """Strip the ends and every line's trailing whitespace."""
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def _one_line(text: str) -> str:
    return " ".join(text.split())


def tidy(part: Part, raw: str) -> str:
    """A rendered part as sent: `*_subject` on one line, `*_html` and `*_text` ending in one
    newline (as mail bodies do), any other part (an SMS) tidied with no trailing newline."""
    if part.endswith("_subject"):
        return _one_line(raw)
    if part.endswith("_html"):
        return raw.strip() + "\n"
    if part.endswith("_text"):
        return _tidy_lines(raw) + "\n"
    return _tidy_lines(raw)


class MessageRenderer:
    """Renders message templates in a sandbox; one instance caches compiled templates."""

    def __init__(
        self, templates_dir: Path | None = None, *, clinic_dir: Path | None = None
    ) -> None:
        self.templates_dir = templates_dir or default_templates_dir()
        self.clinic_dir = clinic_dir
        self._env = ImmutableSandboxedEnvironment(
            loader=template_loader(search_path(clinic_dir, self.templates_dir)),
            undefined=StrictUndefined,
            autoescape=_autoescape,
            keep_trailing_newline=False,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._env.filters.update(FILTERS)

    def _where(self) -> str:
        return " or ".join(str(p) for p in search_path(self.clinic_dir, self.templates_dir))

    def render_part(
        self, kind: str, step: str, language: str, part: Part, ctx: MessageContext
    ) -> str:
        """Render one template untidied; raises a `RenderError` subclass on any failure."""
        name = template_name(kind, step, language, part)
        if part in SEGMENTED_PARTS:
            ctx = sms_context(ctx)
        try:
            template = self._env.get_template(name)
            return template.render(dataclasses.asdict(ctx))
        except TemplateNotFound as exc:
            raise MessageTemplateNotFound(name, self._where()) from exc
        except UndefinedError as exc:
            raise MessageUndefinedError(f"{name}: undefined variable: {exc.message}") from exc
        except TemplateError as exc:
            raise RenderError(f"{name}: {type(exc).__name__}: {exc.message}") from exc

    def render_tidy(
        self, kind: str, step: str, language: str, part: Part, ctx: MessageContext
    ) -> str:
        """Render one part as it is sent: a subject on one line, bodies without stray blanks."""
        return tidy(part, self.render_part(kind, step, language, part, ctx))

    def staff_part(self, language: str, part: Part, ctx: MessageContext, body: str) -> str:
        """One part of a message staff wrote: their text in the clinic's frame (greeting,
        signature, footer), from `templates/staff/<lang>/message.<part>.j2`."""
        name = f"staff/{language}/message.{part}.j2"
        try:
            rendered = self._env.get_template(name).render(
                {**dataclasses.asdict(ctx), "body": body}
            )
        except TemplateNotFound as exc:
            raise MessageTemplateNotFound(name, self._where()) from exc
        except TemplateError as exc:
            raise RenderError(f"{name}: {type(exc).__name__}: {exc.message}") from exc
        return tidy(part, rendered)

    def sms(self, kind: str, step: str, language: str, ctx: MessageContext) -> RenderedSms:
        """Render an SMS body and count its segments."""
        text = self.render_tidy(kind, step, language, "sms", ctx)
        return RenderedSms(text=text, segments=count_segments(text))

    def email(self, kind: str, step: str, language: str, ctx: MessageContext) -> RenderedEmail:
        """Render an email's subject, plain-text body and HTML body."""
        subject, text, html = (
            self.render_tidy(kind, step, language, part, ctx)
            for part in ("email_subject", "email_text", "email_html")
        )
        return RenderedEmail(subject=subject, text=text, html=html)

    def check_all(
        self,
        steps_by_kind: Mapping[str, Sequence[str]],
        languages: Sequence[str],
        ctx: MessageContext,
    ) -> list[TemplateProblem]:
        """Render every (kind, step, language, part) and list what is wrong; empty means fine."""
        problems: list[TemplateProblem] = []
        for kind, steps in steps_by_kind.items():
            for step in steps:
                for language in languages:
                    for part in PARTS:
                        for message in self._part_problems(kind, step, language, part, ctx):
                            problems.append(TemplateProblem(kind, step, language, part, message))
        return problems

    def _part_problems(
        self, kind: str, step: str, language: str, part: Part, ctx: MessageContext
    ) -> list[str]:
        try:
            raw = self.render_part(kind, step, language, part, ctx)
        except MessageTemplateNotFound:
            return ["missing template"]
        except RenderError as exc:
            return [str(exc)]

        if part == "email_subject":
            return [] if _one_line(raw) else ["empty subject"]

        body = _tidy_lines(raw)
        html = part == "email_html"
        problems: list[str] = []
        if part in SEGMENTED_PARTS:
            ctx = sms_context(ctx)
            info = count_segments(body)
            limit = segment_limit(language)
            if info.segments > limit:
                why = ""
                if info.encoding == "UCS-2":
                    why = f" because of {' '.join(map(repr, non_gsm7(body)))}"
                problems.append(
                    f"SMS is {info.segments} segments ({info.encoding}{why}, {info.units} units);"
                    f" the limit for {language!r} is {limit}"
                )
        keyword = STOP_KEYWORDS.get(language, DEFAULT_STOP_KEYWORD)
        if not re.search(rf"\b{keyword}\b", body):
            problems.append(f"missing opt-out instructions (keyword {keyword})")
        if _expected(ctx.clinic_name, html) not in body:
            problems.append("missing clinic name")
        if part != "sms" and _expected(ctx.unsubscribe_url, html) not in body:
            problems.append("missing unsubscribe link")
        checkin = self._checkin(language, part, ctx)
        if checkin is None:
            problems.append(f"missing {checkin_name(language, part)}")
        elif checkin not in body:
            problems.append(f"missing the 1/2/3 check-in ({checkin_name(language, part)})")
        return problems

    def _checkin(self, language: str, part: Part, ctx: MessageContext) -> str | None:
        """The check-in every message must end with, as rendered on its own."""
        if part in SEGMENTED_PARTS:
            ctx = sms_context(ctx)
        try:
            template = self._env.get_template(checkin_name(language, part))
            return _tidy_lines(template.render(dataclasses.asdict(ctx)))
        except TemplateNotFound:
            return None

    def checkin(self, language: str, part: Part, ctx: MessageContext) -> str | None:
        """The 1/2/3 check-in of one part as it ends a message, or None when it has none."""
        try:
            return self._checkin(language, part, ctx)
        except TemplateError as exc:
            raise RenderError(f"{checkin_name(language, part)}: {exc}") from exc

    def files(self, kind: str, step: str, language: str, part: Part) -> list[TemplateFile]:
        """The file one part is rendered from, then the files it includes, each with its origin."""
        loader = self._env.loader
        assert loader is not None  # set in __init__
        found: list[TemplateFile] = []
        pending = [template_name(kind, step, language, part)]
        while pending:
            name = pending.pop(0)
            if any(f.name == name for f in found):
                continue
            try:
                source, filename, _ = loader.get_source(self._env, name)
            except TemplateNotFound as exc:
                raise MessageTemplateNotFound(name, self._where()) from exc
            path = Path(filename or name)
            found.append(TemplateFile(name, path, origin_of(path, self.clinic_dir)))
            parsed = self._env.parse(source)
            pending += [n for n in meta.find_referenced_templates(parsed) if n is not None]
        return found


def _expected(value: str, html: bool) -> str:
    """How a context value appears in the output: escaped in HTML, as-is elsewhere."""
    return str(escape(value)) if html else value
