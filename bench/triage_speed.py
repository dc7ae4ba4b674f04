"""Triage speed: replies classified per second, and the worst time on long hostile input.

The replies are the labelled set (tests/data/triage_replies.csv), classified in a loop; the
figure is the median of several repetitions. The hostile inputs are the shapes that make
naive regular expressions backtrack (long repeats, long negations, one 20,000-letter word, runs
of signs and of words the tables repeat).

    .venv/bin/python -m bench.triage_speed [--quick] [--reps N]
"""

from __future__ import annotations

import argparse
import csv
import statistics
from collections.abc import Sequence
from functools import partial
from pathlib import Path

from bench._common import environment_line, median_time, ms, table
from scheduler.inbound.triage import classify

LABELLED = Path(__file__).resolve().parent.parent / "tests" / "data" / "triage_replies.csv"
HOSTILE = (
    ("'no pus ' x 2000", "no pus " * 2000),
    ("'?!' x 5000", "?!" * 5000),
    ("'bleeding and ' x 1500", "bleeding and " * 1500),
    ("one 20,000-letter word", "a" * 20000),
    # Shapes that once broke the check-in and French tables: kept to catch a regression.
    ("'#' x 20000", "#" * 20000),
    ("'tout ' x 5000", "tout " * 5000),
    ("'the ' x 5000", "the " * 5000),
    ("'(' x 10000", "(" * 10000),
)


def labelled_replies() -> list[str]:
    with LABELLED.open(encoding="utf-8", newline="") as handle:
        return [row["text"] for row in csv.DictReader(handle)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--reps", type=int, default=None)
    args = parser.parse_args(argv)
    reps = args.reps or (3 if args.quick else 9)
    replies = labelled_replies()
    batch = replies * 10

    def classify_batch() -> None:
        for text in batch:
            classify(text)

    print(f"bench.triage_speed: {environment_line()}")
    seconds = median_time(classify_batch, reps)
    mean_chars = statistics.mean(len(text) for text in replies)
    print(
        f"\n{len(batch):,} replies ({len(replies)} labelled, mean {mean_chars:.0f} chars), "
        f"median of {reps}: {ms(seconds)} ms -> {len(batch) / seconds:,.0f} replies/s"
    )
    rows = []
    for label, text in HOSTILE:
        worst = median_time(partial(classify, text), reps)
        rows.append((label, f"{len(text):,}", f"{ms(worst)} ms"))
    print("\nhostile input, median time per reply:")
    print(table(("input", "chars", "time"), rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
