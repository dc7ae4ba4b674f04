"""Login and logout pages."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from models.tables import StaffUser
from scheduler.contacts import mask_email
from scheduler.staff import audit
from scheduler.staff.accounts import MAX_EMAIL_CHARS, authenticate, end_sessions
from scheduler.staff.login_throttle import source_key
from scheduler.text_input import clean_line
from scheduler.web.csrf import CsrfForm
from scheduler.web.deps import ClockDep, SessionDep, SettingsDep
from scheduler.web.i18n import N_, negotiate, request_translations
from scheduler.web.pages.rendering import render, safe_next, see_other
from scheduler.web.session import clear_cookie, login_session, session_staff, write_cookie

router = APIRouter(include_in_schema=False)

# One message for an unknown email, a wrong password and a locked account alike.
LOGIN_FAILED = N_(
    "Email or password not recognised. After several failed tries, "
    "signing in pauses for a few minutes."
)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> Response:
    if session_staff(request) is not None:
        return see_other(safe_next(next))
    return render(request, "login.html", next=safe_next(next), email="", error=None)


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request, form: CsrfForm, db: SessionDep, settings: SettingsDep, clock: ClockDep
) -> Response:
    # Kept to what an address can be: the audit row stores the (masked) typed address.
    email = clean_line(str(form.get("email") or ""), max_chars=MAX_EMAIL_CHARS)
    password = str(form.get("password") or "")
    target = safe_next(form.get("next"))
    now = clock()
    # The client address uvicorn reports: behind the proxy, the one it forwarded (deploy.md).
    source = source_key(request.client.host if request.client else None)
    attempt = authenticate(db, email, password, now=now, source=source)
    if attempt.staff is None:
        # The typed email is masked: people sometimes type a password in the wrong box.
        typed = mask_email(email)[: MAX_EMAIL_CHARS - len("unknown:")]
        actor = attempt.known.email if attempt.known else f"unknown:{typed}"
        detail = (
            "account locked"
            if attempt.locked
            else "too many failed logins from this address"
            if attempt.throttled
            else None
        )
        audit.record(db, actor=actor, action="login_failed", detail=detail, now=now)
        db.commit()
        return render(
            request,
            "login.html",
            status_code=400,
            next=target,
            email=email,
            error=request_translations(request).gettext(LOGIN_FAILED),
        )
    if attempt.staff.language is None:
        # The first login of an account chooses its language the way the login page was shown.
        attempt.staff.language = negotiate(request.headers.get("accept-language"))
    audit.record(db, actor=attempt.staff.email, action="login", now=now)
    db.commit()
    response = see_other(target)
    write_cookie(response, settings, login_session(attempt.staff, now=now))
    return response


@router.post("/logout")
def logout(
    request: Request, _form: CsrfForm, db: SessionDep, settings: SettingsDep, clock: ClockDep
) -> Response:
    staff = session_staff(request)
    if staff is not None:
        # Ends the account's sessions everywhere: a copied cookie must not outlive a sign-out.
        account = db.get(StaffUser, staff.id)
        if account is not None:
            end_sessions(db, account)
        audit.record(db, actor=staff.email, action="logout", now=clock())
        db.commit()
    response = see_other("/login")
    clear_cookie(response, settings)
    return response
