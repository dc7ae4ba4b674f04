"""Twilio webhooks; every request must carry a valid X-Twilio-Signature."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from anyio import CapacityLimiter, to_thread
from fastapi import APIRouter, HTTPException, Request, Response
from sqlalchemy import Engine
from sqlmodel import Session
from twilio.twiml.messaging_response import MessagingResponse

from models.vocabulary import Medium
from scheduler.contacts import normalize_phone
from scheduler.inbound.alerts import AlertNotifier
from scheduler.inbound.notice_texts import NoticeRenderer
from scheduler.inbound.replies import MAX_BODY_CHARS, IncomingReply, ReplyOutcome, receive_reply
from scheduler.ops.metrics import webhook_outcome
from scheduler.outbound.delivery_reports import record_delivery_report
from scheduler.settings import Settings
from scheduler.text_input import clean_body, clean_line
from scheduler.web.deps import (
    ClockDep,
    EngineDep,
    MetricsDep,
    NoticesDep,
    NotifierDep,
    SettingsDep,
)
from scheduler.web.twilio_signature import is_valid_twilio_request

router = APIRouter(prefix="/webhooks/twilio", tags=["webhooks"])
# Webhook database work runs in at most this many threads at once. More are not faster: SQLite
# takes one writer at a time, PostgreSQL's pool holds 5 connections (past that, one is opened
# and closed per request), and each extra thread competes for the GIL (bench/README.md).
DB_THREADS = 4


def db_limiter() -> CapacityLimiter:
    """A limiter for one app's webhook database work (create_app keeps it in app.state)."""
    return CapacityLimiter(DB_THREADS)


def _limiter(request: Request) -> CapacityLimiter:
    limiter: CapacityLimiter = request.app.state.webhook_limiter
    return limiter


async def signed_form(request: Request, settings: Settings) -> dict[str, str]:
    """The form fields, once the signature over the operator's public URL checks out."""
    form = await request.form()
    params = {key: str(value) for key, value in form.items()}
    # Twilio signs the URL it was told to call, not what a proxy forwards to us.
    url = settings.public_base_url + request.url.path
    if request.url.query:
        url += "?" + request.url.query
    token = settings.twilio_auth_token.get_secret_value()
    signature = request.headers.get("X-Twilio-Signature")
    if not token or not is_valid_twilio_request(token, url, params, signature):
        raise HTTPException(status_code=403, detail="invalid Twilio signature")
    return params


@router.post("/status", status_code=204)
async def status_callback(
    request: Request,
    settings: SettingsDep,
    engine: EngineDep,
    clock: ClockDep,
    metrics: MetricsDep,
) -> Response:
    try:
        params = await signed_form(request, settings)
        sid = params.get("MessageSid") or params.get("SmsSid")
        status = params.get("MessageStatus") or params.get("SmsStatus")
        if not sid or not status:
            detail = "MessageSid and MessageStatus are required"
            raise HTTPException(status_code=400, detail=detail)
        error_code = params.get("ErrorCode") or None
        # What Twilio sends fits the columns; anything else is not a report we can use.
        for name, value, size in (("MessageSid", sid, 255), ("MessageStatus", status, 20)):
            if len(value) > size or clean_line(value, max_chars=size) != value:
                raise HTTPException(status_code=400, detail=f"{name} is not a Twilio value")
        if error_code is not None and (len(error_code) > 40 or not error_code.isalnum()):
            raise HTTPException(status_code=400, detail="ErrorCode is not a Twilio value")
    except HTTPException as exc:
        metrics.webhook("status", webhook_outcome(exc.status_code))
        raise
    # In a worker thread: on the event loop its database calls stalled every other request
    # (bench/README.md).
    await to_thread.run_sync(
        partial(record_delivery_report, now=clock()),
        engine,
        sid,
        status,
        error_code,
        limiter=_limiter(request),
    )
    metrics.webhook("status", "ok")
    return Response(status_code=204)


# Twilio's inbound form is a few kB even with ten media URLs; anything far larger is not Twilio.
MAX_FORM_BYTES = 64 * 1024
MAX_MEDIA = 10


@router.post("/sms", response_class=Response)
async def inbound_sms(
    request: Request,
    settings: SettingsDep,
    engine: EngineDep,
    clock: ClockDep,
    metrics: MetricsDep,
    notices: NoticesDep,
    notifier: NotifierDep,
) -> Response:
    """A patient's (or practitioner's) text: stored, acted on, answered with TwiML."""
    try:
        length = request.headers.get("content-length")
        if length is None or not length.isdigit():
            raise HTTPException(status_code=411, detail="Content-Length is required")
        if int(length) > MAX_FORM_BYTES:
            raise HTTPException(status_code=413, detail="request too large")
        params = await signed_form(request, settings)
        reply = _incoming_sms(params)
    except HTTPException as exc:
        metrics.webhook("sms", webhook_outcome(exc.status_code))
        raise
    outcome = await to_thread.run_sync(
        _store_reply,
        engine,
        settings,
        reply,
        clock(),
        notices,
        notifier,
        limiter=_limiter(request),
    )
    metrics.webhook("sms", "duplicate" if outcome.duplicate else "ok")
    return twiml(outcome.answer)


def _incoming_sms(params: dict[str, str]) -> IncomingReply:
    sid = clean_line(params.get("MessageSid") or params.get("SmsSid") or "", max_chars=255)
    sender = clean_line(params.get("From", ""), max_chars=320)
    if not sid or not sender:
        raise HTTPException(status_code=400, detail="MessageSid and From are required")
    try:
        count = int(params.get("NumMedia") or 0)
    except ValueError:
        raise HTTPException(status_code=400, detail="NumMedia must be a number") from None
    media = tuple(
        url
        for i in range(min(max(count, 0), MAX_MEDIA))
        if (url := clean_line(params.get(f"MediaUrl{i}", ""), max_chars=2000)).startswith(
            "https://"
        )
    )
    try:
        sender = normalize_phone(sender)
    except ValueError:
        sender = sender[:32]  # a short code or alphanumeric sender: kept as Twilio gave it
    return IncomingReply(
        channel=Medium.SMS,
        from_address=sender,
        # NUL and control characters dropped, not refused: every reply must reach a human.
        body=clean_body(params.get("Body", ""), max_chars=MAX_BODY_CHARS),
        provider_id=sid,
        to_address=clean_line(params.get("To", ""), max_chars=320) or None,
        media_urls=media,
    )


def _store_reply(
    engine: Engine,
    settings: Settings,
    reply: IncomingReply,
    now: datetime,
    notices: NoticeRenderer,
    notifier: AlertNotifier | None,
) -> ReplyOutcome:
    pager = partial(notifier.page_now, now=now) if notifier is not None else None
    with Session(engine, expire_on_commit=False) as session:
        return receive_reply(session, settings, reply, now=now, notices=notices, pager=pager)


def twiml(answer: str | None) -> Response:
    """A TwiML document: one <Message> answering the sender, or an empty <Response/>."""
    document = MessagingResponse()
    if answer:
        document.message(answer)
    return Response(content=str(document), media_type="application/xml")
