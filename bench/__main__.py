"""Run every benchmark, each in its own process (so one's memory high-water can't skew another).

.venv/bin/python -m bench            # all of them with --quick (~4 min)
.venv/bin/python -m bench --full     # the full sizes (~30 min)
.venv/bin/python -m bench claim_cost memory   # a subset
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

BENCHMARKS = (
    "claim_cost",
    "send_throughput",
    "memory",
    "dispatch_vs_bare",
    "backlog_scale",
    "scheduling_vs_jobstore",
    "webhook_load",
    "triage_speed",
    "retention",
)
# These take --full for their largest sizes; the first three run theirs with no flag.
TAKE_FULL = {"dispatch_vs_bare", "backlog_scale", "scheduling_vs_jobstore", "webhook_load"}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description="Run the benchmarks.")
    parser.add_argument("names", nargs="*", metavar="NAME", help=", ".join(BENCHMARKS))
    parser.add_argument("--full", action="store_true", help="default sizes instead of --quick")
    args = parser.parse_args(argv)
    names = args.names or list(BENCHMARKS)
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    root = Path(__file__).resolve().parent.parent
    failed = []
    started = time.perf_counter()
    for name in names:
        size = ["--full"] if name in TAKE_FULL else []
        command = [sys.executable, "-m", f"bench.{name}", *(size if args.full else ["--quick"])]
        print(f"\n===== {' '.join(command[1:])}", flush=True)
        t0 = time.perf_counter()
        result = subprocess.run(command, cwd=root, check=False)
        print(f"===== bench.{name}: exit {result.returncode}, {time.perf_counter() - t0:.1f} s")
        if result.returncode != 0:
            failed.append(name)
    print(f"\nall done in {time.perf_counter() - started:.1f} s; failed: {failed or 'none'}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
