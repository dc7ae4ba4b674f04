"""Scheduling in the outbox vs the design we did not choose: one APScheduler job per message.

Aftercare: N treatments registered through the CSV import path (`followups.csv_import`: each
row validated, then 1,000 rows per transaction: patients, treatments, 3 outbox rows each, with
Core executemany). The alternative: the same CSV rows,
validated the same way (`TreatmentCreate`) and planned the same way (`plan_messages`), each
message becoming an APScheduler 3 "date" job in a `SQLAlchemyJobStore` on a SQLite file. For
both: time to register, to list one patient's scheduled messages, to cancel one treatment's.

The alternative is given every advantage: it stores no patient or treatment rows at all, its
scheduler is paused (no wake-up per added job), and job ids are chosen so that a cancel is three
deletes by primary key. It runs twice: with the job store's own engine (SQLite's defaults:
rollback journal, a sync per commit) and with Aftercare's engine settings (WAL,
synchronous=NORMAL), so the comparison is about the design and not the pragmas.

    .venv/bin/python -m bench.scheduling_vs_jobstore [--quick | --full] [--size N]
"""

from __future__ import annotations

import argparse
import csv
import io
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, timedelta
from pathlib import Path
from random import Random
from typing import Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from pydantic import ValidationError
from sqlmodel import Session, col, select

from bench._common import NOW, TORONTO, bench_settings, environment_line, stop_on_sigterm, table
from bench._results import write_results
from models import Patient, Treatment
from models.db import make_engine, session_scope
from models.migrate import upgrade
from scheduler.followups.csv_import import import_csv
from scheduler.followups.intake import TreatmentCreate
from scheduler.followups.kinds import cached_catalog
from scheduler.followups.plan import plan_messages
from scheduler.followups.registration import cancel_treatment
from scheduler.outbound.timing import SendWindow
from scheduler.settings import Settings
from scheduler.staff.queries import MessageFilter, list_messages

TARGET = 10.0
HEADER = ["name", "phone", "email", "language", "channel", "performed_at", "practitioner", "kind"]
PRACTITIONERS = ("Dr. Anne Roy", "Dr. Marc Tremblay", "Julie Gagnon, RN", "Sophie Martin, NP")


def make_csv(n: int, rng: Random) -> str:
    """N treatments performed in the last day (so every message is still scheduled)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for i in range(n):
        performed = (NOW - timedelta(minutes=rng.randint(30, 20 * 60))).astimezone(TORONTO)
        writer.writerow(
            [
                f"Patient{i} Bench",
                f"613-{200 + i // 10_000:03d}-{i % 10_000:04d}",
                f"patient{i}@example.org",
                "fr" if i % 4 == 0 else "en",
                "sms",
                performed.strftime("%Y-%m-%d %H:%M"),
                PRACTITIONERS[i % len(PRACTITIONERS)],
                "microneedling",
            ]
        )
    return out.getvalue()


def phone_of(i: int) -> str:
    return f"+1613{200 + i // 10_000:03d}{i % 10_000:04d}"


def send_followup(**_message: Any) -> None:
    """What each APScheduler job would run; never called here (the scheduler is paused)."""


def db_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


# --- Aftercare ------------------------------------------------------------------------------


def aftercare(text: str, picks: list[int], path: Path) -> dict[str, Any]:
    """Register through import_csv, then list and cancel through the outbox functions."""
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    settings = bench_settings(url)
    report: Any = None

    def register() -> None:
        nonlocal report
        report = import_csv(io.StringIO(text, newline=""), engine, settings=settings, now=NOW)

    register_s = timed(register)
    if report.errors:
        raise RuntimeError(f"import rejected rows: {report.errors[:3]}")

    def list_patient(i: int) -> int:
        with Session(engine) as session:
            patient = session.exec(select(Patient).where(Patient.phone == phone_of(i))).one()
            treatments = session.exec(
                select(col(Treatment.id)).where(col(Treatment.patient_id) == patient.id)
            ).all()
            return sum(
                list_messages(session, MessageFilter(("pending",), treatment_id=t)).total
                for t in treatments
                if t is not None
            )

    ids = {line - 2: treatment_id for line, treatment_id in report.registered}

    def cancel(i: int) -> int:
        with session_scope(engine) as session:
            return cancel_treatment(session, ids[i], now=NOW)

    result = _measure_reads(list_patient, cancel, picks)
    engine.dispose()
    return {"register_s": register_s, "db_bytes": db_bytes(path), **result}


# --- APScheduler 3, one date job per message ------------------------------------------------


@contextmanager
def jobstore_scheduler(store: SQLAlchemyJobStore) -> Iterator[BackgroundScheduler]:
    scheduler = BackgroundScheduler(jobstores={"default": store}, timezone=UTC)
    scheduler.start(paused=True)  # paused: no wake-up and job-store query per added job
    try:
        yield scheduler
    finally:
        scheduler.shutdown(wait=False)


def jobstore(
    text: str, picks: list[int], settings: Settings, store: SQLAlchemyJobStore, path: Path
) -> dict[str, Any]:
    """The same rows as jobs: validate, plan, add_job per message; list by scan, cancel by id."""
    window = SendWindow(*settings.window)
    # The steps of every kind, read once as a registration would.
    kinds = {name: kind.steps for name, kind in cached_catalog(None).kinds.items()}
    with jobstore_scheduler(store) as scheduler:

        def register() -> None:
            for i, row in enumerate(csv.DictReader(io.StringIO(text, newline=""))):
                try:
                    request = TreatmentCreate.model_validate(row)
                except ValidationError as exc:
                    raise RuntimeError(f"row {i}: {exc}") from exc
                performed = request.performed_at
                assert performed is not None
                performed = performed.replace(tzinfo=settings.zone)
                for planned in plan_messages(performed, settings.zone, window, kinds[request.kind]):
                    scheduler.add_job(
                        send_followup,
                        "date",
                        run_date=planned.due_at,
                        id=f"t{i}-{planned.step}",
                        kwargs={
                            "treatment": i,
                            "phone": request.phone,
                            "name": request.name,
                            "language": request.language,
                            "kind": request.kind,
                            "step": planned.step,
                            "expires_at": planned.expires_at,
                        },
                        misfire_grace_time=None,
                    )

        register_s = timed(register)

        def list_patient(i: int) -> int:
            # The job store can only hand back every job: there is no query by argument.
            return sum(1 for job in scheduler.get_jobs() if job.kwargs["phone"] == phone_of(i))

        def cancel(i: int) -> int:
            steps = [s.name for s in kinds["microneedling"]]
            for step in steps:
                scheduler.remove_job(f"t{i}-{step}")
            return len(steps)

        result = _measure_reads(list_patient, cancel, picks)
    return {"register_s": register_s, "db_bytes": db_bytes(path), **result}


def _measure_reads(
    list_patient: Callable[[int], int], cancel: Callable[[int], int], picks: list[int]
) -> dict[str, Any]:
    listed, list_times, cancel_times = [], [], []
    for i in picks:
        started = time.perf_counter()
        listed.append(list_patient(i))
        list_times.append(time.perf_counter() - started)
    for i in picks:
        started = time.perf_counter()
        cancelled = cancel(i)
        cancel_times.append(time.perf_counter() - started)
        if cancelled != 3:
            raise RuntimeError(f"cancelled {cancelled} messages, expected 3")
    if listed != [3] * len(picks):
        raise RuntimeError(f"listed {listed}, expected 3 each")
    return {
        "list_s": statistics.median(list_times),
        "list_times_s": list_times,
        "cancel_s": statistics.median(cancel_times),
        "cancel_times_s": cancel_times,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="5k treatments (the default)")
    size.add_argument("--full", action="store_true", help="100k treatments")
    parser.add_argument("--size", type=int, help="treatments to register")
    parser.add_argument(
        "--defaults-size",
        type=int,
        help="treatments for the job store on SQLite's defaults (a sync per commit; default: "
        "the same as --size, at most 2k, or 10k with --full)",
    )
    parser.add_argument("--picks", type=int, default=5, help="patients listed / cancelled")
    args = parser.parse_args(argv)
    stop_on_sigterm()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    n = args.size or (100_000 if args.full else 5_000)
    n_defaults = args.defaults_size or min(n, 10_000 if args.full else 2_000)
    rng = Random(2026)
    text = make_csv(n, rng)
    picks = rng.sample(range(n_defaults), args.picks)
    print(f"scheduling_vs_jobstore: {environment_line()}")
    print(f"  {n:,} treatments ({3 * n:,} messages); SQLite files in a temporary directory")
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="aftercare_bench_") as tmp:
        base = Path(tmp)
        settings = bench_settings(f"sqlite:///{base / 'x.db'}")
        variants: list[tuple[str, int, Callable[[], dict[str, Any]]]] = [
            (
                "Aftercare outbox (csv_import)",
                n,
                lambda: aftercare(text, picks, base / "outbox.db"),
            ),
            (
                "APScheduler jobs, Aftercare's engine (WAL)",
                n,
                lambda: jobstore(
                    text,
                    picks,
                    settings,
                    SQLAlchemyJobStore(engine=make_engine(f"sqlite:///{base / 'jobs_wal.db'}")),
                    base / "jobs_wal.db",
                ),
            ),
            (
                "APScheduler jobs, SQLite defaults",
                n_defaults,
                lambda: jobstore(
                    _head(text, n_defaults),
                    picks,
                    settings,
                    SQLAlchemyJobStore(url=f"sqlite:///{base / 'jobs_default.db'}"),
                    base / "jobs_default.db",
                ),
            ),
        ]
        for label, count, run in variants:
            print(f"  {label}: registering {count:,} ...", flush=True)
            result = run()
            rows.append({"design": label, "treatments": count, **result})
    print_table(rows)
    write_results(
        "scheduling_vs_jobstore",
        {"treatments": n, "picks": args.picks, "target": TARGET, "rows": rows},
        full=args.full,
    )
    return 0


def _head(text: str, n: int) -> str:
    lines = text.splitlines(keepends=True)
    return "".join(lines[: n + 1])


def print_table(rows: list[dict[str, Any]]) -> None:
    base = rows[0]
    base_rate = base["treatments"] / base["register_s"]
    body = []
    for r in rows:
        rate = r["treatments"] / r["register_s"]
        body.append(
            [
                r["design"],
                f"{r['treatments']:,}",
                f"{r['register_s']:.1f}",
                f"{rate:,.0f}",
                f"{base_rate / rate:.2f}x" if r is not base else "-",
                f"{r['list_s'] * 1000:.2f}",
                f"{r['cancel_s'] * 1000:.2f}",
                f"{r['db_bytes'] / 2**20:.1f}",
            ]
        )
    headers = [
        "design",
        "treatments",
        "register s",
        "treatments/s",
        "Aftercare faster by",
        "list a patient ms",
        "cancel a treatment ms",
        "DB MiB",
    ]
    print()
    print(table(headers, body))
    print(
        "  list / cancel: medians over the same randomly picked patients; "
        f"registration target: Aftercare >= {TARGET:.0f}x faster"
    )


if __name__ == "__main__":
    raise SystemExit(main())
