"""The met/missed rule for the webhook targets, shared by bench.webhook_load's table and the
report (bench/report_webhooks.py), so the console and docs/benchmarks.md cannot disagree."""

from __future__ import annotations

from typing import Any


def webhook_target_met(row: dict[str, Any], target_rps: float, target_p99_ms: float) -> bool | None:
    """Whether one bench.webhook_load result row meets its target; None for a row that has none.

    Saturation rows are held to the throughput target, fixed-rate rows at the target rate to the
    p99 target; either way with no errors (a fast error path must not pass for speed).
    """
    if row["kind"] == "saturation":
        return bool(row["rps"] >= target_rps and row["errors"] == 0)
    if row["kind"] == "target rate":
        return bool(row["p99_ms"] < target_p99_ms and row["errors"] == 0)
    return None  # for information: the latency this server gives under a load it carries
