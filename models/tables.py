"""The tables: who is treated, what is scheduled (the outbox), what came back, what was raised."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlmodel import Field, SQLModel

from models.types import UTCDateTime
from models.vocabulary import (
    AlertStatus,
    ChannelChoice,
    Language,
    MediaStatus,
    OutboxStatus,
    Role,
    TreatmentStatus,
)


def _ts(*, nullable: bool = False, index: bool = False) -> Column[datetime]:
    return Column(UTCDateTime(), nullable=nullable, index=index)


class Practitioner(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(200), nullable=False, unique=True))
    phone: str | None = Field(default=None, max_length=20)
    email: str | None = Field(default=None, max_length=320)
    # The language of the pages and acknowledgements sent to this practitioner.
    language: str = Field(
        default=Language.EN,
        sa_column=Column(String(2), nullable=False, server_default=Language.EN.value),
    )
    active: bool = True
    created_at: datetime = Field(sa_column=_ts())


class PatientBase(SQLModel):
    name: str = Field(max_length=200)
    phone: str = Field(max_length=20)  # E.164
    email: str | None = Field(default=None, max_length=320)
    language: str = Field(default=Language.EN, max_length=2)
    preferred_channel: str = Field(default=ChannelChoice.SMS, max_length=5)


class Patient(PatientBase, table=True):
    """A person. Families share phones and emails: neither identifies a patient alone."""

    id: int | None = Field(default=None, primary_key=True)
    phone: str = Field(sa_column=Column(String(20), nullable=False, index=True))
    consent_source: str = Field(default="in-clinic", max_length=50)
    consent_at: datetime = Field(sa_column=_ts())
    created_at: datetime = Field(sa_column=_ts())
    # Set when the patient's data was erased (on request or by retention): the row stays, with
    # placeholders, so that counts and statuses still add up.
    erased_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class OptedOutAddress(SQLModel, table=True):
    """A phone or email that asked for no more follow-ups (STOP, 21610, unsubscribe, staff)."""

    __tablename__ = "opted_out_address"
    __table_args__ = (UniqueConstraint("medium", "address", name="uq_opted_out_address"),)

    id: int | None = Field(default=None, primary_key=True)
    medium: str = Field(max_length=10)  # sms | email
    address: str = Field(max_length=320)  # E.164 phone, or a lowercased email address
    opted_out_at: datetime = Field(sa_column=_ts())
    source: str = Field(max_length=20)  # stop | carrier | unsubscribe | staff | migrated


class Treatment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    practitioner_id: int | None = Field(default=None, foreign_key="practitioner.id")
    kind: str = Field(max_length=50)
    performed_at: datetime = Field(sa_column=_ts())
    status: str = Field(default=TreatmentStatus.ACTIVE, max_length=20)
    created_at: datetime = Field(sa_column=_ts())
    cancelled_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class OutboundMessage(SQLModel, table=True):
    __tablename__ = "outbound_message"
    __table_args__ = (
        UniqueConstraint("treatment_id", "step", "channel", name="uq_outbound_treatment_step"),
        Index("ix_outbound_status_due", "status", "due_at"),
        # Claims scan by next_attempt_at (retries move it); this keeps a pass O(batch).
        Index("ix_outbound_status_next", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    treatment_id: int = Field(foreign_key="treatment.id", index=True)
    step: str = Field(max_length=20)
    channel: str = Field(max_length=10)  # sms | email
    due_at: datetime = Field(sa_column=_ts())
    expires_at: datetime = Field(sa_column=_ts())
    status: str = Field(default=OutboxStatus.PENDING, max_length=20)
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_column=_ts())
    claim_token: str | None = Field(default=None, max_length=32)
    claimed_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    sent_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    provider_id: str | None = Field(default=None, max_length=255, index=True)
    segments: int | None = None
    delivery_status: str | None = Field(default=None, max_length=20)
    error_code: str | None = Field(default=None, max_length=40)
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    updated_at: datetime = Field(sa_column=_ts())
    # A message staff wrote (not a follow-up step): its text, who sent it, and the reply it
    # answers (an answer to a reply from the last 24 h may go outside the send window).
    body: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    sent_by: str | None = Field(default=None, max_length=320)
    reply_to_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("inbound_message.id", name="fk_outbound_reply_to"), nullable=True
        ),
    )


class EarlyDeliveryReport(SQLModel, table=True):
    """A provider's status report that came before its message id was recorded; replayed then."""

    __tablename__ = "early_delivery_report"

    id: int | None = Field(default=None, primary_key=True)
    provider_id: str = Field(max_length=255, index=True)
    status: str = Field(max_length=20)
    error_code: str | None = Field(default=None, max_length=40)
    received_at: datetime = Field(sa_column=_ts())


class InboundMessage(SQLModel, table=True):
    """A patient's (or unknown sender's) reply; every one is kept and shown to staff."""

    __tablename__ = "inbound_message"

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int | None = Field(default=None, foreign_key="patient.id", index=True)
    treatment_id: int | None = Field(default=None, foreign_key="treatment.id", index=True)
    channel: str = Field(max_length=10)  # sms | email
    from_address: str = Field(max_length=320)
    to_address: str | None = Field(default=None, max_length=320)
    body: str = Field(sa_column=Column(Text, nullable=False))
    media_urls: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # JSON
    # Twilio MessageSid or the email's Message-ID: a replay is stored once.
    provider_id: str | None = Field(
        default=None, sa_column=Column(String(255), nullable=True, unique=True)
    )
    keyword: str | None = Field(default=None, max_length=10)  # stop | start | help
    level: str | None = Field(default=None, max_length=10)  # urgent | concern | routine
    reasons: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # JSON
    auto_reply: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    received_at: datetime = Field(sa_column=_ts(index=True))
    handled_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    handled_by: str | None = Field(default=None, max_length=320)
    # Several patients with an active follow-up use the sending phone: it was attached to the
    # most recent, and staff may move it.
    shared_phone: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )
    answered_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    answered_by: str | None = Field(default=None, max_length=320)
    # False: an email from an unknown or unauthenticated sender ("unverified sender"); nothing
    # was done on its word (no opt-out, no alert, no answer).
    sender_verified: bool = Field(
        default=True, sa_column=Column(Boolean, nullable=False, server_default=true())
    )


class Alert(SQLModel, table=True):
    """A reply that needs a practitioner; its id is the number practitioners answer `OK <n>` to."""

    id: int | None = Field(default=None, primary_key=True)
    inbound_id: int = Field(
        sa_column=Column(Integer, ForeignKey("inbound_message.id"), nullable=False, unique=True)
    )
    patient_id: int | None = Field(default=None, foreign_key="patient.id", index=True)
    treatment_id: int | None = Field(default=None, foreign_key="treatment.id")
    practitioner_id: int | None = Field(default=None, foreign_key="practitioner.id", index=True)
    level: str = Field(max_length=10)
    reasons: str = Field(sa_column=Column(Text, nullable=False))  # JSON list
    status: str = Field(default=AlertStatus.OPEN, max_length=20, index=True)
    created_at: datetime = Field(sa_column=_ts())
    # Notification is claimed like an outbox row so that two processes never both page.
    notify_claimed_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    notify_attempts: int = 0
    notified_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    notify_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    escalated_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    escalated_to: str | None = Field(default=None, max_length=320)
    acknowledged_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    acknowledged_by: str | None = Field(default=None, max_length=320)
    ack_note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # When the practitioner was told that a photo came after this alert (once per alert).
    photo_told_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class ReplyMedia(SQLModel, table=True):
    """A photo a reply carried (MMS media or email attachment), kept in the database itself so
    that every service process serves it; refused files keep only the reason."""

    __tablename__ = "reply_media"
    __table_args__ = (Index("ix_reply_media_status_next", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    inbound_id: int = Field(
        sa_column=Column(Integer, ForeignKey("inbound_message.id"), nullable=False, index=True)
    )
    patient_id: int | None = Field(default=None, foreign_key="patient.id", index=True)
    # The alert it is shown with: its reply's own, or an urgent one it followed within 30 min.
    alert_id: int | None = Field(default=None, foreign_key="alert.id", index=True)
    status: str = Field(default=MediaStatus.PENDING, max_length=10)
    refusal: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    content_type: str | None = Field(default=None, max_length=50)
    data: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    thumbnail: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    width: int | None = None
    height: int | None = None
    size_bytes: int | None = None
    # Twilio's media SID (ME...), never a URL with credentials; None for an email attachment.
    source: str | None = Field(default=None, max_length=64)
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    claimed_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    provider_deleted_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    created_at: datetime = Field(sa_column=_ts())
    stored_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class StaffUser(SQLModel, table=True):
    """A clinic staff login; passwords are stored only as a slow salted hash."""

    __tablename__ = "staff_user"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(sa_column=Column(String(320), nullable=False, unique=True))
    name: str = Field(default="", max_length=200)
    password_hash: str = Field(max_length=255)
    active: bool = True
    failed_logins: int = 0  # consecutive; each one lengthens the wait before the next try
    locked_until: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    last_login_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    created_at: datetime = Field(sa_column=_ts())
    # Part of every session cookie's key: raising it ends all of the account's sessions.
    session_epoch: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default="0")
    )
    role: str = Field(default=Role.FRONT_DESK, sa_column=Column(String(20), nullable=False))
    # The practitioner this login is: with PRACTITIONER_SEES_OWN_ONLY, whose patients it sees.
    practitioner_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer,
            ForeignKey("practitioner.id", name="fk_staff_user_practitioner"),
            nullable=True,
        ),
    )
    # The staff pages' language (en | fr); None until the first login sets it from the browser.
    language: str | None = Field(default=None, sa_column=Column(String(2), nullable=True))


class ApiToken(SQLModel, table=True):
    """One integration's bearer token; only its SHA-256 is stored, the token is shown once."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(100), nullable=False, unique=True))
    scope: str = Field(max_length=10)  # read | write
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    prefix: str = Field(max_length=16)  # the token's first characters, to recognise it in lists
    created_at: datetime = Field(sa_column=_ts())
    created_by: str = Field(max_length=320)
    last_used_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    revoked_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    revoked_by: str | None = Field(default=None, max_length=320)


class AuditEvent(SQLModel, table=True):
    """Who saw or did what to which patient data, and when; append-only."""

    __tablename__ = "audit_event"
    __table_args__ = (
        # The audit page filters by who and by patient.
        Index("ix_audit_event_actor_at", "actor", "at"),
        Index("ix_audit_event_target", "target"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=_ts(index=True))
    actor: str = Field(max_length=320)  # staff email, "token:NAME", "api-token", "cli", "system"
    action: str = Field(max_length=50)  # e.g. view_timeline, register, cancel, ack_alert
    target: str | None = Field(default=None, max_length=100)  # e.g. "patient:12"
    detail: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # The patients a list showed, as ids ("3,7,12"): who saw whom, without their data.
    shown: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class PageLog(SQLModel, table=True):
    """One page (or the summary that replaces pages past the hourly limit) sent to a recipient."""

    __tablename__ = "page_log"
    __table_args__ = (Index("ix_page_log_recipient_at", "recipient", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    recipient: str = Field(max_length=100)  # "practitioner:12" or "oncall"
    kind: str = Field(max_length=10)  # page | summary
    alert_id: int | None = None
    at: datetime = Field(sa_column=_ts())


class LoginThrottle(SQLModel, table=True):
    """Failed logins from one client address, across accounts; past a few it waits."""

    __tablename__ = "login_throttle"

    source: str = Field(sa_column=Column(String(100), primary_key=True))  # "ip:203.0.113.9"
    failures: int = 0
    window_start: datetime = Field(sa_column=_ts())
    locked_until: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
