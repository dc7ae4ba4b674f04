"""What every staff page shares: the templates, the login requirement, safe response headers."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context

from models.tables import StaffUser
from scheduler.contacts import display_phone
from scheduler.followups.kinds import KindCatalog, KindError, catalog_for
from scheduler.outbound.render import default_templates_dir
from scheduler.settings import Settings
from scheduler.staff.roles import Permission, role_may
from scheduler.web.csrf import FIELD as CSRF_FIELD
from scheduler.web.csrf import csrf_token, keep_new_session
from scheduler.web.i18n import LANGUAGE_NAMES, request_language, translations
from scheduler.web.i18n import install as install_i18n
from scheduler.web.pages import formatting as page_format
from scheduler.web.pages import labels
from scheduler.web.session import session_staff

PAGES_DIR = default_templates_dir() / "pages"
STATIC_DIR = PAGES_DIR / "static"

# Pages show patient data: never cached, never framed, no third-party anything.
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


def page_kinds(request: Request) -> KindCatalog | None:
    """The kinds under the app's settings; None when a kind file broke since start-up."""
    settings: Settings = request.app.state.settings
    try:
        return catalog_for(settings)
    except KindError:
        return None  # pages still show; start-up and `aftercare check` name the problem


def _lang(context: Context) -> str:
    return str(context.get("lang") or "en")


@pass_context
def _step_label(context: Context, step: str, kind: str) -> str:
    """'Day 3' ('Jour 3'): from the kind's steps, as the kind file says."""
    kinds = page_kinds(context["request"])
    found = kinds.get(kind) if kinds is not None else None
    known = found.step(step) if found is not None else None
    return labels.day(translations(_lang(context)), known.day) if known is not None else step


@pass_context
def _kind_name(context: Context, kind: str) -> str:
    """'Chemical peel' for `chemical_peel`; the stored name for a kind since removed."""
    kinds = page_kinds(context["request"])
    found = kinds.get(kind) if kinds is not None else None
    return found.display(_lang(context)) if found is not None else kind


@pass_context
def _reason(context: Context, reason: str) -> str:
    """A triage reason tag in the page's language."""
    return labels.reason(translations(_lang(context)), reason)


@pass_context
def _word(context: Context, value: str) -> str:
    """A stored word (status, level, keyword, role) as shown: 'pending' -> 'en attente'."""
    return labels.word(translations(_lang(context)), value)


@pass_context
def _channel(context: Context, channel: str) -> str:
    return labels.channel(translations(_lang(context)), channel)


@pass_context
def _kind_days(context: Context, kind: Any) -> str:
    """'days 1, 3 and 7' for a kind, in the page's language."""
    numbers = [step.day for step in kind.steps]
    return labels.days(translations(_lang(context)), numbers)


@pass_context
def _age(context: Context, moment: Any, now: Any) -> str:
    return labels.age(translations(_lang(context)), moment, now)


@cache
def templates(directory: Path = PAGES_DIR) -> Jinja2Templates:
    """The page templates (autoescaped), with the formatting filters."""
    found = Jinja2Templates(directory=directory)
    found.env.filters.update(
        age=_age,
        json_list=page_format.json_list,
        reason=_reason,
        word=_word,
        step=_step_label,
        kind=_kind_name,
        kind_days=_kind_days,
        channel=_channel,
        phone=display_phone,
    )
    install_i18n(found.env)
    found.env.globals["csrf_field"] = CSRF_FIELD
    found.env.globals["language_names"] = LANGUAGE_NAMES
    found.env.globals["can"] = _can
    return found


def _can(staff: StaffUser | None, permission: str) -> bool:
    """For templates: offer an action only to those whose role may do it."""
    return staff is not None and role_may(staff.role, Permission(permission))


def current_staff(request: Request) -> StaffUser:
    """The logged-in staff member; anyone else is sent to the login page (303)."""
    staff = session_staff(request)
    if staff is None:
        # Only the path comes back after login: queries could carry what people typed.
        target = quote(request.url.path, safe="/")
        raise HTTPException(status_code=303, headers={"Location": f"/login?next={target}"})
    return staff


StaffDep = Annotated[StaffUser, Depends(current_staff)]


def page_context(request: Request) -> dict[str, Any]:
    """What every page and fragment gets: who is logged in, the form token, clinic zone, now,
    and the language (`lang`) that `_` and the filters translate into."""
    settings: Settings = request.app.state.settings
    now = request.app.state.clock()
    lang = request_language(request)
    today_label = translations(lang).gettext("Today")

    def local(moment: Any, *, now_aware: bool = True, short: bool = False) -> str:
        return page_format.local_time(
            moment,
            settings.zone,
            now=now if now_aware else None,
            short=short,
            language=lang,
            today_label=today_label,
        )

    return {
        "staff": session_staff(request),
        "csrf_token": csrf_token(request),
        "now": now,
        "local": local,
        "clinic_name": settings.clinic_name,
        "path": request.url.path,
        "lang": lang,
    }


def render(
    request: Request, template: str, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """A page with the shared context (see `page_context`) and the safe response headers."""
    settings: Settings = request.app.state.settings
    response = templates().TemplateResponse(
        request, template, {**page_context(request), **context}, status_code=status_code
    )
    keep_new_session(request, response, settings)
    response.headers.update(SECURITY_HEADERS)
    return response


def render_fragment(request: Request, template: str, **context: Any) -> str:
    """A piece of a page (a card), rendered as the page would render it."""
    found = templates().env.get_template(template)
    return found.render({"request": request, **page_context(request), **context})


def see_other(url: str) -> RedirectResponse:
    """After a POST, go to a page with GET (so a reload does not post again)."""
    return RedirectResponse(url, status_code=303)


def safe_next(value: object, default: str = "/") -> str:
    """A local path to return to; anything that could leave the site becomes `default`."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//"):
        return default
    if "\\" in value or any(ord(ch) < 32 for ch in value):
        return default
    return value
