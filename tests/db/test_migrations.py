"""Migrations and models agree; older books upgrade after a backup; newer ones open read-only."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, text

from csdesk.config import DatabaseLocation, resolve_database
from csdesk.db import Database, migrate
from csdesk.db.backup import integrity_problems, list_backups
from csdesk.errors import CsdeskError, ReadOnlyError
from csdesk.models import Account, Base


def test_migrations_match_the_models(db: Database) -> None:
    """Alembic's autogenerate comparison finds no difference (what `alembic check` runs)."""
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []


@pytest.mark.sqlite_only("the PostgreSQL fixture copies a migrated template; "
                         "tests/db/test_postgres.py opens an empty server database")
def test_new_book_is_created_at_head(db: Database) -> None:
    assert db.report.created
    with db.engine.connect() as conn:
        assert migrate.schema_status(conn).state is migrate.SchemaState.CURRENT


def test_downgrade_to_base_and_back(location: DatabaseLocation) -> None:
    Database.open(location).close()
    cfg = migrate.alembic_config(location.url)
    command.downgrade(cfg, "base")
    con = sqlite3.connect(location.path)
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    con.close()
    assert tables <= {"alembic_version"}
    command.upgrade(cfg, "head")
    with Database.open(location) as db:
        assert not db.report.created  # already at head


def _with_extra_revision(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A copy of the migrations plus one newer revision, as a next csdesk would ship."""
    scripts = tmp_path / "migrations"
    shutil.copytree(Path(migrate.__file__).parents[1] / "migrations", scripts,
                    ignore=shutil.ignore_patterns("__pycache__"))
    head = migrate.head_revision()
    (scripts / "versions" / "zz_next.py").write_text(
        '"""next"""\n'
        "import sqlalchemy as sa\nfrom alembic import op\n"
        f"revision = 'abc123next'\ndown_revision = {head!r}\n"
        "branch_labels = None\ndepends_on = None\n\n"
        "def upgrade():\n"
        "    with op.batch_alter_table('accounts') as b:\n"
        "        b.add_column(sa.Column('nickname', sa.String(50), nullable=True))\n\n"
        "def downgrade():\n"
        "    with op.batch_alter_table('accounts') as b:\n"
        "        b.drop_column('nickname')\n",
        encoding="utf-8",
    )

    def config(url: str | None = None) -> Config:
        cfg = Config()
        cfg.set_main_option("script_location", str(scripts))
        if url:
            cfg.set_main_option("sqlalchemy.url", url)
        return cfg

    monkeypatch.setattr(migrate, "alembic_config", config)
    monkeypatch.setattr(migrate, "SHIPPED_HEAD", "abc123next")  # as that csdesk would say
    return head


def test_older_book_is_backed_up_then_upgraded(
    location: DatabaseLocation, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Database.open(location) as db, db.write() as s:
        s.add(Account(external_id="A1", name="Kept", segment="smb",
                      engagement_model="tech_touch"))
    old_head = _with_extra_revision(tmp_path, monkeypatch)

    with Database.open(location) as db:
        assert db.report.upgraded_from == old_head
        assert db.report.backup is not None
        with db.engine.connect() as conn:
            cols = [r[1] for r in conn.execute(text("PRAGMA table_info(accounts)"))]
            assert "nickname" in cols
            assert conn.execute(text("SELECT name FROM accounts")).scalar() == "Kept"
    backups = list_backups(location.path)
    assert [b.reason for b in backups] == ["pre-migration"]
    assert integrity_problems(backups[0].path) == []
    # The backup holds the book as it was before the upgrade.
    con = sqlite3.connect(backups[0].path)
    assert con.execute("SELECT version_num FROM alembic_version").fetchone()[0] == old_head
    con.close()


def test_newer_book_opens_read_only_with_a_message(location: DatabaseLocation) -> None:
    Database.open(location).close()
    engine = create_engine(location.url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'f00dfeedcafe'"))
    engine.dispose()
    with Database.open(location) as db:
        assert db.readonly
        assert "newer csdesk" in (db.readonly_reason or "")
        with pytest.raises(ReadOnlyError, match="newer csdesk"), db.write() as s:
            s.add(Account(external_id="X", name="X", segment="smb",
                          engagement_model="tech_touch"))
        with db.read() as s:  # reading still works
            assert s.execute(text("SELECT count(*) FROM accounts")).scalar() == 0


def test_a_foreign_sqlite_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE recipes (id INTEGER PRIMARY KEY)")
    con.commit()
    con.close()
    with pytest.raises(CsdeskError, match="not a csdesk book"):
        Database.open(resolve_database(path))


def test_a_book_from_before_unsegmented_upgrades_its_checks(location: DatabaseLocation) -> None:
    """A book at the revision before 7c2e9a4b1f30 keeps every account's segment and stage,
    and afterwards takes the new values (``unsegmented``, stage ``unknown``) and still
    refuses a value outside the vocabulary (the CHECK constraints were replaced, not lost)."""
    Database.open(location).close()
    cfg = migrate.alembic_config(location.url)
    command.downgrade(cfg, "5b0e7c1d2a44")
    con = sqlite3.connect(location.path)
    con.execute("INSERT INTO accounts (external_id, name, segment, engagement_model, "
                "lifecycle_stage, status, custom_fields, version, created_at, updated_at) "
                "VALUES ('A1', 'Old', 'smb', 'tech_touch', 'adoption', 'active', '{}', 1, "
                "'2026-01-01', '2026-01-01')")
    con.commit()
    with pytest.raises(sqlite3.IntegrityError):
        con.execute("UPDATE accounts SET segment = 'unsegmented'")
    con.close()
    command.upgrade(cfg, "head")
    con = sqlite3.connect(location.path)
    assert con.execute("SELECT segment, lifecycle_stage, last_activity_on FROM accounts"
                       ).fetchall() == [("smb", "adoption", None)]
    con.execute("UPDATE accounts SET segment = 'unsegmented', lifecycle_stage = 'unknown', "
                "last_activity_on = '2026-11-02'")
    for bad in ("segment = 'huge'", "lifecycle_stage = 'limbo'", "segment_override = 'x'"):
        with pytest.raises(sqlite3.IntegrityError):
            con.execute(f"UPDATE accounts SET {bad}")
    with pytest.raises(sqlite3.IntegrityError):
        con.execute("INSERT INTO health_models (name, version, segment, config, is_active, "
                    "created_at) VALUES ('x', 9, 'bogus', '{}', 1, '2026-01-01')")
    con.commit()
    con.close()
    # And back: the new values fold into the old ones rather than failing the downgrade.
    command.downgrade(cfg, "5b0e7c1d2a44")
    con = sqlite3.connect(location.path)
    assert con.execute("SELECT segment, lifecycle_stage FROM accounts").fetchall() == [
        ("self_serve", "onboarding")]
    con.close()


def test_the_shipped_head_is_the_scripts_head() -> None:
    """A book at SHIPPED_HEAD opens without loading Alembic: it must be the real head (a new
    migration updates it)."""
    assert migrate.head_revision() == migrate.SHIPPED_HEAD
