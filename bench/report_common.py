"""What every section of docs/benchmarks.md shares: Markdown tables, verdicts, figure set-up."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# (what, target, measured, met): one row of the page's Targets table.
Target = tuple[str, str, str, bool]
# A section's Markdown and the target rows it contributes.
Section = tuple[str, list[Target]]


def md_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table; every column but the first right-aligned."""
    lines = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join(["---", *["---:"] * (len(headers) - 1)]) + "|",
    ]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def verdict(met: bool) -> str:
    return "**met**" if met else "**missed**"


def span(rows: list[dict[str, Any]], key: str, fmt: str = "{:.2f}") -> str:
    """`key`'s values over `rows` as "low-high", or one figure when both ends print alike."""
    values = [r[key] for r in rows]
    if not values:
        return "n/a"
    low, high = min(values), max(values)
    return (
        fmt.format(low)
        if fmt.format(low) == fmt.format(high)
        else f"{fmt.format(low)}-{fmt.format(high)}"
    )


def figure(ncols: int, figsize: tuple[float, float]) -> tuple[Figure, list[Axes]]:
    """A figure of one row of `ncols` plots, drawn off-screen."""
    # Imported here so that the page's text (and --help) needs no matplotlib.
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, ncols, figsize=figsize, squeeze=False)
    return fig, list(axes[0])


def save_figure(fig: Figure, path: Path) -> None:
    """Lay out, write as PNG and free the figure (every plot on the page at the same dpi)."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
