"""Scores reply triage against a clinician-labelled set of English and French patient replies."""

from __future__ import annotations

import csv
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.paths import ARTIFACTS, TESTS

DATASET = TESTS / "data" / "triage_replies.csv"
REPORT = ARTIFACTS / "triage_report.txt"
HEADER = ["text", "lang", "level", "keyword"]
LANGS = ("en", "fr")
LEVELS = ("urgent", "concern", "routine")
ALERT_LEVELS = frozenset({"urgent", "concern"})
# The keyword rule as the brief states it; used only to check the labels, never to score.
KEYWORD_WORDS: dict[str, frozenset[str]] = {
    "stop": frozenset(
        {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout"}
        | {"arret", "desabonner"}
    ),
    "start": frozenset({"start", "unstop", "yes", "commencer"}),
    "help": frozenset({"help", "info", "aide"}),
}
ALL_KEYWORD_WORDS = frozenset[str]().union(*KEYWORD_WORDS.values())
MIN_ROWS = 200
MIN_PER_LEVEL = {"routine": 60, "urgent": 50, "concern": 40}
MIN_KEYWORD_CASES = 20
MIN_KEYWORD_ROWS = 10
MIN_KEYWORD_SENTENCES = 5
URGENT_RECALL = 1.0
KEYWORD_ACCURACY = 1.0
MIN_ALERT_RECALL = 0.95
MAX_ROUTINE_FALSE_ALERTS = 0.15


@dataclass(frozen=True)
class Row:
    line: int
    text: str
    lang: str
    level: str
    keyword: str | None


@dataclass(frozen=True)
class Scored:
    row: Row
    level: str
    keyword: str | None
    reasons: tuple[str, ...]

    @property
    def wrong(self) -> bool:
        return self.level != self.row.level or self.keyword != self.row.keyword


@dataclass(frozen=True)
class Ratio:
    hits: int
    total: int

    @property
    def rate(self) -> float:
        # NaN fails every threshold, so an empty group can never pass for a perfect score.
        return self.hits / self.total if self.total else math.nan

    def __str__(self) -> str:
        return f"{self.hits}/{self.total} {self.rate:7.1%}" if self.total else "n/a"


@dataclass(frozen=True)
class Figures:
    urgent_recall: Ratio
    alert_recall: Ratio
    routine_false_alerts: Ratio
    keyword_accuracy: Ratio
    level_accuracy: Ratio


def load_rows(path: Path = DATASET) -> list[Row]:
    """Every row of the labelled CSV; `keyword` empty in the file becomes None."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        assert header == HEADER, f"{path.name}: header {header}, expected {HEADER}"
        rows = []
        for fields in reader:
            assert len(fields) == len(HEADER), f"line {reader.line_num}: {fields!r}"
            text, lang, level, keyword = fields
            rows.append(Row(reader.line_num, text, lang, level, keyword or None))
    return rows


def normalise(text: str) -> str:
    """Lower case without accents, punctuation or outer spaces, as the keyword rule reads it."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^\w\s]|_", "", bare).strip()


def rule_keyword(text: str) -> str | None:
    whole = normalise(text)
    return next((k for k, words in KEYWORD_WORDS.items() if whole in words), None)


def mentions_keyword_word(text: str) -> bool:
    return any(word in ALL_KEYWORD_WORDS for word in normalise(text).split())


def ratio(items: Sequence[Scored], hit: Callable[[Scored], bool]) -> Ratio:
    return Ratio(sum(1 for s in items if hit(s)), len(items))


def figures(scored: Sequence[Scored]) -> Figures:
    def labelled(*levels: str) -> list[Scored]:
        return [s for s in scored if s.row.level in levels]

    return Figures(
        urgent_recall=ratio(labelled("urgent"), lambda s: s.level == "urgent"),
        alert_recall=ratio(labelled(*ALERT_LEVELS), lambda s: s.level in ALERT_LEVELS),
        routine_false_alerts=ratio(labelled("routine"), lambda s: s.level in ALERT_LEVELS),
        keyword_accuracy=ratio(scored, lambda s: s.keyword == s.row.keyword),
        level_accuracy=ratio(scored, lambda s: s.level == s.row.level),
    )


def describe(s: Scored) -> str:
    expected = f"{s.row.level}/{s.row.keyword or '-'}"
    got = f"{s.level}/{s.keyword or '-'}"
    reasons = ", ".join(s.reasons) or "no reasons"
    where = f"line {s.row.line:>3} [{s.row.lang}]"
    return f"{where} expected {expected:<14} got {got:<14} ({reasons}): {s.row.text!r}"


def render_report(scored: Sequence[Scored], source: str = DATASET.name) -> str:
    """The figures overall and per language, the confusion table and every misclassified row."""
    groups = {"all": list(scored)} | {
        lang: [s for s in scored if s.row.lang == lang] for lang in LANGS
    }
    by_group = {name: figures(items) for name, items in groups.items()}
    sizes = "  ".join(f"{name} {len(items)}" for name, items in groups.items())
    lines = [f"Triage scored on {source}: {sizes}", ""]
    lines.append(f"{'':<24}" + "".join(f"{name:>18}" for name in groups))
    for label, attr in [
        ("urgent recall", "urgent_recall"),
        ("alert recall", "alert_recall"),
        ("routine false alerts", "routine_false_alerts"),
        ("keyword accuracy", "keyword_accuracy"),
        ("exact level accuracy", "level_accuracy"),
    ]:
        cells = "".join(f"{getattr(by_group[name], attr)!s:>18}" for name in groups)
        lines.append(f"{label:<24}{cells}")
    confusion = Counter((s.row.level, s.level) for s in scored)
    lines += ["", "labelled \\ classified " + "".join(f"{level:>9}" for level in LEVELS)]
    for truth in LEVELS:
        lines.append(f"{truth:<22}" + "".join(f"{confusion[truth, got]:>9}" for got in LEVELS))
    silent = sum(1 for s in scored if s.level in ALERT_LEVELS and not s.reasons)
    lines += ["", f"alerts without a reason: {silent}"]
    wrong = [s for s in scored if s.wrong]
    lines += ["", f"Misclassified rows ({len(wrong)}):"]
    lines += [f"  {describe(s)}" for s in wrong] or ["  none"]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def rows() -> list[Row]:
    return load_rows()


@pytest.fixture(scope="module")
def scored(rows: list[Row]) -> list[Scored]:
    """Every row classified once; the report file is written here so any metric test leaves it."""
    # Imported here so the dataset checks still run while the classifier is being written.
    from scheduler.inbound.triage import classify

    results = []
    for row in rows:
        triage = classify(row.text)
        results.append(Scored(row, triage.level, triage.keyword, tuple(triage.reasons)))
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(render_report(results), encoding="utf-8")
    return results


def test_dataset_is_well_formed(rows: list[Row]) -> None:
    problems = [
        f"line {r.line}: {r!r}"
        for r in rows
        if not r.text.strip()
        or r.lang not in LANGS
        or r.level not in LEVELS
        or (r.keyword is not None and r.keyword not in KEYWORD_WORDS)
    ]
    assert not problems, "\n".join(problems)
    duplicates = [text for text, n in Counter(r.text for r in rows).items() if n > 1]
    assert not duplicates, f"duplicate texts: {duplicates}"


def test_dataset_has_the_minimum_counts(rows: list[Row]) -> None:
    assert len(rows) >= MIN_ROWS
    levels = Counter(r.level for r in rows)
    for level, minimum in MIN_PER_LEVEL.items():
        assert levels[level] >= minimum, f"{level}: {levels[level]} rows, need {minimum}"
    langs = Counter(r.lang for r in rows)
    for lang in LANGS:
        assert 0.4 <= langs[lang] / len(rows) <= 0.6, f"languages unbalanced: {dict(langs)}"
        for level in LEVELS:
            assert any(r.lang == lang and r.level == level for r in rows), (lang, level)
    keyword_rows = [r for r in rows if r.keyword]
    sentences = [r for r in rows if not r.keyword and mentions_keyword_word(r.text)]
    assert len(keyword_rows) >= MIN_KEYWORD_ROWS
    assert len(sentences) >= MIN_KEYWORD_SENTENCES
    assert len(keyword_rows) + len(sentences) >= MIN_KEYWORD_CASES
    assert {r.keyword for r in keyword_rows} == set(KEYWORD_WORDS)


def test_keyword_labels_follow_the_stated_rule(rows: list[Row]) -> None:
    mislabelled = [f"line {r.line}: {r!r}" for r in rows if r.keyword != rule_keyword(r.text)]
    assert not mislabelled, "\n".join(mislabelled)


def test_report_is_written_and_outputs_are_valid(
    scored: list[Scored], capsys: pytest.CaptureFixture[str]
) -> None:
    with capsys.disabled():
        print("\n" + REPORT.read_text(encoding="utf-8"))
    invalid = [
        describe(s)
        for s in scored
        if s.level not in LEVELS
        or (s.keyword is not None and s.keyword not in KEYWORD_WORDS)
        or not all(isinstance(reason, str) and reason for reason in s.reasons)
    ]
    assert not invalid, "classifier returned values outside the interface:\n" + "\n".join(invalid)


def test_urgent_recall_is_total(scored: list[Scored]) -> None:
    result = figures(scored).urgent_recall
    missed = [describe(s) for s in scored if s.row.level == "urgent" and s.level != "urgent"]
    assert result.rate >= URGENT_RECALL, f"urgent recall {result}:\n" + "\n".join(missed)


def test_keyword_accuracy_is_total(scored: list[Scored]) -> None:
    result = figures(scored).keyword_accuracy
    missed = [describe(s) for s in scored if s.keyword != s.row.keyword]
    assert result.rate >= KEYWORD_ACCURACY, f"keyword accuracy {result}:\n" + "\n".join(missed)


def test_alert_recall(scored: list[Scored]) -> None:
    result = figures(scored).alert_recall
    missed = [
        describe(s) for s in scored if s.row.level in ALERT_LEVELS and s.level not in ALERT_LEVELS
    ]
    assert result.rate >= MIN_ALERT_RECALL, f"alert recall {result}:\n" + "\n".join(missed)


def test_routine_false_alert_rate(scored: list[Scored]) -> None:
    result = figures(scored).routine_false_alerts
    noisy = [describe(s) for s in scored if s.row.level == "routine" and s.level in ALERT_LEVELS]
    assert result.rate <= MAX_ROUTINE_FALSE_ALERTS, f"routine false alerts {result}:\n" + "\n".join(
        noisy
    )
