"""`aftercare demo`: two patients' follow-ups on a simulated clock, with a service outage."""

from __future__ import annotations

import io
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from rich.console import Console

from models.db import session_scope
from scheduler.channels.console import ConsoleChannel
from scheduler.cli.tables import messages_table, scheduled_table
from scheduler.clock import SimulatedClock
from scheduler.followups.intake import TreatmentCreate
from scheduler.followups.registration import register_treatment
from scheduler.ops.runtime import open_database
from scheduler.ops.startup import checked_renderer
from scheduler.outbound.dispatch import Dispatcher
from scheduler.settings import Settings
from scheduler.staff.queries import PageRequest, list_messages


def demo_patients() -> list[TreatmentCreate]:
    return [
        TreatmentCreate(name="Alex Martin", phone="613-555-0124", language="en", channel="sms"),
        TreatmentCreate(
            name="Marie-Josée Tremblay",
            phone="819-555-0188",
            email="mj@example.com",
            language="fr",
            channel="both",
        ),
    ]


def run_demo(console: Console, *, days: int = 10) -> None:
    """Register, then step an hour at a time through `days` days, printing what goes out."""
    with tempfile.TemporaryDirectory(prefix="aftercare-demo-") as folder:
        settings = Settings(
            _env_file=None,
            database_url=f"sqlite:///{Path(folder) / 'demo.db'}",
        )
        zone = settings.zone
        start = datetime.now(zone).replace(hour=15, minute=0, second=0, microsecond=0)
        clock = SimulatedClock(start)
        engine = open_database(settings)
        printed = io.StringIO()
        channel = ConsoleChannel(printed)
        dispatcher = Dispatcher(
            engine,
            settings,
            {"sms": channel, "email": channel},
            checked_renderer(settings),
            clock=clock,
        )
        console.print(
            f"[bold]Aftercare demo[/] — simulated clock from {start:%a %Y-%m-%d %H:%M %Z}"
            f", send window {settings.send_window} {settings.clinic_timezone}\n"
        )
        for request in demo_patients():
            with session_scope(engine) as session:
                done = register_treatment(session, request, settings=settings, now=clock())
            console.print(f"Staff register treatment {done.treatment.id} for {done.patient.name}")
            console.print(scheduled_table(done.messages, zone))

        outage = (start + timedelta(days=2, hours=12), start + timedelta(days=4, hours=-2))
        console.print(
            f"[yellow]The service will be down from {outage[0]:%a %H:%M} "
            f"to {outage[1]:%a %H:%M}: day-3 messages are caught up after.[/]\n"
        )
        end = start + timedelta(days=days)
        while clock() < end:
            clock.advance(timedelta(hours=1))
            if outage[0] <= clock() < outage[1]:
                continue
            report = dispatcher.run_pass()
            if report.sent or report.expired or report.failed:
                console.print(
                    f"[bold]{clock().astimezone(zone):%a %Y-%m-%d %H:%M %Z}[/] "
                    f"dispatch: {report.summary()}"
                )
                for line in printed.getvalue().splitlines():
                    console.print(f"    {line}", markup=False, highlight=False)
                printed.seek(0)
                printed.truncate()
        with session_scope(engine) as session:
            console.print(
                messages_table(
                    list_messages(session, page=PageRequest(1, 200)).items,
                    zone,
                    title="Outbox at the end",
                )
            )
        dispatcher.close()
        engine.dispose()
