"""Every SMS of every kind priced with 200 common first names: the README's names table.

`python -m tests.support.names_table` prints the table; tests/outbound/test_names_table.py
checks that every message stays within its limit and that the README shows this table.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from models.vocabulary import LANGUAGES
from scheduler.followups.kinds import cached_catalog
from scheduler.outbound.render import SAMPLE_CONTEXT, MessageRenderer, segment_limit
from scheduler.outbound.sample_names import FIRST_NAMES
from scheduler.outbound.segments import SegmentInfo

START, END = "<!-- names-table -->", "<!-- /names-table -->"


@dataclass(frozen=True)
class Priced:
    kind: str
    step: str
    language: str
    sample: SegmentInfo  # with SAMPLE_CONTEXT's first name
    worst_name: str
    worst: SegmentInfo  # the costliest of FIRST_NAMES
    encodings: frozenset[str]  # every encoding any of the names led to
    limit: int


def price_all(renderer: MessageRenderer | None = None) -> list[Priced]:
    renderer = renderer or MessageRenderer()
    rows = []
    for kind in cached_catalog(None).kinds.values():
        for step in kind.steps:
            for language in LANGUAGES:
                costs = {
                    name: renderer.sms(
                        kind.name, step.name, language, replace(SAMPLE_CONTEXT, first_name=name)
                    ).segments
                    for name in FIRST_NAMES
                }
                worst = max(costs, key=lambda name: (costs[name].units, name))
                sample = renderer.sms(kind.name, step.name, language, SAMPLE_CONTEXT).segments
                rows.append(
                    Priced(
                        kind.name,
                        step.name,
                        language,
                        sample,
                        worst,
                        costs[worst],
                        frozenset(info.encoding for info in costs.values()),
                        segment_limit(language),
                    )
                )
    return rows


def markdown(rows: list[Priced]) -> str:
    lines = [
        START,
        f"| kind | step | language | {SAMPLE_CONTEXT.first_name} | worst of the 200 names |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        lines.append(
            f"| {row.kind} | {row.step} | {row.language} "
            f"| {row.sample.segments} ({row.sample.units}/{153 * row.limit}) "
            f"| {row.worst_name}: {row.worst.segments} ({row.worst.units}/{153 * row.limit}) |"
        )
    lines.append(END)
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(price_all()))
