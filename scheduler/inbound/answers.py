"""Which automatic answer a reply gets, as a pure rule; the texts are in templates/replies/.

Every answer but the keyword confirmations carries the safety net (911 now for breathing or
throat swelling; the clinic, urgent care or 811 for fever, pus, spreading redness). An urgent
answer never promises a page that did not go out: it is chosen after the page was tried.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal

from models.vocabulary import Keyword, TriageLevel
from scheduler.contacts import display_phone
from scheduler.settings import Settings

AnswerKind = Literal[
    "stop", "start", "help", "urgent_paged", "urgent_flagged", "concern", "question", "routine"
]
ANSWER_KINDS: tuple[AnswerKind, ...] = (
    "stop",
    "start",
    "help",
    "urgent_paged",
    "urgent_flagged",
    "concern",
    "question",
    "routine",
)
# Triage reasons that call for 911 at once, not after a conditional.
EMERGENCY_REASONS = frozenset(
    {
        "trouble breathing",
        "swelling of the throat",
        "swelling of the tongue",
        "swelling of the lips",
    }
)
URGENT: Final = "urgent"  # the answer before we know whether the page went out
Choice = AnswerKind | Literal["urgent"]


def answer_kind(
    *,
    keyword: str | None,
    level: str,
    question: bool,
    opted_out: bool,
    routine_auto_reply: bool,
) -> Choice | None:
    """The answer this reply gets, `"urgent"` when the page decides which, or None."""
    if keyword is not None:
        return Keyword(keyword).value
    # Urgent and concern answers carry the safety net: they go out even after an opt-out (a
    # reply to the patient's own message is allowed; the follow-ups stay stopped).
    if level == TriageLevel.URGENT:
        return URGENT
    if level == TriageLevel.CONCERN:
        return "concern"
    if opted_out:
        return None
    if question:
        return "question"
    return "routine" if routine_auto_reply else None


def urgent_answer(paged: bool) -> AnswerKind:
    """Paged when a page reached someone; flagged (with what to do within the hour) otherwise."""
    return "urgent_paged" if paged else "urgent_flagged"


def is_emergency(reasons: Iterable[str]) -> bool:
    """Breathing trouble or throat, tongue or lip swelling: the answer leads with 911."""
    return not EMERGENCY_REASONS.isdisjoint(reasons)


@dataclass(frozen=True)
class AnswerContext:
    """The only variables an answer template receives."""

    clinic_name: str
    clinic_phone: str  # formatted for display
    clinic_hours: str  # e.g. "10:00-19:00"
    clinic_address: str
    emergency: bool  # lead with "call 911 now"


def answer_context(settings: Settings, *, emergency: bool = False) -> AnswerContext:
    start, end = settings.hours
    return AnswerContext(
        clinic_name=settings.clinic_name,
        clinic_phone=display_phone(settings.clinic_phone),
        clinic_hours=f"{start:%H:%M}-{end:%H:%M}",
        clinic_address=settings.clinic_address,
        emergency=emergency,
    )


def settled(choice: Choice | None) -> AnswerKind | None:
    """The answer when it does not wait for a page; None for no answer or an urgent one."""
    return None if choice == URGENT else choice
