"""The email opt-out link: GET shows a confirm button, POST (incl. RFC 8058 one-click) opts out."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from models import Patient
from models.vocabulary import Medium
from scheduler.outbound.optout import opt_out_address
from scheduler.outbound.unsubscribe_tokens import read_token
from scheduler.web.deps import ClockDep, SessionDep, SettingsDep

router = APIRouter(tags=["unsubscribe"])

_PAGE = """<!doctype html><html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 32rem; margin: 3rem auto;
padding: 0 1rem; line-height: 1.5"><h1>{title}</h1>{body}</body></html>"""

_TEXT = {
    "en": {
        "confirm": "Stop follow-up messages?",
        "ask": "You will no longer receive follow-up messages from {clinic}.",
        "button": "Unsubscribe",
        "done": "You are unsubscribed",
        "done_body": "{clinic} will not send you further follow-up messages. "
        "Reply START to a text message to subscribe again.",
    },
    "fr": {
        "confirm": "Ne plus recevoir les messages de suivi ?",
        "ask": "Vous ne recevrez plus les messages de suivi de {clinic}.",
        "button": "Me désabonner",
        "done": "Vous êtes désabonné(e)",
        "done_body": "{clinic} ne vous enverra plus de messages de suivi. "
        "Répondez START à un texto pour vous réabonner.",
    },
}


def _page(lang: str, title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(lang=lang, title=escape(title), body=body), status)


def _not_found() -> HTMLResponse:
    return _page("en", "Link not valid", "<p>This unsubscribe link is not valid.</p>", 404)


@router.get("/unsubscribe/{token}", response_class=HTMLResponse)
def confirm(token: str, settings: SettingsDep, session: SessionDep) -> HTMLResponse:
    # GET never opts out: mail scanners follow links, and that must not unsubscribe anyone.
    patient_id = read_token(settings.secret_key.get_secret_value(), token)
    patient = session.get(Patient, patient_id) if patient_id is not None else None
    if patient is None:
        return _not_found()
    text = _TEXT.get(patient.language, _TEXT["en"])
    clinic = escape(settings.clinic_name)
    body = (
        f"<p>{text['ask'].format(clinic=clinic)}</p>"
        f'<form method="post"><button type="submit">{text["button"]}</button></form>'
    )
    return _page(patient.language, text["confirm"], body)


@router.post("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe(
    token: str, settings: SettingsDep, session: SessionDep, clock: ClockDep
) -> HTMLResponse:
    patient_id = read_token(settings.secret_key.get_secret_value(), token)
    patient = session.get(Patient, patient_id) if patient_id is not None else None
    if patient is None or patient.id is None:
        return _not_found()
    # The link came by email: it stops email to this address (texts have STOP).
    if patient.email:
        opt_out_address(session, Medium.EMAIL, patient.email, now=clock(), source="unsubscribe")
    session.commit()
    text = _TEXT.get(patient.language, _TEXT["en"])
    body = f"<p>{text['done_body'].format(clinic=escape(settings.clinic_name))}</p>"
    return _page(patient.language, text["done"], body)
