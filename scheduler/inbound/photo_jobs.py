"""The photo job: downloads the MMS photos replies announced (off the web request path), keeps
or refuses each, deletes it at Twilio when asked to, and tells a practitioner once when a photo
joined their urgent alert."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

import httpx
from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy import Engine, and_, exists, update
from sqlmodel import Session, col, select

from models import Alert, ReplyMedia
from models.vocabulary import MediaStatus, TriageLevel
from scheduler.clock import Clock
from scheduler.inbound.alerts import AlertNotifier
from scheduler.inbound.photo_fetch import (
    FetchError,
    MediaAddress,
    TooLarge,
    delete_media,
    fetch_media,
    twilio_client,
)
from scheduler.inbound.photo_images import Refusal, process_photo, too_large
from scheduler.inbound.photo_rules import retry_delay
from scheduler.inbound.photo_store import (
    Download,
    claim_download,
    due_downloads,
    finish_download,
    mark_deleted_at_provider,
    retry_later,
)
from scheduler.settings import Settings

log = logging.getLogger(__name__)
PHOTO_INTERVAL_SECONDS = 5.0


@dataclass
class PhotoPassReport:
    stored: int = 0
    refused: int = 0
    retried: int = 0
    told: list[int] = field(default_factory=list)  # alerts whose practitioner heard of a photo


class PhotoJob:
    """One pass: every due download, then the practitioners to tell."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        clock: Clock,
        notifier: AlertNotifier | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.clock = clock
        self.notifier = notifier

    def __call__(self) -> None:
        try:
            report = self.run_pass()
        except Exception:  # a DB blip must not kill the job; logged, retried next run
            log.exception("photo pass failed")
            return
        if report.stored or report.refused or report.retried:
            log.info(
                "photos: %s kept, %s refused, %s to retry",
                report.stored,
                report.refused,
                report.retried,
            )

    def run_pass(self) -> PhotoPassReport:
        report = PhotoPassReport()
        due = due_downloads(self.engine, self.clock())
        if due:
            with twilio_client(self.settings) as client:
                for media_id in due:
                    download = claim_download(self.engine, media_id, self.clock())
                    if download is not None:
                        self._download(client, download, report)
        if self.notifier is not None:
            report.told = tell_of_photos(self.engine, self.notifier, now=self.clock())
        return report

    def _download(self, client: httpx.Client, download: Download, report: PhotoPassReport) -> None:
        url = MediaAddress(download.message_sid, download.media_sid).url(self.settings)
        limit = self.settings.media_max_bytes
        try:
            outcome = process_photo(fetch_media(client, url, max_bytes=limit), max_bytes=limit)
        except TooLarge:
            outcome = too_large(limit)
        except FetchError as exc:
            tried = download.attempts + 1
            if exc.retry and tried < self.settings.media_fetch_attempts:
                wait = retry_delay(tried, self.settings.media_retry_seconds)
                retry_later(self.engine, download, f"download failed ({exc})", self.clock() + wait)
                log.info("photo %s: download failed (%s), retried later", download.media_id, exc)
                report.retried += 1
                return
            tries = "1 try" if tried == 1 else f"{tried} tries"
            reason = f"could not be downloaded from Twilio ({exc}, {tries})"
            finish_download(self.engine, download.media_id, Refusal(reason), self.clock())
            report.refused += 1
            return
        finish_download(self.engine, download.media_id, outcome, self.clock())
        if isinstance(outcome, Refusal):
            report.refused += 1
        else:
            report.stored += 1
        # Kept (or judged) here: Twilio's copy is no longer needed.
        if self.settings.twilio_delete_media and delete_media(client, url):
            mark_deleted_at_provider(self.engine, download.media_id, self.clock())


def tell_of_photos(engine: Engine, notifier: AlertNotifier, *, now: datetime) -> list[int]:
    """Page once per urgent alert that a later reply's photo joined; returns the alert ids."""
    later_photo = exists().where(
        and_(
            col(ReplyMedia.alert_id) == Alert.id,
            col(ReplyMedia.status) == MediaStatus.STORED,
            col(ReplyMedia.inbound_id) != Alert.inbound_id,
        )
    )
    query = (
        select(Alert.id)
        .where(
            col(Alert.level) == TriageLevel.URGENT,
            col(Alert.photo_told_at).is_(None),
            col(Alert.patient_id).is_not(None),
            later_photo,
        )
        .order_by(col(Alert.id))
        .limit(50)
    )
    with Session(engine) as session:
        candidates = [i for i in session.exec(query).all() if i is not None]
    told = []
    for alert_id in candidates:
        claim = (
            update(Alert)
            .where(col(Alert.id) == alert_id, col(Alert.photo_told_at).is_(None))
            .values(photo_told_at=now)
        )
        with engine.begin() as connection:
            if not connection.execute(claim).rowcount:
                continue  # another process tells this one
        # Told once, even if this page fails: a photo is more detail, never the alarm itself.
        notifier.tell(alert_id, "photo")  # a failed send is logged there, addresses masked
        told.append(alert_id)
    return told


def add_photo_job(
    scheduler: BaseScheduler,
    engine: Engine,
    settings: Settings,
    clock: Clock,
    notifier: AlertNotifier,
) -> None:
    """Register the photo job (downloads are due seconds after the webhook stored the reply)."""
    scheduler.add_job(
        PhotoJob(engine, settings, clock, notifier),
        "interval",
        seconds=PHOTO_INTERVAL_SECONDS,
        id="photos",
        coalesce=True,
        max_instances=1,
    )
