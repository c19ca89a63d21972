"""What each open of a book checks: its header and structure always; every page when the book
is small, when the last csdesk to write it did not close it, or when a background check found
damage. A large book cleanly closed is not read whole on every open (4 to 20 s at 100,000
accounts); the window reads it in the background instead. Real files, real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from csdesk.config import DatabaseLocation
from csdesk.db import Database
from csdesk.db import database as database_module
from csdesk.db.database import whole_file_problems
from csdesk.errors import CorruptDatabaseError
from csdesk.models import Account
from csdesk.services.book.info import background_check

pytestmark = pytest.mark.sqlite_only("SQLite files on disk")


@pytest.fixture
def large(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every book counts as large: the whole-file check is skipped when it may be."""
    monkeypatch.setattr(database_module, "FULL_CHECK_BYTES", 0)


def _book(location: DatabaseLocation, accounts: int = 3000) -> Path:
    assert location.path is not None
    with Database.open(location) as db:
        with db.write() as s:
            s.add_all(Account(external_id=f"A{i}", name=f"Account number {i:05d} " * 3,
                              segment="smb", engagement_model="tech_touch")
                      for i in range(accounts))
        db.backup("manual")
    return location.path


def _damage_a_middle_page(path: Path) -> None:
    data = bytearray(path.read_bytes())
    page = 4096
    middle = (len(data) // page // 2) * page
    data[middle:middle + page] = b"\x00\xff" * (page // 2)
    path.write_bytes(bytes(data))


def test_a_large_book_cleanly_closed_is_not_read_whole_on_open(
        large: None, location: DatabaseLocation) -> None:
    path = _book(location)
    _damage_a_middle_page(path)
    with Database.open(location) as db:  # the header and structure are sound
        assert db.checked_whole is False
        found = background_check(db)
    assert found is not None and "found damage" in found and "Nothing was changed" in found
    assert "the newest good backup" in found
    # The damage found is remembered: the next open reads the whole file and sets it aside.
    with pytest.raises(CorruptDatabaseError) as err:
        Database.open(location)
    assert err.value.moved_to is not None and err.value.newest_backup is not None


def test_a_small_book_is_read_whole_on_every_open(location: DatabaseLocation) -> None:
    path = _book(location)
    _damage_a_middle_page(path)
    with pytest.raises(CorruptDatabaseError):
        Database.open(location)


def test_a_sound_large_book_passes_the_background_check(
        large: None, location: DatabaseLocation) -> None:
    _book(location)
    with Database.open(location) as db:
        assert db.checked_whole is False
        assert background_check(db) is None
    assert whole_file_problems(location.path) == []  # type: ignore[arg-type]


def test_a_truncated_large_book_is_caught_by_the_cheap_check(
        large: None, location: DatabaseLocation) -> None:
    path = _book(location)
    with open(path, "r+b") as fh:
        fh.truncate(path.stat().st_size // 2)
    with pytest.raises(CorruptDatabaseError) as err:
        Database.open(location)
    assert "shorter than" in str(err.value)


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_after_a_killed_csdesk_the_whole_file_is_checked(
        large: None, location: DatabaseLocation) -> None:
    path = _book(location)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time\n"
         "from csdesk.config import resolve_database\n"
         "from csdesk.db import Database\n"
         "db = Database.open(resolve_database(sys.argv[1]))\n"
         "print('open', flush=True)\n"
         "time.sleep(120)\n", str(path)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert path.with_name(path.name + ".lock.owner").exists()  # left by the killed writer
    with Database.open(location) as db:  # sound: read whole, as after any unclean end
        assert db.checked_whole is True
    # Closed cleanly now: a large book is no longer read whole.
    with Database.open(location) as db:
        assert db.checked_whole is False


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_damage_after_a_killed_csdesk_is_found_on_open(
        large: None, location: DatabaseLocation) -> None:
    path = _book(location)
    owner = path.with_name(path.name + ".lock.owner")
    owner.write_text('{"pid": 1, "host": "elsewhere", "since": "2026-11-22T09:00:00"}')
    _damage_a_middle_page(path)  # as a crash mid-write might leave it
    with pytest.raises(CorruptDatabaseError):
        Database.open(location)
