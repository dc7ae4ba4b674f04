"""The Alembic migrations build exactly the schema the models describe, and can be undone."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
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
    assert current_revision(engine) == head_revision() == "0003"
    engine.dispose()
