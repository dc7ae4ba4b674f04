"""Benchmark results as data: each benchmark writes bench/results/<name>.json for bench.report."""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from bench._common import PG_ADMIN_URL

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def ram_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return None


def postgres_version() -> str | None:
    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3) as conn:
            row = conn.execute("SHOW server_version").fetchone()
    except psycopg.Error:
        return None
    return str(row[0]).split()[0] if row else None


def _git_commit() -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=RESULTS_DIR.parent.parent,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return None
    return done.stdout.strip() or None


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "ram_gib": ram_gib(),
        "load_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": postgres_version(),
        "commit": _git_commit(),
    }


def results_path(name: str, *, full: bool) -> Path:
    """bench/results/<name>.json for the full sizes (what docs/benchmarks.md shows), else
    bench/results/quick/<name>.json, so a quick run never replaces the published figures."""
    return (RESULTS_DIR if full else RESULTS_DIR / "quick") / f"{name}.json"


def write_results(name: str, data: dict[str, Any], *, full: bool) -> Path:
    """Write {"name", "full", "machine", **data} to results_path() and return the path."""
    path = results_path(name, full=full)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"name": name, "full": full, "machine": machine(), **data}
    path.write_text(json.dumps(payload, indent=2, sort_keys=False) + "\n")
    print(f"\n  results written to {path.relative_to(RESULTS_DIR.parent.parent)}")
    return path


def read_results(name: str, *, full: bool = True) -> dict[str, Any] | None:
    path = results_path(name, full=full)
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text())
    return data
