"""Short texts outside the follow-up plan: answers to patients' replies and practitioner alerts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, replace
from itertools import product
from pathlib import Path
from typing import Literal

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from models.vocabulary import LANGUAGES
from scheduler.channels.media import MEDIA
from scheduler.inbound.answers import ANSWER_KINDS, AnswerContext, AnswerKind
from scheduler.outbound.render import RenderError, default_templates_dir, template_loader
from scheduler.outbound.wording import FILTERS
from scheduler.shipped import search_path

AlertNotice = Literal["urgent", "escalation", "summary", "photo"]
AlertPart = str  # an alert's text and subject parts (scheduler.channels.media)
ALERT_NOTICES: tuple[AlertNotice, ...] = ("urgent", "escalation", "summary", "photo")
# Pages are plain text: every medium's subject and text parts, no HTML.
ALERT_PARTS: tuple[AlertPart, ...] = tuple(
    part for spec in MEDIA.values() for part in (spec.subject_part, spec.text_part) if part
)
STAFF_NOTICES = ("acknowledged", "unknown_alert")
SAMPLE_ANSWER = AnswerContext(
    clinic_name="Clinique Esthétique Ottawa",
    clinic_phone="613-555-0100",
    clinic_hours="10:00-19:00",
    clinic_address="123 Bank St, Ottawa ON K1P 1A1",
    emergency=False,
)


class NoticeRenderer:
    """Renders `replies/<lang>/<answer>.j2` and `alerts/<lang>/<name>.<part>.j2`."""

    def __init__(
        self, templates_dir: Path | None = None, *, clinic_dir: Path | None = None
    ) -> None:
        # The clinic's folder first (CLINIC_TEMPLATES_DIR), as for the messages.
        search = search_path(clinic_dir, templates_dir or default_templates_dir())
        self._env = ImmutableSandboxedEnvironment(
            loader=template_loader(search),
            undefined=StrictUndefined,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._env.filters.update(FILTERS)

    def _render(self, name: str, context: Mapping[str, object]) -> str:
        try:
            text = self._env.get_template(name).render(**context)
        except TemplateError as exc:
            raise RenderError(f"{name}: {exc}") from exc
        return "\n".join(line.rstrip() for line in text.strip().splitlines())

    def answer(self, which: AnswerKind, language: str, context: AnswerContext) -> str:
        """The patient's automatic answer, in their language (English when unknown)."""
        return " ".join(
            self._render(f"replies/{_known(language)}/{which}.j2", asdict(context)).split()
        )

    def alert(
        self,
        notice: AlertNotice,
        part: AlertPart,
        context: Mapping[str, object],
        language: str = "en",
    ) -> str:
        """A practitioner or on-call notice, in the language of whoever receives it."""
        text = self._render(f"alerts/{_known(language)}/{notice}.{part}.j2", context)
        return " ".join(text.split()) if part != "email_text" else text

    def staff(self, which: str, alert_id: int, language: str = "en") -> str:
        """The answer to a practitioner's `OK <n>` text, in the practitioner's language."""
        return self._render(f"alerts/{_known(language)}/{which}.sms.j2", {"alert_id": alert_id})

    def check_all(self) -> list[str]:
        """Render every notice with sample values; returns the problems found."""
        problems: list[str] = []
        alert_sample: dict[str, object] = {
            "clinic_name": SAMPLE_ANSWER.clinic_name,
            "alert_id": 12,
            "level": "urgent",
            "patient": "Marie-Josée T.",
            "callback": "613-555-0124",
            "language": "French",
            "day": 3,
            "kind": "microneedling",
            "reasons": "pus, fever",
            "words": "J'ai du pus et de la fièvre",
            "url": "https://clinic.example/alerts/12",
            "paged": "Dr Anne Roy",
            "paged_at": "14:05",
            "waited": "30 min",
            "waiting": 9,
            "limit": 6,
            "clinic_time": True,
        }
        for lang in LANGUAGES:
            for which, emergency in product(ANSWER_KINDS, (False, True)):
                try:
                    self.answer(which, lang, replace(SAMPLE_ANSWER, emergency=emergency))
                except RenderError as exc:
                    problems.append(str(exc))
        for lang, notice, part in product(LANGUAGES, ALERT_NOTICES, ALERT_PARTS):
            try:
                self.alert(notice, part, alert_sample, lang)
            except RenderError as exc:
                problems.append(str(exc))
        for lang, notice_name in product(LANGUAGES, STAFF_NOTICES):
            try:
                self.staff(notice_name, 12, lang)
            except RenderError as exc:
                problems.append(str(exc))
        return problems


def _known(language: str) -> str:
    """A language we have texts in; English for anything else."""
    return language if language in LANGUAGES else "en"
