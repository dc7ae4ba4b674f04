"""Section 2 of docs/benchmarks.md: one pass behind a growing backlog, and its plot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.report_common import Section, figure, md_table, save_figure

BACKLOG_PNG = "pass_time_vs_backlog.png"


def backlog_section(data: dict[str, Any]) -> Section:
    target = data["target_ratio"]
    parts = []
    targets = []
    headers = [
        "backlog (not due)",
        "pass ms, median",
        "min-max ms",
        "first pass ms",
        f"vs {_k(0, data)}",
        "peak RSS MiB",
    ]
    for name, rows in data["backends"].items():
        first = rows[0]
        body = [
            [
                f"{r['backlog']:,}",
                f"{r['median_pass_s'] * 1000:.0f}",
                f"{min(r['passes_s']) * 1000:.0f}-{max(r['passes_s']) * 1000:.0f}",
                f"{r['first_pass_s'] * 1000:.0f}",
                f"{r['median_pass_s'] / first['median_pass_s']:.2f}x",
                f"{r['peak_rss_kib'] / 1024:.0f}",
            ]
            for r in rows
        ]
        parts.append(f"**{name}**\n\n{md_table(headers, body)}")
        last = rows[-1]
        ratio = last["median_pass_s"] / first["median_pass_s"]
        rss = last["peak_rss_kib"] / first["peak_rss_kib"]
        targets.append(
            (
                f"pass time {_kk(last['backlog'])} vs {_kk(first['backlog'])}, {name}",
                f"<= {target}x",
                f"{ratio:.2f}x",
                ratio <= target,
            )
        )
        targets.append(
            (
                f"peak RSS {_kk(last['backlog'])} vs {_kk(first['backlog'])}, {name}",
                "flat",
                f"{rss:.2f}x",
                rss <= 1.25,
            )
        )
    tables = "\n\n".join(parts)
    backlogs = [_kk(r["backlog"]) for r in next(iter(data["backends"].values()))]
    sizes = ", ".join(backlogs[:-1]) + f" and {backlogs[-1]}" if len(backlogs) > 1 else backlogs[0]
    text = f"""## 2. One pass behind a growing backlog (`bench/backlog_scale.py`)

One `Dispatcher.run_pass()` of {data["due"]:,} due messages with {sizes} scheduled
but not-due rows in the outbox (one patient and one treatment per three rows, as registrations
write them), in a fresh database per size, on SQLite (a file, WAL) and PostgreSQL. The
backlog is bulk-loaded (`executemany` on SQLite, `COPY` on PostgreSQL, which is then
`ANALYZE`d as autovacuum would) with the due rows in the middle of it, not at the start. Each
size has its own measuring process, so its peak RSS (`VmHWM`) belongs to that size only;
the processes take turns, one pass each, so that the machine's load drifts over every size
alike: one first pass (cold caches, shown apart), then the median of {data["reps"]} passes,
the due rows put back to pending between passes (untimed).

The **console channel** (into `/dev/null`) is used rather than the fake Twilio: it isolates
what the database costs. With the fake, the same pass would add the HTTP round trips and the
fake's CPU on the same two cores, which do not depend on the backlog and would only dilute the
ratio.

{tables}

![Pass time vs backlog](img/{BACKLOG_PNG})

- A pass costs O(batch), not O(backlog): the claim walks the `(status, next_attempt_at)` index
  from its start and stops after {data["due"]:,} rows, and every other statement in a pass
  looks rows up by primary key. `bench/claim_cost.py` shows the claim's plan.
- Memory does not grow with the backlog: the process only ever loads the rows it claimed.
- Most of a pass is per-message work: rendering, plus one committed UPDATE per message. On
  PostgreSQL each of those commits waits for its WAL flush, which is why a pass costs more
  there than on SQLite with `synchronous=NORMAL`.
"""
    return text, targets


def _k(_index: int, data: dict[str, Any]) -> str:
    rows = next(iter(data["backends"].values()))
    return _kk(rows[0]["backlog"])


def _kk(n: int) -> str:
    return f"{n / 1_000_000:g}M" if n >= 1_000_000 else f"{n / 1000:g}k"


def plot_backlog(data: dict[str, Any], path: Path) -> None:
    fig, (left, right) = figure(2, (12, 4.6))
    colors = {"SQLite": "#1f6fb4", "PostgreSQL": "#d1495b"}
    for name, rows in data["backends"].items():
        x = [r["backlog"] for r in rows]
        median = [r["median_pass_s"] * 1000 for r in rows]
        low = [m - min(r["passes_s"]) * 1000 for m, r in zip(median, rows, strict=True)]
        high = [max(r["passes_s"]) * 1000 - m for m, r in zip(median, rows, strict=True)]
        color = colors.get(name, "#444444")
        left.errorbar(
            x, median, yerr=[low, high], fmt="o-", capsize=4, color=color, label=f"{name}"
        )
        for xi, yi, r in zip(x, median, rows, strict=True):
            left.annotate(
                f"{r['median_pass_s'] / rows[0]['median_pass_s']:.2f}x",
                (xi, yi),
                textcoords="offset points",
                xytext=(8, 6),
                fontsize=9,
                color=color,
            )
        style = "o-" if name == "SQLite" else "s--"
        rss = [r["peak_rss_kib"] / 1024 for r in rows]
        right.plot(x, rss, style, color=color, label=name, markersize=7)
        for xi, value in zip(x, rss, strict=True):
            right.annotate(
                f"{value:.0f}",
                (xi, value),
                textcoords="offset points",
                xytext=(0, 8 if name == "SQLite" else -16),
                ha="center",
                fontsize=9,
                color=color,
            )
    for ax in (left, right):
        ax.set_xscale("log")
        ticks = sorted({r["backlog"] for rows in data["backends"].values() for r in rows})
        ax.set_xticks(ticks, [_kk(t) for t in ticks])
        ax.minorticks_off()
        ax.set_xlim(ticks[0] / 1.8, ticks[-1] * 1.8)
        ax.set_xlabel("scheduled, not-due rows in the outbox (log scale)")
        ax.set_ylim(bottom=0, top=ax.get_ylim()[1] * 1.2)
        ax.grid(True, alpha=0.3)
        ax.legend(loc="lower right", fontsize=9)
    left.set_ylabel(f"one pass of {data['due']:,} messages, ms (median, min-max)")
    left.set_title("Pass time vs backlog (labels: vs smallest)")
    right.set_ylabel("peak RSS of the measuring process, MiB")
    right.set_title("Memory vs backlog")
    save_figure(fig, path)
