"""The periodic jobs of the replies side: alert paging/escalation, and the IMAP mailbox poll."""

from __future__ import annotations

import logging

from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy import Engine
from sqlmodel import Session

from models.vocabulary import Medium
from scheduler.channels.base import Channel, DeliveryError, OutgoingMessage
from scheduler.channels.email_headers import plain_address, reply_subject, threading_headers
from scheduler.clock import Clock
from scheduler.contacts import mask_address
from scheduler.inbound.alerts import AlertNotifier
from scheduler.inbound.mailbox import IncomingEmail, MailboxError, poll_mailbox
from scheduler.inbound.notice_texts import NoticeRenderer
from scheduler.inbound.photo_images import process_photo
from scheduler.inbound.replies import IncomingReply, receive_reply
from scheduler.settings import Settings

log = logging.getLogger(__name__)
# Alerts are checked often: "at once" for a page means within seconds of the reply.
ALERT_INTERVAL_SECONDS = 5.0


class AlertJob:
    """Pages practitioners for new urgent alerts and escalates unacknowledged ones."""

    def __init__(self, notifier: AlertNotifier, clock: Clock) -> None:
        self.notifier = notifier
        self.clock = clock

    def __call__(self) -> None:
        try:
            report = self.notifier.run_pass(now=self.clock())
        except Exception:  # a DB blip must not kill the job; logged, retried next run
            log.exception("alert pass failed")
            return
        if report.notified or report.escalated:
            log.info("alerts: %s paged, %s escalated", report.notified, report.escalated)


class MailboxJob:
    """Feeds email replies from the clinic mailbox into the same pipeline as SMS replies."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        channels: dict[str, Channel],
        clock: Clock,
        notifier: AlertNotifier | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.channels = channels
        self.clock = clock
        # Compiled once, not per mail.
        self.notices = NoticeRenderer(clinic_dir=settings.clinic_templates_dir)
        self.notifier = notifier or AlertNotifier(engine, settings, channels, self.notices)

    def __call__(self) -> None:
        try:
            poll_mailbox(self.settings, self.handle, now=self.clock())
        except MailboxError as exc:
            log.error("mailbox poll failed: %s", exc)

    def handle(self, mail: IncomingEmail) -> None:
        # Judged here, in the poll's thread and before the database is written: each file is
        # kept as a photo or refused with its reason, and shown with the reply.
        limit = self.settings.media_max_bytes
        photos = tuple(process_photo(raw, max_bytes=limit) for raw in mail.files)
        body = mail.text
        unread = mail.attachments[len(mail.files) :]  # past MAX_FILES: named, not kept
        if unread:
            body += "\n[attachments not kept: " + ", ".join(unread) + "]"
        reply = IncomingReply(
            channel=Medium.EMAIL,
            from_address=mail.from_address,
            body=body,
            provider_id=mail.message_id,
            photos=photos,
            to_address=mail.to_address,
            received_at=mail.received_at,
            sender_verified=mail.sender_authenticated or not self.settings.email_require_auth,
        )
        with Session(self.engine, expire_on_commit=False) as session:
            outcome = receive_reply(
                session,
                self.settings,
                reply,
                now=self.clock(),
                notices=self.notices,
                pager=lambda alert_id: self.notifier.page_now(alert_id, now=self.clock()),
            )
        if outcome.answer and not outcome.duplicate:
            self._answer(mail, outcome.answer, outcome.language or self.settings.default_language)

    def _answer(self, mail: IncomingEmail, text: str, language: str) -> None:
        # Built from scratch: nothing of the inbound headers is copied (channels/email_headers).
        to = plain_address(mail.from_address)
        if to is None:
            masked = mask_address(mail.from_address)
            log.warning("answer not sent: %s is not a plain address", masked)
            return
        message = OutgoingMessage(
            outbox_id=0,
            medium=Medium.EMAIL,
            to=to,
            text=text,
            subject=reply_subject(
                mail.subject, language=language, clinic_name=self.settings.clinic_name
            ),
            headers=threading_headers(mail.message_id),
        )
        try:
            self.channels[Medium.EMAIL].send(message)
        except DeliveryError as exc:
            # The reply itself is stored and alerted; only the courtesy answer is lost.
            log.warning("answer to %s not sent: %s", mask_address(mail.from_address), exc)


def add_reply_jobs(
    scheduler: BaseScheduler,
    engine: Engine,
    settings: Settings,
    channels: dict[str, Channel],
    clock: Clock,
    notifier: AlertNotifier,
) -> None:
    """Register the alert job, and the mailbox poll when IMAP_HOST is set."""
    scheduler.add_job(
        AlertJob(notifier, clock),
        "interval",
        seconds=ALERT_INTERVAL_SECONDS,
        id="alerts",
        coalesce=True,
        max_instances=1,
    )
    if settings.imap_host:
        scheduler.add_job(
            MailboxJob(engine, settings, channels, clock, notifier),
            "interval",
            seconds=settings.imap_poll_seconds,
            id="mailbox",
            coalesce=True,
            max_instances=1,
        )
