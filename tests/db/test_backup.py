"""Backups are verified, rotated, restorable; a damaged book is moved aside, not lost."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from csdesk.config import DatabaseLocation
from csdesk.db import Database, restore_book
from csdesk.db.backup import (
    BackupInfo,
    RotationPolicy,
    backups_to_keep,
    create_backup,
    integrity_problems,
    list_backups,
    rotate_backups,
)
from csdesk.errors import BackupError, CorruptDatabaseError, CsdeskError
from csdesk.models import Account

pytestmark = pytest.mark.sqlite_only("file backups of an SQLite book; a team's server is "
                                      "backed up by its own tools")


def _add(db: Database, *exts: str) -> None:
    with db.write() as s:
        s.add_all(Account(external_id=e, name=f"Acct {e}", segment="smb",
                          engagement_model="tech_touch") for e in exts)


def _names(db: Database) -> list[str]:
    with db.read() as s:
        return sorted(s.scalars(select(Account.external_id)))


def test_backup_is_a_verified_consistent_copy_of_a_live_book(db: Database) -> None:
    _add(db, "A", "B")
    taken = db.backup("manual")  # the book is open, in WAL mode, with pages in the -wal file
    assert taken.exists() and integrity_problems(taken) == []
    con = sqlite3.connect(taken)
    assert con.execute("SELECT count(*) FROM accounts").fetchone()[0] == 2
    con.close()
    assert [b.path for b in list_backups(db.path)] == [taken]
    assert not list(taken.parent.glob("*.partial"))


def test_restore_round_trip_keeps_a_safety_copy(location: DatabaseLocation) -> None:
    with Database.open(location) as db:
        _add(db, "A")
        good = db.backup("manual")
        _add(db, "B", "C")
    safety = restore_book(location, good)
    with Database.open(location) as db:
        assert _names(db) == ["A"]
    assert safety is not None
    con = sqlite3.connect(safety)  # the state before the restore is not lost
    assert con.execute("SELECT count(*) FROM accounts").fetchone()[0] == 3
    con.close()


def test_restore_refuses_a_damaged_backup(location: DatabaseLocation, tmp_path: Path) -> None:
    Database.open(location).close()
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"SQLite format 3\x00" + b"\x00" * 4000)
    with pytest.raises(CsdeskError, match="not a sound"):
        restore_book(location, bad)


def test_restore_is_refused_while_another_process_writes(location: DatabaseLocation) -> None:
    with Database.open(location) as db:
        good = db.backup()
        with pytest.raises(CsdeskError, match="another csdesk"):
            restore_book(location, good)


def test_backup_of_missing_book_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="no such file"):
        create_backup(tmp_path / "nope.sqlite", "manual")


def test_a_damaged_book_is_moved_aside_and_the_newest_good_backup_offered(
    location: DatabaseLocation,
) -> None:
    assert location.path is not None
    with Database.open(location) as db:
        _add(db, "A")
        good = db.backup("manual")
    # Damage the file the way a failing disk would: overwrite pages in the middle.
    data = bytearray(location.path.read_bytes())
    data[4096:8192] = b"\xde\xad\xbe\xef" * 1024
    location.path.write_bytes(bytes(data))

    with pytest.raises(CorruptDatabaseError) as err:
        Database.open(location)
    assert err.value.newest_backup == good
    assert err.value.moved_to is not None and err.value.moved_to.exists()
    assert str(good) in str(err.value)
    assert not location.path.exists()  # moved, not deleted

    assert restore_book(location, good) is None  # nothing sound to keep a safety copy of
    with Database.open(location) as db:
        assert _names(db) == ["A"]


def test_a_file_that_is_not_a_database_is_reported_and_left_alone(
        location: DatabaseLocation) -> None:
    assert location.path is not None
    location.path.write_text("name,arr\nAcme,100\n", encoding="utf-8")
    with pytest.raises(CsdeskError, match="not an SQLite database") as err:
        Database.open(location)
    assert not isinstance(err.value, CorruptDatabaseError)  # not a book: never moved
    assert location.path.read_text(encoding="utf-8") == "name,arr\nAcme,100\n"
    assert not list(location.path.parent.glob("*.corrupt-*"))


def _fake(ts: datetime) -> BackupInfo:
    return BackupInfo(Path(f"/b/{ts:%Y%m%d%H%M}.sqlite"), ts, "manual", 1)


def test_rotation_keeps_newest_plus_daily_weekly_monthly() -> None:
    now = datetime(2026, 11, 22, 12, tzinfo=UTC)
    # Four backups a day for 400 days.
    backups = [_fake(now - timedelta(hours=6 * k)) for k in range(1600)]
    keep = backups_to_keep(backups, RotationPolicy(keep_last=5, daily=7, weekly=4, monthly=12))
    kept = sorted((b for b in backups if b.path in keep), key=lambda b: b.taken_at)
    assert backups[0].path in keep  # the newest
    assert all(b.path in keep for b in backups[:5])
    days = {b.taken_at.date() for b in kept}
    assert {(now - timedelta(days=d)).date() for d in range(7)} <= days
    months = {(b.taken_at.year, b.taken_at.month) for b in kept}
    assert len(months) == 12
    assert len(kept) <= 5 + 7 + 4 + 12
    assert kept[0].taken_at > now - timedelta(days=370)


def test_rotate_deletes_only_what_the_policy_drops(db: Database) -> None:
    assert db.path is not None
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for k in range(10):
        create_backup(db.path, "manual", now=start + timedelta(minutes=k))
    removed = rotate_backups(db.path, RotationPolicy(keep_last=3, daily=1, weekly=1, monthly=1))
    left = list_backups(db.path)
    assert len(left) == 3 and len(removed) == 7
    assert left[0].taken_at == start + timedelta(minutes=9)


def test_every_backup_is_counted(db: Database, tmp_path: Path) -> None:
    """Backups of every kind are listed and counted, by kind, after rotation: manual ones
    (the newest five of all are kept), the import's (kept however many come after it) and
    the restore's."""
    from collections import Counter

    from csdesk.services.book.info import book_info
    from csdesk.services.sync.importer import ImportRequest, run_import

    assert db.path is not None and book_info(db).backups == 0
    manual = []

    def take(names: range) -> None:
        for k in names:
            _add(db, f"M{k}")
            manual.append(db.backup())

    take(range(7))
    source = tmp_path / "accounts.csv"
    source.write_text("Account ID,Name\nI1,Imported\n", encoding="utf-8")
    imported = run_import(db, ImportRequest(source, entity="accounts"))
    assert imported.inserted == 1 and imported.backup is not None
    take(range(7, 12))  # five more: the import's backup is no longer among the newest five
    found = list_backups(db.path)
    assert Counter(b.reason for b in found) == {"manual": 5, "pre-import": 1}
    assert {b.path for b in found} == {*manual[-5:], Path(imported.backup)}
    assert book_info(db).backups == 6
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Account)) == 13

    location = db.location
    db.close()  # a restore takes the book; it backs the current one up first
    safety = restore_book(location, manual[-5])  # the oldest kept: M0…M7 and I1
    assert safety is not None
    found = list_backups(location.path)  # type: ignore[arg-type]
    assert Counter(b.reason for b in found) == {"manual": 5, "pre-import": 1,
                                                 "pre-restore": 1}
    with Database.open(location) as again:
        assert book_info(again).backups == 7
        assert _names(again) == ["I1", *(f"M{k}" for k in range(8))]
