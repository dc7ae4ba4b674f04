"""Errors on staff pages come back as pages; API clients, webhooks and probes keep JSON."""

from __future__ import annotations

import json
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from scheduler.web.i18n import N_, request_translations
from scheduler.web.pages.rendering import render
from scheduler.web.pages.rule_texts import rule_text

# Machine-facing paths, and the patient-facing unsubscribe page (which is not a staff page).
NOT_PAGES = (
    "/api/",
    "/webhooks/",
    "/unsubscribe/",
    "/static/",
    "/metrics",
    "/healthz",
    "/readyz",
    "/docs",
    "/redoc",
    "/openapi.json",
)
EXPLANATIONS = {
    404: N_("The link may be mistyped, or what it pointed to no longer exists."),
    405: N_("This address does not take that kind of request."),
}
# The titles these pages can have, for the catalogue (they are HTTP phrases, capitalised).
TITLES = (
    N_("Bad request"),
    N_("Forbidden"),
    N_("Not found"),
    N_("Method not allowed"),
    N_("Request entity too large"),
    N_("Too many requests"),
    N_("Internal server error"),
)
# Details raised on page routes that staff read as the explanation.
DETAILS = (
    N_("This form has expired or did not come from this site. Reload and try again."),
    N_("No such patient"),
    N_("No such treatment"),
    N_("No such alert"),
    N_("No such message"),
    N_("No such reply"),
    N_("Choose the patient to move the reply to"),
)


def wants_page(request: Request) -> bool:
    """A browser asking for a staff page (not an API client, a webhook or a probe)."""
    if request.url.path.startswith(NOT_PAGES):
        return False
    return "text/html" in request.headers.get("accept", "")


def error_page(request: Request, status: int, detail: str | None) -> Response:
    gettext = request_translations(request).gettext
    phrase = HTTPStatus(status).phrase  # "Not Found"; shown as "Not found", like the other titles
    generic = EXPLANATIONS.get(status, N_("Go back and try again."))
    explanation = detail if detail and detail != phrase else generic
    return render(
        request,
        "error.html",
        status_code=status,
        title=gettext(phrase.capitalize()),
        explanation=rule_text(gettext(explanation), gettext),
    )


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code < 400 or not wants_page(request):  # the login redirect (303) too
        return await http_exception_handler(request, exc)
    # Rendering reads the session's staff row: off the event loop, like the pages themselves.
    response = await run_in_threadpool(error_page, request, exc.status_code, str(exc.detail))
    response.headers.update(exc.headers or {})
    return response


async def on_invalid_request(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if not wants_page(request):
        try:
            return await request_validation_exception_handler(request, exc)
        except UnicodeEncodeError:
            # The echoed input holds a lone surrogate ("\ud800" in JSON), which UTF-8 cannot
            # carry: the same answer, its text escaped.
            detail = jsonable_encoder({"detail": exc.errors()})
            body = json.dumps(detail, ensure_ascii=True).encode("ascii")
            return Response(body, status_code=422, media_type="application/json")
    # A page address with a malformed id (/patients/abc) names nothing: that is a 404.
    status = 404 if request.method == "GET" else 400
    return await run_in_threadpool(error_page, request, status, None)


def install(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_invalid_request)
