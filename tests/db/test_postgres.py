"""Team mode storage on PostgreSQL: an empty server database becomes a book at head, the
migrations go down and up, and an unreachable server is one clear line."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect

from csdesk.config import resolve_database
from csdesk.db import Database, migrate
from csdesk.errors import ServerUnreachable
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


def test_a_server_outage_mid_session_is_told_and_recovers(pg_server: PgServer) -> None:
    from sqlalchemy import func, select

    from csdesk.models import Account, Activity
    from csdesk.services.book.account_detail import account_facts, add_activity

    name = pg_server.create(pg_server.template("empty"))
    db = Database.open(resolve_database(pg_server.url(name)))
    try:
        with db.write() as s:
            s.add(Account(external_id="O1", name="Outage Co", segment="smb",
                          engagement_model="tech_touch"))
        add_activity(db, 1, kind="call", summary="before")
        # The server goes away: no new connections, and the open ones are cut.
        pg_server._sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        pg_server._sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       f"WHERE datname = '{name}'")
        with pytest.raises(ServerUnreachable) as lost:
            add_activity(db, 1, kind="call", summary="during")
        assert lost.value.unsaved and "the change was not saved" in str(lost.value)
        with pytest.raises(ServerUnreachable):
            account_facts(db, 1)
        assert not db.ping()
        pg_server._sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        assert db.ping()
        add_activity(db, 1, kind="call", summary="after")
        with db.read() as s:
            assert sorted(s.scalars(select(Activity.summary))) == ["after", "before"]
            assert s.scalar(select(func.count()).select_from(Account)) == 1
    finally:
        pg_server._sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        db.close()
