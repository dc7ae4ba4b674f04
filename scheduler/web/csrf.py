"""CSRF: one token per session, a hidden field in every form, checked on every POST (403 if not)."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Response
from starlette.datastructures import FormData

from scheduler.settings import Settings
from scheduler.web.session import SessionData, new_csrf_token, read_session, write_cookie

FIELD = "csrf_token"


def csrf_token(request: Request) -> str:
    """The token for this session's forms; a first visit gets one (see `keep_new_session`)."""
    data = read_session(request)
    if data is not None:
        return data.csrf
    pending = getattr(request.state, "aftercare_new_session", None)
    if not isinstance(pending, SessionData):
        pending = SessionData(csrf=new_csrf_token())
        request.state.aftercare_new_session = pending
    return pending.csrf


def keep_new_session(request: Request, response: Response, settings: Settings) -> None:
    """Send the cookie for a token handed out on this request (the login form's)."""
    pending = getattr(request.state, "aftercare_new_session", None)
    if isinstance(pending, SessionData):
        write_cookie(response, settings, pending)


async def checked_form(request: Request) -> FormData:
    """The posted form, once its token matches the session's; otherwise 403."""
    form = await request.form()
    sent = form.get(FIELD)
    data = read_session(request)
    if data is None or not isinstance(sent, str) or not secrets.compare_digest(sent, data.csrf):
        raise HTTPException(
            status_code=403,
            detail="This form has expired or did not come from this site. Reload and try again.",
        )
    return form


CsrfForm = Annotated[FormData, Depends(checked_form)]
