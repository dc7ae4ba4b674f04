"""Practitioner alerts: push urgent ones at once, escalate the unacknowledged, record acks."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Engine, func, or_, update
from sqlmodel import Session, col, select

from models import Alert, AlertStatus, InboundMessage, Patient, Practitioner, Treatment
from models.vocabulary import Medium, TriageLevel
from scheduler.channels.base import Channel, DeliveryError, OutgoingMessage
from scheduler.channels.media import MEDIA, address_of
from scheduler.contacts import display_phone, mask_address
from scheduler.followups.kinds import find_kind
from scheduler.inbound.notice_texts import AlertNotice, NoticeRenderer
from scheduler.inbound.paging_limits import (
    ONCALL,
    PageDecision,
    may_page,
    recipient_key,
    record_page,
)
from scheduler.outbound.timing import SendWindow, clinic_deadline
from scheduler.settings import Settings

log = logging.getLogger(__name__)

_ACK = re.compile(r"^\s*ok(?:ay)?\s*[#:n°.-]*\s*(\d{1,9})\s*[.!]*\s*$", re.IGNORECASE)
# A notification claim older than this is assumed lost with its process and is tried again.
NOTIFY_LEASE = timedelta(minutes=2)
MAX_NOTIFY_ATTEMPTS = 5
HELD = "not paged: the paging limit for the hour was reached (PAGE_LIMIT_PER_HOUR); see Today"

Contact = tuple[Medium, str]


def parse_ack(text: str) -> int | None:
    """The alert number in a practitioner's `OK 12` (also `ok #12`, `OK12.`), else None."""
    match = _ACK.match(text)
    return int(match.group(1)) if match else None


MAX_ACK_NOTE = 2000


def acknowledge_alert(
    session: Session, alert_id: int, *, by: str, now: datetime, note: str | None = None
) -> Alert:
    """Mark the alert handled, with an optional note; a second acknowledgement keeps the first."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise LookupError(f"no alert with id {alert_id}")
    if alert.status != AlertStatus.ACKNOWLEDGED:
        alert.status = AlertStatus.ACKNOWLEDGED
        alert.acknowledged_at, alert.acknowledged_by = now, by
        alert.ack_note = (note or "").strip()[:MAX_ACK_NOTE] or None
        session.add(alert)
        session.commit()
    return alert


def reachable_at(addresses: Mapping[Medium, str | None]) -> list[Contact]:
    """Where a page goes: every medium with an address, in the registry's order (SMS first)."""
    return [(medium, address) for medium in MEDIA if (address := addresses.get(medium))]


def contacts_of(practitioner: Practitioner | None) -> list[Contact]:
    if practitioner is None or not practitioner.active:
        return []
    return reachable_at({medium: address_of(practitioner, medium) for medium in MEDIA})


def oncall_contacts(settings: Settings) -> list[Contact]:
    return reachable_at({Medium.SMS: settings.oncall_phone, Medium.EMAIL: settings.oncall_email})


@dataclass(frozen=True)
class _Page:
    """One page to send: which notice, to whom, in what language, counted against whom."""

    notice: AlertNotice
    targets: list[Contact]
    language: str
    recipient: str


@dataclass
class AlertPassReport:
    notified: int = 0
    escalated: int = 0
    failed: list[str] = field(default_factory=list)


class AlertNotifier:
    """One pass pages the practitioner of each new urgent alert and escalates stale ones."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        channels: dict[str, Channel],
        notices: NoticeRenderer | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.channels = channels
        self.notices = notices or NoticeRenderer(clinic_dir=settings.clinic_templates_dir)
        self.limit = settings.page_limit_per_hour

    def run_pass(self, *, now: datetime) -> AlertPassReport:
        report = AlertPassReport()
        for alert_id in self._to_notify(now):
            if self._claim_notify(alert_id, now):
                self._notify(alert_id, now, report)
        for alert_id in [*self._urgent_to_escalate(now), *self._concerns_to_escalate(now)]:
            if self._claim_escalation(alert_id, now):
                self._escalate(alert_id, now, report)
        return report

    def page_now(self, alert_id: int, *, now: datetime) -> bool:
        """Page an urgent alert this process raised and holds the claim of (see replies.py);
        True when the page reached someone. A failure is retried by the next pass."""
        report = AlertPassReport()
        self._notify(alert_id, now, report)
        return report.notified > 0

    def tell(self, alert_id: int, notice: AlertNotice) -> list[str]:
        """Send one more notice about an alert to whoever its page went to; the errors."""
        with Session(self.engine, expire_on_commit=False) as session:
            alert = session.get(Alert, alert_id)
            assert alert is not None
            practitioner = (
                session.get(Practitioner, alert.practitioner_id) if alert.practitioner_id else None
            )
            direct = contacts_of(practitioner)
            language = (
                practitioner.language
                if direct and practitioner is not None
                else self.settings.default_language
            )
            context = self._context(session, alert, language)
        return self._send_all(notice, direct or oncall_contacts(self.settings), context, language)

    def _claim_notify(self, alert_id: int, now: datetime) -> bool:
        """Take the alert with one conditional UPDATE, so two processes never both page."""
        return self._claim(
            alert_id,
            (col(Alert.notified_at).is_(None), _lease_free(now)),
            notify_claimed_at=now,
            notify_attempts=col(Alert.notify_attempts) + 1,
        )

    def _notify(self, alert_id: int, now: datetime, report: AlertPassReport) -> None:
        with Session(self.engine, expire_on_commit=False) as session:
            alert = session.get(Alert, alert_id)
            assert alert is not None
            practitioner = (
                session.get(Practitioner, alert.practitioner_id) if alert.practitioner_id else None
            )
            # Nobody to page directly: the on-call contact hears of it now, not after the timeout.
            direct = contacts_of(practitioner)
            targets = direct or oncall_contacts(self.settings)
            # The practitioner reads their own language; on-call, the clinic's default one.
            language = (
                practitioner.language
                if direct and practitioner is not None
                else self.settings.default_language
            )
            if not targets and alert.notify_attempts <= 1:
                log.warning(
                    "urgent alert %s: nobody to page (no practitioner phone/email on file and "
                    "ONCALL_PHONE/ONCALL_EMAIL unset); it waits on the Today page",
                    alert_id,
                )
            recipient = recipient_key(practitioner.id if direct and practitioner else None)
            decision = may_page(session, recipient, now=now, limit=self.limit)
            page = _Page("urgent", targets, language, recipient)
            errors = self._page(session, decision, page, alert, now)
            if targets and decision is not PageDecision.HOLD and len(errors) < len(targets):
                alert.notified_at = now
                report.notified += 1
            alert.notify_claimed_at = None
            alert.notify_error = "; ".join(errors) or (None if targets else "no contact on file")
            if decision is PageDecision.HOLD:
                alert.notify_error = HELD
            if not targets or decision is PageDecision.HOLD:
                # Retrying cannot find a contact that is not configured, nor make room in the
                # hour's paging budget sooner; the alert waits on Today (and escalates).
                alert.notify_attempts = MAX_NOTIFY_ATTEMPTS
            report.failed.extend(errors)
            session.add(alert)
            session.commit()

    def _urgent_to_escalate(self, now: datetime) -> list[int]:
        return self._open(
            TriageLevel.URGENT,
            col(Alert.escalated_at).is_(None),
            col(Alert.created_at) <= now - self.settings.alert_escalate_after,
        )

    def _concerns_to_escalate(self, now: datetime) -> list[int]:
        """Concerns nobody acknowledged within CONCERN_ESCALATE_AFTER of clinic hours."""
        after = self.settings.concern_escalate_after
        # Clinic time never runs faster than the clock: older than `after` is a safe pre-filter.
        query = (
            select(Alert.id, Alert.created_at)
            .where(
                Alert.level == TriageLevel.CONCERN,
                Alert.status == AlertStatus.OPEN,
                col(Alert.patient_id).is_not(None),
                col(Alert.escalated_at).is_(None),
                col(Alert.created_at) <= now - after,
            )
            .order_by(col(Alert.created_at))
            .limit(50)
        )
        hours = SendWindow(*self.settings.hours)
        with Session(self.engine) as session:
            rows = session.exec(query).all()
        return [
            alert_id
            for alert_id, created in rows
            if alert_id is not None
            and clinic_deadline(created, after, hours, self.settings.zone) <= now
        ]

    def _claim_escalation(self, alert_id: int, now: datetime) -> bool:
        return self._claim(
            alert_id,
            (col(Alert.status) == AlertStatus.OPEN, col(Alert.escalated_at).is_(None)),
            status=AlertStatus.ESCALATED,
            escalated_at=now,
        )

    def _to_notify(self, now: datetime) -> list[int]:
        return self._open(
            TriageLevel.URGENT,
            col(Alert.notified_at).is_(None),
            col(Alert.notify_attempts) < MAX_NOTIFY_ATTEMPTS,
            _lease_free(now),
        )

    def _open(self, level: TriageLevel, *conditions: ColumnElement[bool]) -> list[int]:
        """Ids of open alerts of `level` that also meet `conditions`, oldest first, a batch."""
        query = (
            select(Alert.id)
            .where(
                Alert.level == level,
                Alert.status == AlertStatus.OPEN,
                # A stranger's message pages nobody: it waits on Today for staff to judge.
                col(Alert.patient_id).is_not(None),
                *conditions,
            )
            .order_by(col(Alert.id))
            .limit(50)
        )
        with Session(self.engine) as session:
            return [i for i in session.exec(query).all() if i is not None]

    def _claim(
        self, alert_id: int, conditions: tuple[ColumnElement[bool], ...], **values: object
    ) -> bool:
        stmt = update(Alert).where(col(Alert.id) == alert_id, *conditions).values(**values)
        with self.engine.begin() as connection:
            return bool(connection.execute(stmt).rowcount)

    def _escalate(self, alert_id: int, now: datetime, report: AlertPassReport) -> None:
        with Session(self.engine, expire_on_commit=False) as session:
            alert = session.get(Alert, alert_id)
            assert alert is not None
            targets = oncall_contacts(self.settings)
            language = self.settings.default_language
            context = self._context(session, alert, language)
            after = (
                self.settings.alert_escalate_after
                if alert.level == TriageLevel.URGENT
                else self.settings.concern_escalate_after
            )
            context["waited"] = _duration(after)
            context["clinic_time"] = alert.level != TriageLevel.URGENT
            decision = may_page(session, ONCALL, now=now, limit=self.limit)
            page = _Page("escalation", targets, language, ONCALL)
            errors = self._page(session, decision, page, alert, now, context)
            if decision is PageDecision.HOLD:
                errors = [HELD]
            alert.escalated_to = ", ".join(mask_address(a) for _, a in targets) or None
            if not targets:
                errors = ["no on-call contact configured (ONCALL_PHONE / ONCALL_EMAIL)"]
            alert.notify_error = "; ".join(errors) or alert.notify_error
            report.escalated += 1
            report.failed.extend(errors)
            session.add(alert)
            session.commit()
            log.warning("alert %s escalated to %s", alert_id, alert.escalated_to or "nobody")

    def _page(
        self,
        session: Session,
        decision: PageDecision,
        page: _Page,
        alert: Alert,
        now: datetime,
        context: dict[str, object] | None = None,
    ) -> list[str]:
        """Send the page, or the hour's one summary instead, or nothing (paging_limits)."""
        if decision is PageDecision.HOLD or not page.targets:
            return []
        notice = page.notice
        if decision is PageDecision.SUMMARY:
            context = {
                "clinic_name": self.settings.clinic_name,
                "alert_id": alert.id,
                "waiting": self._waiting(session),
                "limit": self.limit,
                "url": f"{self.settings.public_base_url}/",
            }
            notice = "summary"
        context = context or self._context(session, alert, page.language)
        errors = self._send_all(notice, page.targets, context, page.language)
        if len(errors) < len(page.targets):
            record_page(session, page.recipient, decision, now=now, alert_id=alert.id)
        return errors

    @staticmethod
    def _waiting(session: Session) -> int:
        """Alerts not acknowledged yet: what a summary page points to."""
        query = (
            select(func.count())
            .select_from(Alert)
            .where(col(Alert.status) != AlertStatus.ACKNOWLEDGED)
        )
        return int(session.exec(query).one())

    def _context(self, session: Session, alert: Alert, language: str) -> dict[str, object]:
        """What a page says: enough to act without logging in, and no more health detail.

        Values the templates word themselves (an unknown sender, nobody paged) are left empty.
        """
        patient = session.get(Patient, alert.patient_id) if alert.patient_id else None
        treatment = session.get(Treatment, alert.treatment_id) if alert.treatment_id else None
        practitioner = (
            session.get(Practitioner, alert.practitioner_id) if alert.practitioner_id else None
        )
        zone = self.settings.zone
        day = "?"
        stored_kind = treatment.kind if treatment is not None else ""
        # Named as the kind's file names it, in the page's language; a removed kind by its id.
        kind = find_kind(self.settings, treatment.kind) if treatment is not None else None
        if treatment is not None:
            treated = treatment.performed_at.astimezone(zone).date()
            day = str((alert.created_at.astimezone(zone).date() - treated).days)
        words = ""
        if self.settings.alert_include_reply_text:
            reply = session.get(InboundMessage, alert.inbound_id)
            words = " ".join((reply.body if reply else "").split())[:300]
        base = self.settings.public_base_url
        paged_at = alert.notified_at.astimezone(zone).strftime("%H:%M") if alert.notified_at else ""
        return {
            "clinic_name": self.settings.clinic_name,
            "alert_id": alert.id,
            "level": alert.level,
            # Minimal health details leave the clinic: first name and initial only.
            "patient": _short_name(patient.name) if patient else "",
            "callback": _callback(patient),
            "language": _language_name(patient.language, language) if patient else "?",
            "day": day,
            "kind": _in_sentence(kind.display(language)) if kind else stored_kind,
            "reasons": ", ".join(json.loads(alert.reasons or "[]")),
            "words": words,
            "url": f"{base}/alerts/{alert.id}",
            "paged": practitioner.name if practitioner and alert.notified_at else "",
            "paged_at": paged_at,
        }

    def _send_all(
        self,
        notice: AlertNotice,
        targets: list[Contact],
        context: dict[str, object],
        language: str,
    ) -> list[str]:
        errors: list[str] = []
        for medium, address in targets:
            spec = MEDIA[medium]
            message = OutgoingMessage(
                outbox_id=0,
                medium=medium,
                to=address,
                text=self.notices.alert(notice, spec.text_part, context, language),
                subject=(
                    self.notices.alert(notice, spec.subject_part, context, language)
                    if spec.subject_part
                    else None
                ),
                track_delivery=False,
            )
            try:
                self.channels[medium].send(message)
            except DeliveryError as exc:
                errors.append(f"{medium} to {mask_address(address)}: {exc}")
                log.warning("alert %s %s failed: %s", context["alert_id"], notice, errors[-1])
        return errors


def _lease_free(now: datetime) -> ColumnElement[bool]:
    """Nobody holds the notification, or the one who did has been gone longer than the lease."""
    return or_(
        col(Alert.notify_claimed_at).is_(None), col(Alert.notify_claimed_at) < now - NOTIFY_LEASE
    )


# A patient's language, named in the language of the page: "French" / "français".
LANGUAGE_NAMES = {
    "en": {"en": "English", "fr": "French"},
    "fr": {"en": "anglais", "fr": "français"},
}


def _language_name(patient_language: str, page_language: str) -> str:
    names = LANGUAGE_NAMES.get(page_language, LANGUAGE_NAMES["en"])
    return names.get(patient_language, patient_language)


def _callback(patient: Patient | None) -> str:
    if patient is None:
        return "unknown"
    return display_phone(patient.phone) if patient.phone else (patient.email or "unknown")


def _duration(span: timedelta) -> str:
    """'30 min', '4 h': the same in English and French."""
    minutes = int(span.total_seconds() // 60)
    return f"{minutes // 60} h" if minutes % 60 == 0 and minutes >= 60 else f"{minutes} min"


def _in_sentence(name: str) -> str:
    """'Chemical peel' -> 'chemical peel' mid-sentence; 'IPL photofacial' stays as it is."""
    if len(name) > 1 and name[1].isupper():
        return name
    return name[:1].lower() + name[1:]


def _short_name(name: str) -> str:
    parts = name.split()
    if len(parts) < 2:
        return name
    return f"{parts[0]} {parts[-1][0]}."
