"""Every string the staff pages show, extracted from templates and code (Babel).

Used by the test that fails on a missing French string, and by `make messages`, which adds
new msgids to the French catalogue (keeping the translations it has) for a person to translate.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from scheduler.web.i18n import DOMAIN, LOCALE_DIR, catalogue_path
from scheduler.web.pages.labels import reason_tags
from scheduler.web.pages.rule_texts import runtime_msgids

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
# Where page strings live: the page templates, and the web layer's Python.
SOURCES = (
    (ROOT / "templates" / "pages", [("**.html", "jinja2.ext:babel_extract")]),
    (ROOT / "scheduler" / "web", [("**.py", "python")]),
)


def extract() -> Catalog:
    """The source catalogue: msgids from the sources, plus every triage reason tag."""
    catalogue = Catalog(domain=DOMAIN, project="Aftercare staff pages")
    for directory, method_map in SOURCES:
        found = extract_from_dir(
            str(directory), method_map, keywords=KEYWORDS, strip_comment_tags=True
        )
        for filename, lineno, message, comments, context in found:
            location = (str((directory / filename).relative_to(ROOT)), lineno)
            catalogue.add(message, locations=[location], auto_comments=comments, context=context)
    for tag in reason_tags():
        catalogue.add(tag, locations=[("scheduler/inbound/triage_lexicon.py", 0)])
    for words in runtime_msgids():
        catalogue.add(words, locations=[("scheduler/staff/roles.py", 0)])
    return catalogue


def read(language: str, directory: Path = LOCALE_DIR) -> Catalog:
    with catalogue_path(language, directory).open("rb") as source:
        return read_po(source, locale=language, domain=DOMAIN)


def update(language: str) -> list[str]:
    """Merge new msgids into `language`'s .po (kept translations, obsolete ones dropped);
    returns the msgids still without a translation."""
    template = extract()
    current = read(language)
    current.update(template, no_fuzzy_matching=True)
    current.obsolete.clear()
    with catalogue_path(language).open("wb") as target:
        write_po(target, current, width=100, sort_output=False, include_previous=False)
    return [str(m.id) for m in current if m.id and not _translated(m.string)]


def _translated(text: object) -> bool:
    if isinstance(text, tuple):
        return all(text)
    return bool(text)


if __name__ == "__main__":
    missing = update("fr")
    print(f"{len(missing)} msgids without French")
    for message in missing:
        print(" ", message)
