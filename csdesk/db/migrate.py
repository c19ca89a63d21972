"""Alembic, driven from code: where the scripts are, which revision a database is at, upgrade.

A database whose revision this csdesk does not know was written by a newer csdesk: it is
opened read-only rather than "upgraded" into something neither version understands.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("csdesk") / "migrations"))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def script_directory() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    head = script_directory().get_current_head()
    assert head is not None, "csdesk ships at least one migration"
    return head


class SchemaState(enum.Enum):
    EMPTY = "empty"  # no tables at all: a new book
    CURRENT = "current"
    OUTDATED = "outdated"  # older csdesk schema: upgrade after a backup
    NEWER = "newer"  # written by a newer csdesk: read-only
    FOREIGN = "foreign"  # tables but no csdesk revision: not a csdesk book


@dataclass(frozen=True)
class SchemaStatus:
    state: SchemaState
    current: str | None
    head: str


def schema_status(conn: Connection) -> SchemaStatus:
    head = head_revision()
    current = MigrationContext.configure(conn).get_current_revision()
    if current is None:
        tables = set(inspect(conn).get_table_names()) - {"alembic_version"}
        state = SchemaState.FOREIGN if tables else SchemaState.EMPTY
        return SchemaStatus(state, None, head)
    if current == head:
        return SchemaStatus(SchemaState.CURRENT, current, head)
    known = {rev.revision for rev in script_directory().walk_revisions()}
    state = SchemaState.OUTDATED if current in known else SchemaState.NEWER
    return SchemaStatus(state, current, head)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Upgrade in one transaction (SQLite and PostgreSQL both have transactional DDL)."""
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
