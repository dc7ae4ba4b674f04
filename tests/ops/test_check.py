"""`aftercare check`: each pure check's verdict, and the command's lines and exit code."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from models.db import make_engine, session_scope
from models.migrate import head_revision, upgrade
from scheduler.followups.practitioners import save_practitioner
from scheduler.inbound.notice_texts import NoticeRenderer
from scheduler.ops.check import (
    check_api_token,
    check_channels,
    check_database,
    check_oncall,
    check_public_url,
    check_secret_key,
    run_checks,
)
from scheduler.ops.runtime import StartupError
from scheduler.ops.startup import (
    check_message_templates,
    check_paging,
    checked_renderer,
    startup_checks,
)
from scheduler.ops.verdicts import CheckResult, has_failures
from scheduler.outbound.render import MessageRenderer, default_templates_dir
from scheduler.settings import Settings
from tests.support.cli import Cli, cli_in
from tests.support.settings import make_settings

PRODUCTION: dict[str, Any] = {
    "environment": "production",
    "secret_key": "a-real-secret-3f9c2e71b4d8a605",
    "public_base_url": "https://aftercare.clinic.example",
}


NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def settings_with(tmp_path: Path, **overrides: Any) -> Settings:
    return make_settings(f"sqlite:///{tmp_path / 'aftercare.db'}", **overrides)


def by_name(results: list[CheckResult]) -> dict[str, CheckResult]:
    return {result.name: result for result in results}


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    with cli_in(tmp_path, monkeypatch) as runner:
        yield runner


def test_a_migrated_development_setup_passes(tmp_path: Path) -> None:
    settings = settings_with(tmp_path, oncall_phone="613-555-0199")
    upgrade(make_engine(settings.database_url))
    results = run_checks(lambda: settings)
    assert not has_failures(results)
    checks = by_name(results)
    assert checks["database"].level == "ok"
    assert f"schema at {head_revision()}" in checks["database"].detail
    assert checks["templates"].level == "ok"
    assert checks["on-call"].level == "ok"
    assert checks["settings"].detail == "loaded (ENVIRONMENT=development)"


def test_settings_that_do_not_load_are_one_failure(tmp_path: Path) -> None:
    results = run_checks(lambda: settings_with(tmp_path, send_window="19:00-10:00"))
    assert [(r.level, r.name) for r in results] == [("FAIL", "settings")]
    assert "SEND_WINDOW must start before it ends" in results[0].detail


@pytest.mark.parametrize(
    ("url", "environment", "level"),
    [
        ("https://aftercare.clinic.example", "production", "ok"),
        ("http://aftercare.clinic.example", "production", "FAIL"),
        ("https://localhost:8443", "production", "FAIL"),
        ("http://127.0.0.1:8000", "development", "warn"),
        ("https://aftercare.clinic.example", "development", "ok"),
    ],
)
def test_public_base_url(tmp_path: Path, url: str, environment: str, level: str) -> None:
    overrides = {**PRODUCTION, "environment": environment, "public_base_url": url}
    assert check_public_url(settings_with(tmp_path, **overrides)).level == level


@pytest.mark.parametrize(
    ("token", "environment", "level"),
    [
        ("", "production", "ok"),  # integrations have tokens of their own
        ("x" * 31, "production", "FAIL"),
        ("x" * 32, "production", "warn"),  # the legacy admin token: still works, say so
        ("", "development", "ok"),
        ("short", "development", "warn"),
        ("x" * 32, "development", "warn"),
    ],
)
def test_api_token_length(tmp_path: Path, token: str, environment: str, level: str) -> None:
    overrides = {**PRODUCTION, "environment": environment, "api_token": token}
    result = check_api_token(settings_with(tmp_path, **overrides))
    assert result.level == level
    assert not token or token not in result.detail  # the token itself is never printed


def test_the_legacy_token_warning_says_what_to_do(tmp_path: Path) -> None:
    result = check_api_token(settings_with(tmp_path, api_token="x" * 40))
    assert result.level == "warn"
    assert "legacy" in result.detail and "aftercare token add NAME --scope" in result.detail


def test_placeholder_secret_key_warns_in_development(tmp_path: Path) -> None:
    assert check_secret_key(settings_with(tmp_path, secret_key="change-me")).level == "warn"
    assert check_secret_key(settings_with(tmp_path)).level == "ok"


TWILIO = {
    "sms_channel": "twilio",
    "twilio_account_sid": "AC" + "0" * 32,
    "twilio_auth_token": "tok",
    "twilio_from_number": "+15145550100",
}


@pytest.mark.parametrize(
    ("overrides", "level", "fragment"),
    [
        ({}, "ok", "console"),
        ({"environment": "production", **PRODUCTION}, "warn", "printed, not sent"),
        (TWILIO, "ok", "sending from +15145550100"),
        ({**TWILIO, "twilio_auth_token": ""}, "FAIL", "TWILIO_AUTH_TOKEN"),
        ({**TWILIO, "twilio_account_sid": "SK123"}, "FAIL", "starts with AC"),
        ({**TWILIO, "twilio_from_number": "514-555-0100"}, "FAIL", "E.164"),
    ],
)
def test_sms_channel(tmp_path: Path, overrides: dict[str, Any], level: str, fragment: str) -> None:
    sms = by_name(check_channels(settings_with(tmp_path, **overrides)))["SMS_CHANNEL"]
    assert (sms.level, fragment in sms.detail) == (level, True), sms


@pytest.mark.parametrize(
    ("overrides", "level"),
    [
        ({"email_channel": "smtp", "smtp_host": "mail.example"}, "ok"),
        ({"email_channel": "smtp", "smtp_host": ""}, "FAIL"),
        ({"email_channel": "smtp", "smtp_username": "u"}, "FAIL"),
        ({"email_channel": "smtp", "smtp_username": "u", "smtp_password": "p"}, "ok"),
        (
            {"email_channel": "smtp", "smtp_username": "u", "smtp_password": "p"}
            | {"smtp_security": "none"},
            "warn",
        ),
    ],
)
def test_smtp_channel(tmp_path: Path, overrides: dict[str, Any], level: str) -> None:
    email = by_name(check_channels(settings_with(tmp_path, **overrides)))["EMAIL_CHANNEL"]
    assert email.level == level, email


def test_imap_is_checked_only_when_configured(tmp_path: Path) -> None:
    def imap(**overrides: Any) -> CheckResult:
        return by_name(check_channels(settings_with(tmp_path, **overrides)))["IMAP"]

    assert imap().level == "ok"
    assert imap(imap_host="imap.example").level == "FAIL"
    assert imap(imap_host="imap.example", imap_username="u", imap_password="p").level == "ok"


def test_oncall(tmp_path: Path) -> None:
    assert check_oncall(settings_with(tmp_path)).level == "warn"
    assert check_oncall(settings_with(tmp_path, oncall_email="oncall@clinic.example")).level == "ok"
    assert check_oncall(settings_with(tmp_path, oncall_phone="12345")).level == "FAIL"


def test_a_broken_template_fails(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(default_templates_dir(), templates)
    (templates / "messages/fr/microneedling/day3.sms.j2").write_text("{{ no_such_name }}")
    result = check_message_templates(settings_with(tmp_path), MessageRenderer(templates))
    assert result.level == "FAIL"
    assert "fr/microneedling/day3.sms" in result.detail


def test_a_broken_answer_template_fails_the_start_up_checks(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(default_templates_dir(), templates)
    (templates / "replies/fr/urgent_flagged.j2").write_text("{{ no_such_name }}")
    results = by_name(
        startup_checks(
            settings_with(tmp_path), MessageRenderer(templates), NoticeRenderer(templates), None
        )
    )
    assert results["templates"].level == "ok"
    assert results["answers and alerts"].level == "FAIL"
    assert "replies/fr/urgent_flagged.j2" in results["answers and alerts"].detail


def test_check_runs_every_start_up_check(tmp_path: Path) -> None:
    settings = settings_with(tmp_path)
    startup = startup_checks(settings, MessageRenderer(), NoticeRenderer(), None)
    everything = run_checks(lambda: settings)
    assert {r.name for r in startup} <= {r.name for r in everything}
    assert [r for r in everything if r.name in {s.name for s in startup}] == startup


def test_a_long_clinic_name_only_warns(tmp_path: Path) -> None:
    long_name = "Clinique " + "Esthétique " * 20
    result = check_message_templates(
        settings_with(tmp_path, clinic_name=long_name), MessageRenderer()
    )
    assert result.level == "warn"
    assert "segments" in result.detail


def test_a_missing_sqlite_file_warns_and_is_not_created(tmp_path: Path) -> None:
    result = check_database(settings_with(tmp_path))
    assert result.level == "warn"
    assert not (tmp_path / "aftercare.db").exists()


def test_a_sqlite_database_behind_the_head_warns(tmp_path: Path) -> None:
    settings = settings_with(tmp_path)
    upgrade(make_engine(settings.database_url), "0002")
    result = check_database(settings)
    assert result.level == "warn"
    assert result.detail.startswith("0002, code expects")


def test_an_unreadable_sqlite_database_fails(tmp_path: Path) -> None:
    (tmp_path / "aftercare.db").write_bytes(b"this is not a database" * 100)
    result = check_database(settings_with(tmp_path))
    assert result.level == "FAIL"
    assert "cannot connect" in result.detail


def test_a_missing_directory_fails(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'nowhere' / 'aftercare.db'}"
    assert check_database(make_settings(url)).level == "FAIL"


def test_an_empty_sqlite_file_has_no_schema(tmp_path: Path) -> None:
    sqlite3.connect(tmp_path / "aftercare.db").close()
    result = check_database(settings_with(tmp_path))
    assert (result.level, result.detail.split(",")[0]) == ("warn", "no schema")


@pytest.mark.postgres
def test_postgresql_must_be_upgraded_by_hand(pg_url: str) -> None:
    settings = make_settings(pg_url)
    result = check_database(settings)
    assert result.level == "FAIL"
    assert "aftercare db upgrade" in result.detail
    engine = make_engine(pg_url)
    upgrade(engine)
    engine.dispose()
    assert check_database(settings).level == "ok"


@pytest.mark.postgres
def test_an_unreachable_postgresql_fails_without_its_password(pg_url: str) -> None:
    url = "postgresql://aftercare:s3cret-pw@127.0.0.1:1/aftercare"
    result = check_database(make_settings(url))
    assert result.level == "FAIL"
    assert "cannot connect" in result.detail
    assert "s3cret-pw" not in result.detail


def test_command_prints_one_line_per_check_and_exits_0(cli: Cli) -> None:
    upgrade(cli.engine)
    run = cli("check")
    assert run.exit_code == 0, run.stdout
    lines = run.stdout.splitlines()
    assert lines[0] == "ok    settings: loaded (ENVIRONMENT=development)"
    assert all(line.split()[0] in {"ok", "warn"} for line in lines)
    assert any(line.startswith("ok    database: ") for line in lines)


def test_command_exits_1_on_a_failure(cli: Cli) -> None:
    env = {
        "ENVIRONMENT": "production",
        "SECRET_KEY": "a-real-secret-3f9c2e71b4d8a605",
        "PUBLIC_BASE_URL": "http://aftercare.clinic.example",
        "API_TOKEN": "t" * 40,
    }
    run = cli("check", env=env)
    assert run.exit_code == 1
    assert "FAIL  PUBLIC_BASE_URL: http://aftercare.clinic.example must be" in run.stdout
    assert "t" * 40 not in run.stdout + run.stderr


def test_command_reports_unloadable_settings(cli: Cli) -> None:
    run = cli("check", env={"CLINIC_TIMEZONE": "Mars/Olympus_Mons"})
    assert run.exit_code == 1
    assert run.stdout.startswith("FAIL  settings: clinic_timezone: unknown time zone")


def _database_with_practitioner(settings: Settings, **contact: str) -> Engine:
    engine = make_engine(settings.database_url)
    upgrade(engine)
    with session_scope(engine) as session:
        save_practitioner(session, "Dr Léa Morin", now=NOW, **contact)
    return engine


PRODUCTION = {
    "environment": "production",
    "secret_key": "s" * 40,
    "public_base_url": "https://clinic.example",
}


def test_an_urgent_alert_that_could_page_nobody_fails_in_production(tmp_path: Path) -> None:
    settings = settings_with(tmp_path, **PRODUCTION)
    engine = _database_with_practitioner(settings)  # no phone, no email, no on-call
    try:
        result = check_paging(settings, engine)
        assert result.level == "FAIL"
        assert "Dr Léa Morin has no phone or email" in result.detail
        # The same configuration in development is a warning, not a refusal.
        assert check_paging(settings_with(tmp_path), engine).level == "warn"
        # An on-call contact catches what a practitioner cannot be paged for.
        oncall = settings_with(tmp_path, **PRODUCTION, oncall_phone="+16135550199")
        assert check_paging(oncall, engine).level == "ok"
        # So does a phone on file, but then a treatment without a practitioner still fails.
        with session_scope(engine) as session:
            save_practitioner(session, "Dr Léa Morin", phone="+16135550177", now=NOW)
        result = check_paging(settings, engine)
        assert result.level == "FAIL" and "without a practitioner" in result.detail
    finally:
        engine.dispose()


def test_serve_refuses_to_start_when_an_alert_could_page_nobody(tmp_path: Path) -> None:
    settings = settings_with(tmp_path, **PRODUCTION)
    engine = _database_with_practitioner(settings)
    try:
        with pytest.raises(StartupError, match="paging: ONCALL_PHONE and ONCALL_EMAIL are empty"):
            checked_renderer(settings, engine)
    finally:
        engine.dispose()
    everything = by_name(run_checks(lambda: settings))
    assert everything["paging"].level == "FAIL"
    assert has_failures(list(everything.values()))
