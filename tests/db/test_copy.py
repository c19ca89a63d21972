"""`csdesk migrate-to`: SQLite → PostgreSQL → SQLite gives an identical book, verified row
for row, the source untouched; a target that holds data is refused."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from csdesk.cli.main import main
from csdesk.config import DatabaseLocation, resolve_database
from csdesk.db import Database
from csdesk.db.copy import _tables, copy_book, table_digest
from csdesk.errors import CsdeskError
from tests.conftest import PgServer


def _book_digest(location: DatabaseLocation) -> dict[str, tuple[int, str]]:
    with Database.open(location, create=False, readonly=True) as db:
        return {t.name: table_digest(db, t) for t in _tables()}


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_round_trip_sqlite_postgresql_sqlite(demo_location: DatabaseLocation,
                                             pg_server: PgServer, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert demo_location.path is not None
    before = _file_hash(demo_location.path)
    original = _book_digest(demo_location)
    server = pg_server.url(pg_server.create())
    assert main(["migrate-to", server, "--db", str(demo_location.path)]) == 0
    out = capsys.readouterr().out
    assert "verified row for row" in out and "accounts" in out
    assert _file_hash(demo_location.path) == before  # the source is untouched
    assert _book_digest(resolve_database(server)) == original

    back = tmp_path / "snapshot.sqlite"
    assert main(["migrate-to", str(back), "--db", server]) == 0
    assert _book_digest(resolve_database(back)) == original
    with Database.open(resolve_database(back)) as snap:  # ids keep counting after the copy
        from csdesk.services.book.account_detail import add_activity

        assert add_activity(snap, 1, kind="call", summary="after the copy").id > 1
    with Database.open(resolve_database(server)) as team:
        from csdesk.services.book.account_detail import add_activity

        assert add_activity(team, 1, kind="call", summary="on the server").id > 1


def test_a_target_with_data_is_refused(db: Database, tmp_path: Path) -> None:
    target = tmp_path / "other.sqlite"
    with Database.open(resolve_database(target)) as other:
        from csdesk.services.defaults import ensure_defaults

        ensure_defaults(other)
    with pytest.raises(CsdeskError, match="already exists"):
        copy_book(db, resolve_database(target))
    with pytest.raises(CsdeskError, match="the book being copied"):
        copy_book(db, db.location)


def test_a_copy_that_does_not_verify_leaves_nothing(db: Database, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The digest is compared before the commit: a mismatch rolls the copy back, and the
    SQLite file made for it is removed (so a second try is not refused as 'exists')."""
    from sqlalchemy.orm import Session

    from csdesk.db import copy as copying
    from csdesk.models import Account

    with db.write() as s:
        s.add(Account(external_id="V1", name="Verify Co", segment="smb",
                      engagement_model="tech_touch"))
    real = copying.table_digest

    def corrupt(book, table):  # type: ignore[no-untyped-def]
        count, digest = real(book, table)
        return (count, "tampered") if isinstance(book, Session) and table.name == "accounts" \
            else (count, digest)

    monkeypatch.setattr(copying, "table_digest", corrupt)
    target = tmp_path / "snap" / "copy.sqlite"
    with pytest.raises(CsdeskError, match="verification failed on accounts: 1 rows"):
        copy_book(db, resolve_database(target))
    assert not target.exists() and not list(target.parent.glob("copy.sqlite*"))
    monkeypatch.setattr(copying, "table_digest", real)
    assert copy_book(db, resolve_database(target)).rows["accounts"] == 1
