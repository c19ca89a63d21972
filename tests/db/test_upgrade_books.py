"""A real book of every earlier schema revision upgrades to today's with every row intact.

Each older book is the 250-account demo book as that revision could hold it: the schema is
built by running the old migrations, then every row the demo book has is copied into the
columns that revision knows. Opening it with today's csdesk upgrades it (after a backup); every
table must then hold exactly the rows it held before, value for value.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic import command

from csdesk.config import resolve_database
from csdesk.db import Database, migrate
from csdesk.db.backup import list_backups

EARLIER = [rev.revision for rev in migrate.script_directory().walk_revisions()][1:]


def _columns(con: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in con.execute(f'PRAGMA table_info("{table}")')]


def _tables(con: sqlite3.Connection) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name != 'alembic_version' "
        "AND name NOT LIKE 'sqlite_%' ORDER BY name")]


def _book_at(revision: str, demo: Path, dest: Path) -> None:
    command.upgrade(migrate.alembic_config(f"sqlite:///{dest}"), revision)
    src, dst = sqlite3.connect(demo), sqlite3.connect(dest)
    try:
        for table in _tables(dst):
            cols = [c for c in _columns(dst, table) if c in _columns(src, table)]
            names = ", ".join(f'"{c}"' for c in cols)
            rows = src.execute(f'SELECT {names} FROM "{table}"').fetchall()
            dst.executemany(f'INSERT INTO "{table}" ({names}) VALUES '
                            f'({", ".join("?" * len(cols))})', rows)
        dst.commit()
    finally:
        src.close()
        dst.close()


Snapshot = dict[str, tuple[list[str], list[tuple[object, ...]]]]


def _snapshot(path: Path, like: Snapshot | None = None) -> Snapshot:
    """Every table's columns and rows (only ``like``'s tables and columns, when given)."""
    con = sqlite3.connect(path)
    try:
        out: Snapshot = {}
        for table in like or _tables(con):
            cols = like[table][0] if like else _columns(con, table)
            names = ", ".join(f'"{c}"' for c in cols)
            rows = con.execute(f'SELECT {names} FROM "{table}"').fetchall()
            out[table] = (cols, sorted(rows, key=repr))
        return out
    finally:
        con.close()


@pytest.mark.slow
@pytest.mark.parametrize("revision", EARLIER)
def test_an_older_demo_book_upgrades_with_every_row(revision: str, demo_template: Path,
                                                    tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    _book_at(revision, demo_template, path)
    before = _snapshot(path)
    assert len(before["activity_contacts"][1]) > 1_000  # the links a cascade used to empty
    with Database.open(resolve_database(path)) as db:
        assert db.report.upgraded_from == revision
        assert db.report.backup is not None and db.report.backup.exists()
    after = _snapshot(path, like=before)
    for table, (_cols, rows) in before.items():
        now = after[table][1]
        assert len(now) == len(rows), f"{table}: {len(rows)} rows before, {len(now)} after"
        assert now == rows, table
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    con.close()
    assert [b.reason for b in list_backups(path)] == ["pre-migration"]


def test_an_upgrade_that_would_lose_rows_is_undone(demo_template: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Row counts are compared table by table: a difference rolls everything back."""
    path = tmp_path / "old.sqlite"
    _book_at(EARLIER[-1], demo_template, path)
    before = _snapshot(path)
    real = command.upgrade

    def lossy(cfg: object, revision: str) -> None:
        real(cfg, revision)  # type: ignore[arg-type]
        cfg.attributes["connection"].exec_driver_sql(  # type: ignore[attr-defined]
            "DELETE FROM contacts WHERE id IN (SELECT id FROM contacts LIMIT 3)")

    monkeypatch.setattr(command, "upgrade", lossy)
    with pytest.raises(migrate.MigrationCheckFailed, match="contacts") as caught:
        Database.open(resolve_database(path))
    assert "unchanged" in str(caught.value)
    assert _snapshot(path) == before
    con = sqlite3.connect(path)
    assert con.execute("SELECT version_num FROM alembic_version").fetchone()[0] == EARLIER[-1]
    assert con.execute("PRAGMA foreign_keys").fetchone()[0] == 0  # plain sqlite3 default
    con.close()
