"""Retention: how long one batch of erasures holds the database, on SQLite and PostgreSQL.

Seeds N patients whose story ended three years ago (a treatment, three messages, one a staff
message with its text, two replies, an acknowledged alert with a note, two audit events), then
runs `run_retention` with batches of 25, 100 and 400 patients and no pause. A batch is one
transaction: its time is how long dispatch and the pages may wait for the database (on SQLite
the single writer) while retention runs.

    .venv/bin/python -m bench.retention [--quick] [--patients N] [--no-postgres]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from bench._common import NOW, databases_to_run, environment_line, stop_on_sigterm, table
from models import Alert, AuditEvent, InboundMessage, OutboundMessage, Patient, Treatment
from scheduler.privacy.retention import run_retention

BATCHES = (25, 100, 400)
DAYS = 730


def seed(engine: Engine, count: int) -> None:
    """`count` patients, each with a whole story three years old."""
    old = NOW - timedelta(days=3 * 365)
    with Session(engine) as session:
        for n in range(count):
            patient = Patient(
                name=f"Patient {n:05d}",
                phone=f"+1613555{n % 10000:04d}",
                email=f"p{n}@example.com",
                consent_at=old,
                created_at=old,
            )
            session.add(patient)
            session.flush()
            assert patient.id is not None
            treatment = Treatment(
                patient_id=patient.id, kind="microneedling", performed_at=old, created_at=old
            )
            session.add(treatment)
            session.flush()
            assert treatment.id is not None
            for day, body in (("day1", None), ("day3", None), ("staff-x", "See you Tuesday")):
                session.add(
                    OutboundMessage(
                        treatment_id=treatment.id, step=day, channel="sms", due_at=old,
                        expires_at=old, next_attempt_at=old, updated_at=old, status="delivered",
                        sent_at=old, body=body, last_error=None,
                    )
                )  # fmt: skip
            replies = []
            for k, text in enumerate(("a bit red, is that normal?", "pus and fever")):
                reply = InboundMessage(
                    patient_id=patient.id, treatment_id=treatment.id, channel="sms",
                    from_address=patient.phone, body=text, provider_id=f"SM{n:06d}{k}",
                    level="urgent" if k else "routine", auto_reply="We were alerted.",
                    received_at=old,
                )  # fmt: skip
                session.add(reply)
                replies.append(reply)
            session.flush()
            assert replies[1].id is not None
            session.add(
                Alert(
                    inbound_id=replies[1].id, patient_id=patient.id, treatment_id=treatment.id,
                    level="urgent", reasons='["pus"]', status="acknowledged", created_at=old,
                    acknowledged_at=old, acknowledged_by="dr@clinic.example",
                    ack_note="Called her back",
                )
            )  # fmt: skip
            for action in ("view_timeline", "correct_patient"):
                session.add(
                    AuditEvent(
                        at=old, actor="front@clinic.example", action=action,
                        target=f"patient:{patient.id}", detail="name: 'A' -> 'B'",
                    )
                )  # fmt: skip
            if n % 500 == 499:
                session.commit()
        session.commit()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 patients")
    parser.add_argument("--patients", type=int, default=None)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args(argv)
    stop_on_sigterm()
    count = args.patients or (300 if args.quick else 2000)
    print(f"bench.retention: {environment_line()}")
    databases, _skipped = databases_to_run(no_postgres=args.no_postgres)
    for label, database in databases:
        rows = []
        for batch in BATCHES:
            with database() as engine:
                seed(engine, count)
                started = time.perf_counter()
                report = run_retention(
                    engine, days=DAYS, now=NOW, batch_size=batch, pause=0.0, sleep=lambda _s: None
                )
                total = time.perf_counter() - started
            assert len(report.patients) == count, report.summary()
            per_batch = total / max(1, report.batches)
            rows.append(
                (
                    batch,
                    report.batches,
                    f"{total:.2f} s",
                    f"{per_batch * 1000:.0f} ms",
                    f"{total / count * 1000:.1f} ms",
                )
            )
        print(f"\n{label}, {count:,} patients to erase:")
        print(table(("batch", "batches", "total", "per batch", "per patient"), rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
