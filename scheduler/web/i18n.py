"""The staff pages' language: the gettext catalogues, and which language a request gets.

Catalogues are the `.po` files under templates/pages/locale/, read once at start-up (no compile
step, so a fresh clone and the installed wheel behave the same). English is the source text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from fastapi import Request
from jinja2 import Environment, pass_context
from jinja2.runtime import Context

from scheduler.outbound.render import default_templates_dir
from scheduler.web.session import session_staff

LOCALE_DIR = default_templates_dir() / "pages" / "locale"
DOMAIN = "messages"
DEFAULT_LANGUAGE = "en"
# English is the msgid itself; every other language has a catalogue.
LANGUAGES = ("en", "fr")
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}

_TAG = re.compile(r"^\s*([A-Za-z]{1,8})(?:-[A-Za-z0-9]{1,8})*\s*$")


def catalogue_path(language: str, directory: Path = LOCALE_DIR) -> Path:
    return directory / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(language: str) -> NullTranslations:
    """The catalogue of `language` (English and unknown languages: the source text)."""
    if language not in LANGUAGES or language == DEFAULT_LANGUAGE:
        return NullTranslations()
    with catalogue_path(language).open("rb") as source:
        catalogue = read_po(source, locale=language, domain=DOMAIN)
    # Through the .mo form so that the standard gettext machinery (plural forms) applies.
    compiled = BytesIO()
    write_mo(compiled, catalogue)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def load_catalogues() -> None:
    """Read every catalogue now: a broken .po stops the start, not a staff member's page."""
    for language in LANGUAGES:
        translations(language)


def negotiate(accept_language: str | None) -> str:
    """The best supported language for an `Accept-Language` header; English without a match."""
    best, best_q = DEFAULT_LANGUAGE, 0.0
    for part in (accept_language or "").split(",")[:20]:
        tag, _, params = part.partition(";")
        match = _TAG.match(tag)
        if match is None:
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        language = match.group(1).lower()
        # Strictly better only: of equal qualities, the first listed wins.
        if language in LANGUAGES and quality > best_q and quality <= 1:
            best, best_q = language, quality
    return best


def supported(language: object) -> str | None:
    """`language` if the pages can be shown in it."""
    return language if isinstance(language, str) and language in LANGUAGES else None


def request_language(request: Request) -> str:
    """The signed-in account's language, else the browser's (login and error pages)."""
    staff = session_staff(request)
    chosen = supported(staff.language) if staff is not None else None
    return chosen or negotiate(request.headers.get("accept-language"))


def request_translations(request: Request) -> NullTranslations:
    """The catalogue for this request's language (see `request_language`)."""
    return translations(request_language(request))


def gettext_of(request: Request) -> Callable[[str], str]:
    """`gettext` in this request's language, for flash messages and form errors."""
    return request_translations(request).gettext


def N_(message: str) -> str:
    """Marks a string for the catalogue where it is defined; it is translated where shown."""
    return message


@pass_context
def _gettext(context: Context, message: str) -> str:
    return translations(context.get("lang") or DEFAULT_LANGUAGE).gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return translations(context.get("lang") or DEFAULT_LANGUAGE).ngettext(singular, plural, n)


def install(env: Environment) -> None:
    """`_`, `gettext`, `ngettext` and `{% trans %}` in templates, in the page's `lang`.

    One environment serves every request: the callables read the language from the render
    context (`page_context` puts `lang` there), never from shared state.
    """
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=_gettext, ngettext=_ngettext, newstyle=True
    )
