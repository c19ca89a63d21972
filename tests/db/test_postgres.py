"""Team mode storage on PostgreSQL: an empty server database becomes a book at head, the
migrations go down and up, and an unreachable server is one clear line."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect

from csdesk.config import resolve_database
from csdesk.db import Database, migrate
from csdesk.db.database import ServerUnreachable
from tests.conftest import PgServer


def test_an_empty_server_database_becomes_a_book_at_head(pg_server: PgServer) -> None:
    location = resolve_database(pg_server.url(pg_server.create()))
    with Database.open(location) as db:
        assert db.report.created and db.path is None
        with db.engine.connect() as conn:
            assert migrate.schema_status(conn).state is migrate.SchemaState.CURRENT
            assert inspect(conn).has_table("playbook_rules")
    cfg = migrate.alembic_config(location.url)
    command.downgrade(cfg, "base")
    with Database.open(location) as db:  # empty again: created again
        assert db.report.created
    with Database.open(location) as db:
        assert not db.report.created


def test_an_unreachable_server_is_one_clear_line() -> None:
    location = resolve_database("postgresql+psycopg://someone@127.0.0.1:1/book")
    with pytest.raises(ServerUnreachable) as refused:
        Database.open(location)
    message = str(refused.value)
    assert message.startswith("cannot reach the server at postgresql+psycopg://someone@")
    assert "\n" not in message
