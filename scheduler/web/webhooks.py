"""Twilio webhooks; every request must carry a valid X-Twilio-Signature."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response

from scheduler.delivery import record_delivery_report
from scheduler.settings import Settings
from scheduler.twilio_signature import is_valid_twilio_request
from scheduler.web.deps import ClockDep, EngineDep, SettingsDep

router = APIRouter(prefix="/webhooks/twilio", tags=["webhooks"])


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
    request: Request, settings: SettingsDep, engine: EngineDep, clock: ClockDep
) -> Response:
    params = await signed_form(request, settings)
    sid = params.get("MessageSid") or params.get("SmsSid")
    status = params.get("MessageStatus") or params.get("SmsStatus")
    if not sid or not status:
        raise HTTPException(status_code=400, detail="MessageSid and MessageStatus are required")
    record_delivery_report(engine, sid, status, params.get("ErrorCode") or None, now=clock())
    return Response(status_code=204)
