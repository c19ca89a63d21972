"""Files that are not csdesk's are never changed; damage is never papered over with an empty
book; backups carry checksums; everything is private. Real files, real processes."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from csdesk.cli.main import main
from csdesk.config import DatabaseLocation, resolve_database
from csdesk.db import Database, restore_book, start_afresh
from csdesk.db.backup import (
    create_backup,
    list_backups,
    newest_good_backup,
    rotate_backups,
    verify_backup,
)
from csdesk.errors import BackupError, CorruptDatabaseError, CsdeskError
from csdesk.models import Account

pytestmark = pytest.mark.sqlite_only("SQLite files on disk")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _siblings(path: Path) -> set[str]:
    return {p.name for p in path.parent.iterdir()}


def _add(db: Database, *exts: str) -> None:
    with db.write() as s:
        s.add_all(Account(external_id=e, name=f"Acct {e}", segment="smb",
                          engagement_model="tech_touch") for e in exts)


def _count(path: Path) -> int:
    con = sqlite3.connect(path)
    try:
        return int(con.execute("SELECT count(*) FROM accounts").fetchone()[0])
    finally:
        con.close()


# -- foreign files ---------------------------------------------------------------------------


def _foreign_sqlite(path: Path) -> None:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)")
    con.execute("INSERT INTO photos (name) VALUES ('cat.jpg')")
    con.commit()
    con.close()


@pytest.mark.parametrize("command", [["info"], ["export", "{tmp}/out"], ["backup"],
                                     ["health", "--account", "X"], ["gui", "--screenshot",
                                                                     "{tmp}/s.png"]])
def test_another_programs_sqlite_file_is_never_changed(
        tmp_path: Path, command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    theirs = tmp_path / "photos.db"
    _foreign_sqlite(theirs)
    digest, names = _digest(theirs), _siblings(theirs)
    args = [a.replace("{tmp}", str(tmp_path)) for a in command]
    code = main([*args, "--db", str(theirs)])
    err = capsys.readouterr().err
    assert code == 1 and "not a csdesk book" in err and "left as it is" in err
    assert "Traceback" not in err
    assert _digest(theirs) == digest
    con = sqlite3.connect(theirs)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # not switched to WAL
    con.close()
    assert _siblings(theirs) - names <= {"photos.db.lock"}  # nothing moved or renamed


def test_a_text_file_given_as_the_book_is_left_alone(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n", encoding="utf-8")
    assert main(["info", "--db", str(notes)]) == 1
    assert "not a csdesk book" in capsys.readouterr().err
    assert notes.read_text(encoding="utf-8") == "my notes\n"
    assert _siblings(notes) == {"notes.txt"}


def test_info_changes_nothing_in_a_book(location: DatabaseLocation) -> None:
    assert location.path is not None
    with Database.open(location) as db:
        _add(db, "A")
    digest, names = _digest(location.path), _siblings(location.path)
    assert main(["info", "--db", str(location.path)]) == 0
    assert _digest(location.path) == digest
    assert _siblings(location.path) <= names | {"book.sqlite-shm", "book.sqlite-wal"}


# -- damage ----------------------------------------------------------------------------------


def _truncate(path: Path, size: int = 6000) -> None:
    with open(path, "r+b") as fh:
        fh.truncate(size)


def test_after_damage_no_command_creates_an_empty_book(location: DatabaseLocation,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    assert location.path is not None
    with Database.open(location) as db:
        _add(db, *(f"A{i}" for i in range(250)))
        good = db.backup("manual")
    _truncate(location.path)
    damaged = _digest(location.path)
    assert main(["info", "--db", str(location.path)]) == 1  # read-only: says, moves nothing
    first = capsys.readouterr().err
    assert "is damaged" in first and "left where it is" in first and str(good) in first
    assert _digest(location.path) == damaged
    assert main(["backup", "--db", str(location.path)]) == 1  # a writer sets it aside
    assert "moved to" in capsys.readouterr().err
    moved = list(location.path.parent.glob("book.sqlite.corrupt-*Z"))
    assert len(moved) == 1
    for command in (["info"], ["demo", "--accounts", "3"], ["backup"], ["export", "x"]):
        assert main([*command, "--db", str(location.path)]) == 1
        err = capsys.readouterr().err
        assert "no new book was created" in err and "csdesk restore" in err, command
        assert not location.path.exists() or location.path.stat().st_size == 0
    # The user decides: restore the backup, and the book is whole again.
    assert main(["restore", str(good), "--db", str(location.path)]) == 0
    assert _count(location.path) == 250


def test_start_afresh_is_explicit_and_keeps_the_good_backup_through_imports(
        location: DatabaseLocation, tmp_path: Path) -> None:
    assert location.path is not None
    with Database.open(location) as db:
        _add(db, *(f"A{i}" for i in range(250)))
        good = db.backup("manual")
    _truncate(location.path)
    with pytest.raises(CorruptDatabaseError):
        Database.open(location)
    start_afresh(location)
    csv = tmp_path / "one.csv"
    for n in range(8):  # eight imports, each with its pre-import backup, then rotation
        csv.write_text(f"external_id,name,segment\nN{n},New {n},smb\n", encoding="utf-8")
        assert main(["import", str(csv), "--entity", "accounts", "--db",
                     str(location.path)]) == 0
        with Database.open(location) as db:
            db.backup("manual")
    assert good.exists(), "the newest backup from before the damage was rotated away"
    assert _count(good) == 250
    assert newest_good_backup(location.path) != good  # newer (small) ones exist too


def test_rotation_keeps_the_backup_an_import_message_names(db: Database) -> None:
    assert db.path is not None
    start = datetime(2026, 1, 1, tzinfo=UTC)
    pre = create_backup(db.path, "pre-import", now=start)
    for k in range(1, 30):
        create_backup(db.path, "manual", now=start + timedelta(minutes=k))
    rotate_backups(db.path)
    assert pre.exists()


# -- backups ---------------------------------------------------------------------------------


def _flip_payload_bit(path: Path) -> None:
    """Flip one bit inside a row's text: quick_check does not look at row payloads."""
    data = bytearray(path.read_bytes())
    at = data.rfind(b"Acct A")
    assert at > 0
    data[at + 2] ^= 0x01
    path.write_bytes(bytes(data))


def test_a_backup_with_a_flipped_bit_is_refused_on_restore(location: DatabaseLocation) -> None:
    assert location.path is not None
    with Database.open(location) as db:
        _add(db, "A", "B")
        taken = db.backup("manual")
        _add(db, "C")
    _flip_payload_bit(taken)
    assert verify_backup(taken, quick=True)  # the checksum catches what quick_check misses
    before = _digest(location.path)
    with pytest.raises(CsdeskError, match="checksum"):
        restore_book(location, taken)
    assert _digest(location.path) == before


def test_rotation_sets_a_damaged_backup_aside(db: Database) -> None:
    assert db.path is not None
    _add(db, "A")
    good = db.backup("manual")
    bad = db.backup("manual")
    _flip_payload_bit(bad)
    rotate_backups(db.path)
    assert [b.path for b in list_backups(db.path)] == [good]
    assert bad.with_name(bad.name + ".damaged").exists()


def test_stray_partials_are_removed(db: Database) -> None:
    assert db.path is not None
    folder = db.backup("manual").parent
    old = time.time() - 2 * 3600
    for n in range(20):
        stray = folder / f"book-2025010{n % 9}T000000000000Z-manual.sqlite.partial-journal"
        stray.write_bytes(b"x" * 100)
        os.utime(stray, (old, old))
    db.backup("manual")
    assert not [p for p in folder.iterdir() if ".partial" in p.name]


def test_restore_checks_the_file_before_touching_the_book(location: DatabaseLocation,
                                                          tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    assert location.path is not None
    with Database.open(location) as db:
        _add(db, "A")
    before = _digest(location.path)
    theirs = tmp_path / "foreign.sqlite"
    _foreign_sqlite(theirs)
    assert main(["restore", str(theirs), "--db", str(location.path)]) == 1
    err = capsys.readouterr().err
    assert "not a csdesk book" in err and "nothing was changed" in err
    assert _digest(location.path) == before
    assert list_backups(location.path) == []  # refused before any safety copy was needed


def test_a_full_disk_during_a_backup_says_so_and_leaves_nothing(
        demo_location: DatabaseLocation, small_disk: Callable[[Path, int], Path]) -> None:
    assert demo_location.path is not None
    before = _digest(demo_location.path)
    small_disk(demo_location.path.parent / "backups", 512)  # the book is ~8 MB
    done = subprocess.run([sys.executable, "-m", "csdesk", "backup", "--db",
                           str(demo_location.path)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and done.stderr.strip().count("\n") == 0
    assert "disk is full" in done.stderr and "nothing was changed" in done.stderr
    folder = demo_location.path.parent / "backups" / "demo"
    assert not [p for p in folder.iterdir() if ".partial" in p.name]
    assert list_backups(demo_location.path) == []
    assert _digest(demo_location.path) == before


def test_backup_error_names_the_folder(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="no such file"):
        create_backup(tmp_path / "nope.sqlite", "manual")


# -- privacy ---------------------------------------------------------------------------------


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_books_and_backups_are_private_and_old_ones_are_tightened(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    monkeypatch.setenv("CSDESK_DATA_DIR", str(data))
    location = resolve_database(data / "book.sqlite")
    assert location.path is not None
    with Database.open(location) as db:
        _add(db, "A")
        taken = db.backup("manual")

    def mode(p: Path) -> int:
        return stat.S_IMODE(p.stat().st_mode)

    assert mode(data) == 0o700
    assert mode(location.path) == 0o600
    assert mode(taken) == 0o600 and mode(taken.parent) == 0o700
    for p in (location.path, taken, taken.parent, data):
        p.chmod(0o755 if p.is_dir() else 0o644)  # as an earlier csdesk left them
    Database.open(location).close()
    assert mode(location.path) == 0o600 and mode(taken) == 0o600
    assert mode(taken.parent) == 0o700 and mode(data) == 0o700


def test_the_backup_offered_after_damage_holds_the_book(location: DatabaseLocation) -> None:
    """A backup of an empty book (taken after starting afresh) is not the one offered."""
    assert location.path is not None
    with Database.open(location) as db:
        _add(db, *(f"A{i}" for i in range(20)))
        full = db.backup("manual")
    _truncate(location.path)
    with pytest.raises(CorruptDatabaseError):
        Database.open(location)
    start_afresh(location)
    with Database.open(location) as db:
        db.backup("manual")  # newer, but of the empty book
    _truncate(location.path)
    with pytest.raises(CorruptDatabaseError) as err:
        Database.open(location)
    assert err.value.newest_backup == full


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_only_csdesks_own_files_are_tightened(tmp_path: Path) -> None:
    location = resolve_database(tmp_path / "mine" / "copy.sqlite")
    assert location.path is not None
    Database.open(location).close()
    folder = location.path.parent / "backups" / "copy"
    folder.mkdir(parents=True)
    notes = folder / "mine.txt"
    notes.write_text("mine")
    notes.chmod(0o644)
    with Database.open(location) as db:
        taken = db.backup("manual")
        taken.chmod(0o644)
    Database.open(location).close()
    assert stat.S_IMODE(notes.stat().st_mode) == 0o644
    assert stat.S_IMODE(taken.stat().st_mode) == 0o600
    lock = location.path.with_name("copy.sqlite.lock")
    assert stat.S_IMODE(lock.stat().st_mode) == 0o600


def test_imports_that_change_nothing_leave_no_backup_behind(location: DatabaseLocation,
                                                            tmp_path: Path) -> None:
    """Failed and no-change retries must not rotate out the backup from before the import
    that did change the book."""
    assert location.path is not None
    Database.open(location).close()
    good = tmp_path / "good.csv"
    good.write_text("external_id,name,segment\nA1,One,smb\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("external_id,name,segment\nA2,,smb\n", encoding="utf-8")
    assert main(["import", str(good), "--entity", "accounts", "--db", str(location.path)]) == 0
    [real] = [b.path for b in list_backups(location.path) if b.reason == "pre-import"]
    for _ in range(6):
        assert main(["import", str(bad), "--entity", "accounts", "--db",
                     str(location.path)]) == 1
        assert main(["import", str(good), "--entity", "accounts", "--db",
                     str(location.path)]) == 0  # nothing to change
    assert [b.path for b in list_backups(location.path)] == [real]
