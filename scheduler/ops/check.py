"""`aftercare check`: the start-up checks, the configuration and the database, each a verdict."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from models.db import is_sqlite, make_engine
from models.migrate import current_revision, head_revision
from scheduler.contacts import normalize_email, normalize_phone
from scheduler.followups.intake import describe_error
from scheduler.inbound.notice_texts import NoticeRenderer
from scheduler.ops.runtime import describe_db_error
from scheduler.ops.startup import startup_checks
from scheduler.ops.verdicts import CheckResult, fail, ok, warn
from scheduler.outbound.render import MessageRenderer
from scheduler.settings import PLACEHOLDER_SECRETS, Settings

MIN_API_TOKEN = 32
_E164 = re.compile(r"^\+[1-9]\d{7,14}$")
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}


def run_checks(load: Callable[[], Settings]) -> list[CheckResult]:
    """Every check in order; nothing else can be checked when the settings do not load."""
    try:
        settings = load()
    except ValidationError as exc:
        return [fail("settings", f"{describe_error(exc)} (fix the environment or .env)")]
    return [
        ok("settings", f"loaded (ENVIRONMENT={settings.environment})"),
        check_secret_key(settings),
        *check_channels(settings),
        check_public_url(settings),
        check_api_token(settings),
        *_startup(settings),
        check_database(settings),
        check_oncall(settings),
    ]


def _startup(settings: Settings) -> list[CheckResult]:
    """The start-up checks `serve` runs, on this configuration's database when it answers."""
    engine = _existing_database(settings)
    try:
        clinic_dir = settings.clinic_templates_dir
        return startup_checks(
            settings,
            MessageRenderer(clinic_dir=clinic_dir),
            NoticeRenderer(clinic_dir=clinic_dir),
            engine,
        )
    finally:
        if engine is not None:
            engine.dispose()


def _existing_database(settings: Settings) -> Engine | None:
    """An engine on DATABASE_URL, or None when it is a SQLite file not created yet."""
    try:
        parsed = make_url(settings.database_url)
    except ArgumentError:
        return None
    # Connecting to a SQLite file not there yet would create it empty: check_database says so.
    missing = parsed.database in (None, "", ":memory:") or not Path(parsed.database or "").exists()
    if is_sqlite(settings.database_url) and missing:
        return None
    return make_engine(settings.database_url)


def check_secret_key(settings: Settings) -> CheckResult:
    # Production refuses a placeholder when the settings load; development only hears about it.
    if settings.secret_key.get_secret_value() in PLACEHOLDER_SECRETS:
        return warn("SECRET_KEY", "still the development placeholder; set a long random value")
    return ok("SECRET_KEY", "set")


def check_channels(settings: Settings) -> list[CheckResult]:
    return [
        _sms_channel(settings),
        _email_channel(settings),
        _imap(settings),
        _email_auth(settings),
    ]


def _console(name: str, settings: Settings) -> CheckResult:
    detail = "console: messages are printed, not sent"
    return warn(name, detail) if settings.environment == "production" else ok(name, detail)


def _sms_channel(settings: Settings) -> CheckResult:
    name = "SMS_CHANNEL"
    if settings.sms_channel == "console":
        return _console(name, settings)
    # The settings themselves refuse twilio without an account SID and a sender.
    if not settings.twilio_auth_token.get_secret_value():
        return fail(name, "twilio needs TWILIO_AUTH_TOKEN (Twilio console, Account info)")
    if not settings.twilio_account_sid.startswith("AC"):
        return fail(name, "TWILIO_ACCOUNT_SID must be the account SID (starts with AC)")
    sender = settings.twilio_from_number
    if sender and not _E164.match(sender):
        return fail(name, f"TWILIO_FROM_NUMBER must be E.164, like +15145550100, not {sender!r}")
    service = settings.twilio_messaging_service_sid  # wins over the number when both are set
    return ok(name, f"twilio, sending from {f'Messaging Service {service}' if service else sender}")


def _email_channel(settings: Settings) -> CheckResult:
    name = "EMAIL_CHANNEL"
    if settings.email_channel == "console":
        return _console(name, settings)
    if not settings.smtp_host:
        return fail(name, "smtp needs SMTP_HOST")
    if settings.smtp_username and not settings.smtp_password.get_secret_value():
        return fail(name, "SMTP_USERNAME is set but SMTP_PASSWORD is empty")
    where = f"smtp via {settings.smtp_host}:{settings.smtp_port} ({settings.smtp_security})"
    if settings.smtp_security == "none" and settings.smtp_username:
        return warn(name, f"{where}: the password is sent unencrypted; use starttls or ssl")
    return ok(name, where)


def _imap(settings: Settings) -> CheckResult:
    name = "IMAP"
    if not settings.imap_host:
        return ok(name, "IMAP_HOST not set: email replies are not collected")
    if not settings.imap_username or not settings.imap_password.get_secret_value():
        return fail(name, "IMAP_HOST is set: also set IMAP_USERNAME and IMAP_PASSWORD")
    return ok(name, f"{settings.imap_host}:{settings.imap_port} folder {settings.imap_folder}")


def _email_auth(settings: Settings) -> CheckResult:
    name = "EMAIL_AUTHSERV_ID"
    if not settings.imap_host:
        return ok(name, "no mailbox polled")
    if not settings.email_require_auth:
        return warn(
            "EMAIL_REQUIRE_AUTH",
            "false: anyone who writes a patient's address in From can opt them out or page",
        )
    if not settings.email_authserv_id:
        return warn(
            name,
            "empty: no email sender can be verified, so every email reply waits for staff "
            "(set it to the authserv-id your mail server writes in Authentication-Results)",
        )
    return ok(name, f"email replies count when {settings.email_authserv_id} passed the sender")


def check_public_url(settings: Settings) -> CheckResult:
    name = "PUBLIC_BASE_URL"
    url = settings.public_base_url
    parts = urlsplit(url)
    if settings.environment != "production":
        if parts.scheme != "https":
            return warn(name, f"{url} is not https (fine locally; production requires https)")
        return ok(name, url)
    if parts.scheme != "https" or not parts.hostname:
        return fail(name, f"{url} must be the https:// address Twilio and patients reach")
    if parts.hostname in _LOCAL_HOSTS:
        return fail(name, f"{url} is this machine; set the public address")
    return ok(name, url)


def check_api_token(settings: Settings) -> CheckResult:
    """API_TOKEN still works, as one admin token shared by every integration: a warning, and
    a failure in production when it is too short to be a secret."""
    name = "API_TOKEN"
    length = len(settings.api_token.get_secret_value())
    if not length:
        return ok(name, "not set: integrations use their own tokens (aftercare token add)")
    legacy = (
        f"set ({length} characters): a legacy token with an admin's rights for every "
        "integration at once; give each integration its own (aftercare token add NAME "
        "--scope read|write), then empty API_TOKEN"
    )
    if length < MIN_API_TOKEN:
        advice = f"at least {MIN_API_TOKEN} random characters (e.g. `openssl rand -hex 32`)"
        short = f"only {length} characters; {advice}, or better: {legacy}"
        return fail(name, short) if settings.environment == "production" else warn(name, short)
    return warn(name, legacy)


def check_database(settings: Settings) -> CheckResult:
    name = "database"
    url = settings.database_url
    try:
        parsed = make_url(url)
    except ArgumentError:
        return fail(name, "DATABASE_URL is not a database URL (sqlite:///… or postgresql://…)")
    shown = parsed.render_as_string(hide_password=True)
    if is_sqlite(url) and parsed.database not in (None, "", ":memory:"):
        path = Path(parsed.database)
        if not path.parent.is_dir():
            return fail(name, f"{shown}: directory {path.parent} does not exist")
        if not path.exists():  # connecting would create an empty file: do not
            return warn(name, f"{shown} does not exist yet; `aftercare serve` creates it")
    engine = make_engine(url)
    try:
        revision = current_revision(engine)
    except SQLAlchemyError as exc:
        return fail(name, f"cannot connect to {shown}: {describe_db_error(exc)}")
    finally:
        engine.dispose()
    head = head_revision()
    if revision == head:
        return ok(name, f"{shown} reachable, schema at {head}")
    found = revision or "no schema"
    if is_sqlite(url):
        return warn(name, f"{found}, code expects {head}: `aftercare serve` upgrades SQLite")
    return fail(name, f"{found}, code expects {head}: run `aftercare db upgrade`")


def check_oncall(settings: Settings) -> CheckResult:
    name = "on-call"
    try:
        if settings.oncall_phone:
            normalize_phone(settings.oncall_phone)
        if settings.oncall_email:
            normalize_email(settings.oncall_email)
    except ValueError as exc:
        return fail(name, f"{exc} (ONCALL_PHONE / ONCALL_EMAIL)")
    if not (settings.oncall_phone or settings.oncall_email):
        return warn(name, "ONCALL_PHONE and ONCALL_EMAIL are empty: alerts escalate to nobody")
    return ok(name, "escalations go to " + " and ".join(_oncall_targets(settings)))


def _oncall_targets(settings: Settings) -> list[str]:
    names = [("ONCALL_PHONE", settings.oncall_phone), ("ONCALL_EMAIL", settings.oncall_email)]
    return [name for name, value in names if value]
