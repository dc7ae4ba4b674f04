"""What the service shows to anyone: /metrics behind METRICS_TOKEN, API docs off on request."""

from __future__ import annotations

from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine

from scheduler.settings import Settings
from scheduler.web.app import create_app

METRICS_TOKEN = "metrics_9c2e7f0a1b3d5e84"


def test_metrics_need_the_token_when_one_is_set(settings: Settings, engine: Engine) -> None:
    locked = settings.model_copy(update={"metrics_token": SecretStr(METRICS_TOKEN)})
    with TestClient(create_app(locked, engine)) as client:
        assert client.get("/metrics").status_code == 401
        wrong = {"Authorization": "Bearer nope"}
        assert client.get("/metrics", headers=wrong).status_code == 401
        right = {"Authorization": f"Bearer {METRICS_TOKEN}"}
        answer = client.get("/metrics", headers=right)
    assert answer.status_code == 200 and "aftercare_" in answer.text


def test_metrics_stay_open_without_a_token(settings: Settings, engine: Engine) -> None:
    with TestClient(create_app(settings, engine)) as client:
        assert client.get("/metrics").status_code == 200


def test_api_docs_can_be_turned_off(settings: Settings, engine: Engine) -> None:
    off = settings.model_copy(update={"api_docs": False})
    with TestClient(create_app(off, engine)) as client:
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert client.get(path).status_code == 404, path
    with TestClient(create_app(settings, engine)) as client:
        assert client.get("/openapi.json").status_code == 200
