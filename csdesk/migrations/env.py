"""Alembic environment: runs on the connection csdesk hands in, or on the configured URL.

``render_as_batch`` lets SQLite alter tables (it copies them), and the models' naming
convention gives every constraint a stable name so later migrations can drop or alter it.
"""

from __future__ import annotations

from typing import Any, Literal, cast

from alembic import context
from sqlalchemy import Connection, create_engine

import csdesk.models  # noqa: F401 - registers every table on Base.metadata
from csdesk.models.base import Base, UTCDateTime

config = context.config
target_metadata = Base.metadata


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Render csdesk's own column types as plain SQLAlchemy ones.

    Migrations must not import the models: a later model change would rewrite history.
    """
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    # Always set: by alembic.ini, or by csdesk.db.migrate for csdesk's own books.
    engine = create_engine(cast(str, config.get_main_option("sqlalchemy.url")))
    with engine.connect() as conn:
        _configure(conn)
        conn.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
