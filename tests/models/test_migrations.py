"""The Alembic migrations build exactly the schema the models describe, and can be undone."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlmodel import SQLModel

from models.db import make_engine
from models.migrate import alembic_config, current_revision, head_revision, upgrade


@pytest.fixture
def database_url(each_database_url: str) -> str:
    return each_database_url


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    engine.dispose()
    assert differences == []


def test_migrations_go_down_and_up_again(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == head_revision() == "0011"
    engine.dispose()


def engine_at_revision(database_url: str, revision: str) -> Engine:
    """The test database emptied (downgraded to base), then migrated only up to `revision`."""
    engine = make_engine(database_url)
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    upgrade(engine, revision)
    return engine


def test_upgrading_from_the_previous_revision_keeps_the_data(database_url: str) -> None:
    """A clinic on 0002 with replies and alerts upgrades to head without losing a row."""
    engine = engine_at_revision(database_url, "0002")
    at = "2026-11-20 15:00:00+00:00"
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO patient (id, name, phone, language, preferred_channel, "
                "consent_source, consent_at, created_at) "
                "VALUES (1, 'Ana Lima', '+16135550124', 'fr', 'sms', 'in-clinic', :at, :at)"
            ),
            {"at": at},
        )
        connection.execute(
            text(
                "INSERT INTO inbound_message (id, patient_id, channel, from_address, body, "
                "provider_id, level, received_at) "
                "VALUES (1, 1, 'sms', '+16135550124', 'il y a du pus', 'SM1', 'urgent', :at)"
            ),
            {"at": at},
        )
        connection.execute(
            text(
                "INSERT INTO alert (id, inbound_id, patient_id, level, reasons, status, "
                "created_at) VALUES (1, 1, 1, 'urgent', '[\"pus\"]', 'open', :at)"
            ),
            {"at": at},
        )
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        alert = connection.execute(
            text("SELECT inbound_id, status, notify_attempts, escalated_to FROM alert")
        ).one()
        reply = connection.execute(text("SELECT body, handled_at FROM inbound_message")).one()
    engine.dispose()
    assert tuple(alert) == (1, "open", 0, None)
    assert tuple(reply) == ("il y a du pus", None)


def test_staff_accounts_from_0003_upgrade_with_their_sessions_valid(database_url: str) -> None:
    """0004 adds the session epoch; an existing account starts at 0 and keeps its password."""
    engine = engine_at_revision(database_url, "0003")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO staff_user (id, email, name, password_hash, active, failed_logins, "
                "created_at) VALUES (1, 'nadia@clinic.example', 'Nadia', '$argon2id$x', :yes, 0, "
                "'2026-11-20 15:00:00+00:00')"
            ),
            {"yes": True},
        )
    upgrade(engine)
    with engine.connect() as connection:
        row = connection.execute(text("SELECT password_hash, session_epoch FROM staff_user")).one()
    engine.dispose()
    assert tuple(row) == ("$argon2id$x", 0)


def test_replies_from_0006_stay_verified_after_0007(database_url: str) -> None:
    """0007 adds sender_verified: replies stored before were acted on, and say so."""
    engine = engine_at_revision(database_url, "0006")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO inbound_message (id, channel, from_address, body, received_at) "
                "VALUES (1, 'email', 'ana@example.com', 'merci', '2026-11-20 15:00:00+00:00')"
            )
        )
    upgrade(engine)
    with engine.connect() as connection:
        verified = connection.execute(text("SELECT sender_verified FROM inbound_message")).scalar()
        tables = set(inspect(connection).get_table_names())
    engine.dispose()
    assert bool(verified) is True and {"page_log", "login_throttle"} <= tables


def test_practitioners_from_0007_upgrade_paged_in_english(database_url: str) -> None:
    """0008 adds the practitioner's language; those already on file keep English."""
    engine = engine_at_revision(database_url, "0007")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO practitioner (id, name, phone, active, created_at) VALUES "
                "(1, 'Dr Anne Roy', '+16135550177', :yes, '2026-11-20 15:00:00+00:00')"
            ),
            {"yes": True},
        )
    upgrade(engine)
    with engine.connect() as connection:
        row = connection.execute(text("SELECT name, phone, language FROM practitioner")).one()
    engine.dispose()
    assert tuple(row) == ("Dr Anne Roy", "+16135550177", "en")


def test_existing_staff_accounts_become_admins_in_0009(database_url: str) -> None:
    """Nobody loses access when roles arrive; a new account must still name its role."""
    engine = engine_at_revision(database_url, "0008")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO staff_user (id, email, name, password_hash, active, failed_logins, "
                "created_at, session_epoch) VALUES (1, 'nadia@clinic.example', 'Nadia', "
                "'$argon2id$x', :yes, 0, '2026-11-20 15:00:00+00:00', 2)"
            ),
            {"yes": True},
        )
    upgrade(engine)
    with engine.connect() as connection:
        row = connection.execute(
            text("SELECT role, practitioner_id, session_epoch FROM staff_user")
        ).one()
        audit_columns = connection.execute(text("SELECT shown FROM audit_event")).all()
    engine.dispose()
    assert tuple(row) == ("admin", None, 2)
    assert audit_columns == []


def test_existing_staff_accounts_get_no_language_in_0010(database_url: str) -> None:
    """Accounts from before 0010 have no language yet: the next login takes the browser's."""
    engine = engine_at_revision(database_url, "0009")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO staff_user (id, email, name, password_hash, active, failed_logins, "
                "created_at, session_epoch, role) VALUES (1, 'nadia@clinic.example', 'Nadia', "
                "'$argon2id$x', :yes, 0, '2026-11-20 15:00:00+00:00', 0, 'admin')"
            ),
            {"yes": True},
        )
    upgrade(engine)
    with engine.connect() as connection:
        row = connection.execute(text("SELECT email, role, language FROM staff_user")).one()
    engine.dispose()
    assert tuple(row) == ("nadia@clinic.example", "admin", None)
