"""One line of `aftercare check` (and of the start-up checks): ok, warn or FAIL, with what to do."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Level = Literal["ok", "warn", "FAIL"]


@dataclass(frozen=True)
class CheckResult:
    level: Level
    name: str
    detail: str

    def line(self) -> str:
        return f"{self.level:<4}  {self.name}: {self.detail}"


def ok(name: str, detail: str) -> CheckResult:
    return CheckResult("ok", name, detail)


def warn(name: str, detail: str) -> CheckResult:
    return CheckResult("warn", name, detail)


def fail(name: str, detail: str) -> CheckResult:
    return CheckResult("FAIL", name, detail)


def has_failures(results: Sequence[CheckResult]) -> bool:
    return any(result.level == "FAIL" for result in results)


def listing(problems: Sequence[object], shown: int = 3) -> str:
    """The first few problems on one line, and how many more there are."""
    head = "; ".join(str(problem) for problem in problems[:shown])
    more = len(problems) - shown
    return head + (f"; and {more} more" if more > 0 else "")
