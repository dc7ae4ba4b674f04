"""Staff pages in French: a complete catalogue, the language chosen per account, French pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from babel.messages.catalog import Catalog
from sqlalchemy import Engine
from sqlmodel import Session, select

from models import Alert, StaffUser, Treatment
from models.vocabulary import Role
from scheduler.settings import Settings
from scheduler.web.catalogue import extract, read
from scheduler.web.i18n import negotiate, translations
from scheduler.web.pages.formatting import local_time
from scheduler.web.pages.labels import age, days, reason_tags
from tests.support.pages import EMAIL, Pages, audit_events, create_staff, pages_for
from tests.web.pages.test_staff_pages import register, reply

FRENCH = {"Accept-Language": "fr-CA,fr;q=0.9,en;q=0.5"}
_PLACEHOLDER = re.compile(r"%\([a-z_]+\)s")


def _ids(catalogue: Catalog) -> dict[object, object]:
    return {message.id: message.string for message in catalogue if message.id}


def test_every_string_of_the_pages_has_a_french_translation() -> None:
    """Templates, page code, stored words and every triage reason tag: none without French."""
    source = _ids(extract())
    french = _ids(read("fr"))
    missing = [msgid for msgid in source if not french.get(msgid)]
    missing += [m for m, text in french.items() if isinstance(text, tuple) and not all(text)]
    assert missing == [], "run `make messages` and translate these in the French .po"
    # The catalogue is exactly the source: no translation left for a string that is gone.
    assert set(french) == set(source)


def test_french_strings_keep_their_placeholders() -> None:
    for msgid, text in _ids(read("fr")).items():
        ids = msgid if isinstance(msgid, tuple) else (msgid,)
        texts = text if isinstance(text, tuple) else (text,)
        wanted = set(_PLACEHOLDER.findall(ids[-1]))
        for translated in texts:
            assert isinstance(translated, str)
            assert set(_PLACEHOLDER.findall(translated)) <= wanted, msgid
            assert "%(" not in _PLACEHOLDER.sub("", translated), msgid


def test_french_typography_is_consistent() -> None:
    """A no-break space before ":" and inside « », none before "?", ";" or "!" (Québec usage)."""
    for msgid, text in _ids(read("fr")).items():
        for translated in text if isinstance(text, tuple) else (text,):
            assert isinstance(translated, str)
            assert not re.search(r"(?<!\u00a0):(?!\S)|\s[?;!]|« | »", translated), msgid


def test_every_triage_reason_tag_reads_in_french() -> None:
    french = translations("fr")
    untranslated = [tag for tag in reason_tags() if french.gettext(tag) == tag]
    assert set(untranslated) <= {"pus", "question"}  # the same word in both languages


def test_times_ages_and_days_read_in_french() -> None:
    now = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
    zone = ZoneInfo("America/Toronto")
    french = translations("fr")
    today = french.gettext("Today")
    assert local_time(now, zone, now=now, language="fr", today_label=today) == (
        "Aujourd\u2019hui, 10:00"
    )
    later = now + timedelta(days=1)
    assert local_time(later, zone, now=now, language="fr") == "jeu. 26 nov., 10:00"
    assert local_time(later, zone, language="fr") == "jeu. 26 nov. 2026, 10:00"
    assert age(french, now - timedelta(seconds=5), now) == "à l\u2019instant"
    assert age(french, now - timedelta(days=1, hours=2), now) == "1 jour"
    assert age(french, now - timedelta(days=9), now) == "9 jours"
    assert days(french, [1, 3, 7]) == "jours 1, 3 et 7"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "en"),
        ("", "en"),
        ("fr-CA,fr;q=0.9,en;q=0.8", "fr"),
        ("en-CA,en;q=0.9,fr;q=0.8", "en"),
        ("de-DE,fr;q=0.5,en;q=0.4", "fr"),
        ("es, de", "en"),
        ("en;q=0.2, fr;q=0.7", "fr"),
        ("fr;q=0, en;q=0.1", "en"),
        ("fr;q=bogus", "en"),
        ("*", "en"),
    ],
)
def test_the_browser_language_is_negotiated(header: str | None, expected: str) -> None:
    assert negotiate(header) == expected


class _Visible(HTMLParser):
    """The text of a page's navigation, headings, labels, table heads and buttons."""

    TAGS = frozenset({"nav", "h1", "h2", "label", "th", "button", "legend", "summary", "title"})

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.TAGS:
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.TAGS and self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth and data.strip():
            self.parts.append(" ".join(data.split()))


def ui_text(html: str) -> list[str]:
    parser = _Visible()
    parser.feed(html)
    return parser.parts


# UI words that must not be left in English on a French page (words French shares, such as
# "Patient", "Date", "Message" or "Action", are not listed).
ENGLISH_ONLY = {
    "Today", "Register", "Inbox", "Alerts", "Import", "Sign out", "Sign in", "Settings",
    "Timeline", "Treatments", "Status", "Search", "Send", "Save", "Acknowledge",
    "Open alerts", "Replies not yet handled", "Messages that failed", "Going out today",
    "Register a treatment", "Full name", "Mobile number", "Email", "Language",
    "Practitioner", "Time", "Step", "Channel", "Audit log", "Staff accounts",
    "API tokens", "Apply", "Level", "Any", "Upload", "Who", "Role", "Cancel", "Treatment",
}  # fmt: skip


@pytest.fixture
def french(settings: Settings, engine: Engine) -> Iterator[Pages]:
    """An admin who signed in for the first time from a French browser."""
    create_staff(engine)
    with pages_for(settings, engine) as found:
        found.client.headers.update(FRENCH)
        assert found.login().status_code == 303
        yield found


def test_the_first_login_takes_the_browser_language(french: Pages) -> None:
    with Session(french.engine) as session:
        account = session.exec(select(StaffUser)).one()
    assert account.language == "fr"
    # Stored on the account: an English browser later still gets French.
    page = french.client.get("/", headers={"Accept-Language": "en"})
    assert '<html lang="fr">' in page.text


def test_every_page_reads_in_french(french: Pages) -> None:
    patient_id = register(french, name="Gaëlle Bédard")
    reply(french, "there's pus and I have a fever")
    with Session(french.engine) as session:
        alert = session.exec(select(Alert)).one()
        treatment = session.exec(select(Treatment)).one()
    paths = [
        "/",
        "/treatments/new",
        f"/treatments/{treatment.id}",
        "/patients",
        f"/patients/{patient_id}",
        "/inbox",
        "/alerts",
        f"/alerts/{alert.id}",
        "/import",
        "/admin",
        "/admin/staff",
        "/admin/tokens",
        "/admin/audit",
        f"/admin/patients/{patient_id}/erase",
    ]
    for path in paths:
        page = french.client.get(path)
        assert page.status_code == 200, path
        assert '<html lang="fr">' in page.text, path
        left = [text for text in ui_text(page.text) if text in ENGLISH_ONLY]
        assert left == [], f"{path}: {left}"
    timeline = french.client.get(f"/patients/{patient_id}").text
    assert "Historique" in timeline and "fièvre" in timeline and "Jour 1" in timeline
    today = french.client.get("/").text
    assert "Aujourd\u2019hui" in today and "Boîte de réception" in today
    assert "Se déconnecter" in today


def test_form_errors_and_flash_messages_are_in_french(french: Pages) -> None:
    form = {"name": " ", "phone": "12345", "channel": "sms", "kind": "microneedling"}
    page = french.post("/treatments/new", form)
    assert page.status_code == 400
    assert "Rien n\u2019a été enregistré." in page.text
    assert "Entrez le nom du patient." in page.text
    assert "n\u2019est pas un numéro de téléphone valide" in page.text
    patient_id = register(french)
    done = french.client.get(f"/patients/{patient_id}?done=opted_out&n=3").text
    assert "Patient désinscrit\u00a0: 3 message(s) en attente annulé(s)." in done
    empty = french.post(f"/patients/{patient_id}/messages", {"text": " ", "channel": "sms"})
    assert "Rien n\u2019a été envoyé. Écrivez d\u2019abord le message." in empty.text
    created = french.post("/admin/tokens", {"name": "booking", "scope": "read"})
    assert "Jeton booking créé." in created.text


def test_the_header_switch_changes_the_language_and_is_audited(french: Pages) -> None:
    switched = french.post("/account/language", {"language": "en", "next": "/inbox"})
    assert switched.status_code == 303 and switched.headers["location"] == "/inbox"
    page = french.client.get("/inbox").text
    assert '<html lang="en">' in page and ">Inbox</h1>" in page
    assert [e.detail for e in audit_events(french.engine, "set_language")] == ["en"]
    # A language the pages do not have changes nothing.
    french.post("/account/language", {"language": "de", "next": "/"})
    assert '<html lang="en">' in french.client.get("/").text


def test_anonymous_pages_follow_the_browser(settings: Settings, engine: Engine) -> None:
    with pages_for(settings, engine) as anonymous:
        login = anonymous.client.get("/login", headers=FRENCH).text
        assert '<html lang="fr">' in login and ">Se connecter</h1>" in login
        assert '<html lang="en">' in anonymous.client.get("/login").text
        missing = anonymous.client.get("/nowhere", headers={**FRENCH, "Accept": "text/html"}).text
        assert "Page introuvable" in missing and "Retour à Aujourd\u2019hui" in missing


def test_an_english_account_stays_english_in_a_french_browser(
    settings: Settings, engine: Engine
) -> None:
    create_staff(engine)
    with Session(engine) as session:
        account = session.exec(select(StaffUser).where(StaffUser.email == EMAIL)).one()
        account.language = "en"
        session.add(account)
        session.commit()
    with pages_for(settings, engine) as pages:
        pages.client.headers.update(FRENCH)
        assert pages.login().status_code == 303
        assert '<html lang="en">' in pages.client.get("/").text


def test_a_refused_page_says_why_in_french(settings: Settings, engine: Engine) -> None:
    create_staff(engine, role=Role.FRONT_DESK)
    with pages_for(settings, engine) as pages:
        pages.client.headers.update(FRENCH)
        assert pages.login().status_code == 303
        refused = pages.client.get("/admin/audit", headers={"Accept": "text/html"})
    assert refused.status_code == 403
    assert "Accès refusé" in refused.text
    assert "Un compte «\u00a0accueil\u00a0» ne peut pas consulter le journal" in refused.text


def test_an_import_s_rejected_rows_read_in_french(french: Pages) -> None:
    register(french, name="Gaëlle Bédard", phone="613-555-0124")
    csv_text = (
        "name,phone,language,performed_at,kind\n"
        ",613-555-0130,fr,2026-11-25T09:00,microneedling\n"
        "Ben Carter,12345,en,2026-11-25T09:00,microneedling\n"
        "Chloé Roy,613-555-0131,xx,2026-11-25T09:00,microneedling\n"
        "Dan Wu,613-555-0132,en,2026-11-25T09:00,botox\n"
        "Eve Lee,613-555-0133,en,tomorrow,microneedling\n"
        "Marc Bédard,613-555-0124,fr,2026-11-25T09:00,microneedling\n"
    )
    page = french.client.post(
        "/import",
        data={"csrf_token": french.token("/import")},
        files={"file": ("jour.csv", csv_text.encode(), "text/csv")},
    ).text
    for said in (
        "name\u00a0: obligatoire",
        "phone\u00a0: &#39;12345&#39; n\u2019est pas un numéro de téléphone valide",
        "language\u00a0: langue inconnue &#39;xx&#39; (utilisez en ou fr)",
        "kind\u00a0: type de traitement inconnu &#39;botox&#39;",
        "performed_at\u00a0: ce n\u2019est pas une date et une heure",
        "phone\u00a0: déjà utilisé par Gaëlle Bédard (patient 1); s\u2019il s\u2019agit",
    ):
        assert said in page, said
    missing = french.client.post(
        "/import",
        data={"csrf_token": french.token("/import")},
        files={"file": ("x.csv", b"name\nAna\n", "text/csv")},
    ).text
    assert "Colonne(s) obligatoire(s) manquante(s)\u00a0: " in missing
