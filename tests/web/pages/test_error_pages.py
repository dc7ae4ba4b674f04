"""Errors on staff pages are pages a browser can show; API clients and webhooks keep JSON."""

from __future__ import annotations

from collections.abc import Iterator
from html import unescape

import pytest
from sqlalchemy import Engine

from scheduler.settings import Settings
from tests.support.pages import EMAIL, Pages, pages_for, signed_in

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture
def pages(settings: Settings, engine: Engine) -> Iterator[Pages]:
    with signed_in(settings, engine) as found:
        yield found


def shown(pages: Pages, method: str, path: str, status: int, **kwargs: object) -> str:
    response = pages.client.request(method, path, headers=BROWSER, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"  # the page's security headers too
    return unescape(response.text)


def test_a_missing_record_is_a_page_with_the_navigation(pages: Pages) -> None:
    html = shown(pages, "GET", "/patients/999", 404)
    assert "<h1>Not found</h1>" in html
    assert "No such patient" in html
    assert EMAIL in html and 'href="/inbox"' in html  # still inside the app, signed in


@pytest.mark.parametrize("path", ["/patients/abc", "/no/such/page"])
def test_a_malformed_or_unknown_address_is_a_404_page(pages: Pages, path: str) -> None:
    html = shown(pages, "GET", path, 404)
    assert "<h1>Not found</h1>" in html
    assert "mistyped" in html


def test_a_form_without_its_token_is_a_403_page_that_says_what_to_do(pages: Pages) -> None:
    html = shown(pages, "POST", "/treatments/1/cancel", 403, data={"csrf_token": "forged"})
    assert "<h1>Forbidden</h1>" in html
    assert "Reload and try again" in html


def test_a_signed_out_browser_is_still_sent_to_sign_in(settings: Settings, engine: Engine) -> None:
    with pages_for(settings, engine) as anonymous:
        response = anonymous.client.get("/patients/1", headers=BROWSER, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/patients/1"


def test_api_clients_webhooks_and_non_browsers_keep_json(pages: Pages) -> None:
    api = pages.client.get("/api/treatments/999", headers=BROWSER)
    assert api.status_code == 404 and api.json() == {"detail": "no treatment with id 999"}
    bad_id = pages.client.get("/api/treatments/abc", headers=BROWSER)
    assert bad_id.status_code == 422 and bad_id.json()["detail"][0]["loc"][-1] == "treatment_id"
    webhook = pages.client.post("/webhooks/twilio/sms", headers=BROWSER, data={"Body": "hi"})
    assert webhook.status_code == 403
    assert webhook.headers["content-type"].startswith("application/json")
    script = pages.client.get("/patients/999", headers={"Accept": "application/json"})
    assert script.status_code == 404 and script.json() == {"detail": "No such patient"}
