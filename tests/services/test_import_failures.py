"""What an import says when the machine fails it: a full disk, another program's lock.

Each failure ends in one line (``csdesk: error: …``, no traceback) and the book exactly as
it was. The disk is filled for real: a small tmpfs where mounting one is allowed (root), and
a file size limit (``ulimit -f``, which makes writes fail with EFBIG) everywhere else.
"""

from __future__ import annotations

import csv
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from csdesk.config import DatabaseLocation, resolve_database
from csdesk.db import Database
from csdesk.db.backup import list_backups
from csdesk.services.book.info import book_info

MB = 1 << 20


def counts(book: Path) -> dict[str, int]:
    with Database.open(resolve_database(book)) as db:
        return dict(book_info(db).counts)


def usage_file(path: Path, rows: int) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["account_external_id", "date", "active_users", "logins"])
        for n in range(rows):
            day = date(2010, 1, 1) + timedelta(days=n // 250)
            w.writerow([f"ACC-{1 + n % 250:06d}", day.isoformat(), n % 7, n % 11])
    return path


def run_cli(*args: str, file_limit: int | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    def limit() -> None:  # in the child: writes past the limit fail with EFBIG (errno 27)
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_limit, file_limit))

    return subprocess.run([sys.executable, "-m", "csdesk", *args], capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, timeout=300,
                          preexec_fn=limit if file_limit is not None else None)


def one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("csdesk: error: "), done.stderr
    return lines[0]


class FullDisk:
    """A place for a book where only ``room`` more bytes can be written."""

    def __init__(self, how: str, folder: Path, book: Path) -> None:
        self.how, self.folder, self.book = how, folder, book
        self.file_limit: int | None = None

    def leave_room(self, *, backup_fits: bool) -> None:
        """Room for the pre-import backup and 2 MB more, or not even for the backup."""
        size = self.book.stat().st_size
        if self.how == "file size limit":  # a limit per file: the backup, the WAL
            self.file_limit = size + 2 * MB if backup_fits else size // 2
            return
        self._mount(size + (size + 2 * MB if backup_fits else size // 2) + 256 * 1024)

    def _mount(self, size: int) -> None:
        kept = self.folder.parent / "book-kept.sqlite"
        shutil.copyfile(self.book, kept)
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                               str(self.folder)], capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip() or 'not root'}); "
                        "the file-size-limit variant covers a full disk")
        shutil.copyfile(kept, self.book)

    def import_(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_cli("import", *args, "--db", str(self.book), file_limit=self.file_limit)


@pytest.fixture(params=["tmpfs", "file size limit"])
def full_disk(request: pytest.FixtureRequest, demo_location: DatabaseLocation,
              tmp_path: Path) -> Iterator[FullDisk]:
    assert demo_location.path is not None
    if request.param == "file size limit" and os.name != "posix":
        pytest.skip("file size limits (RLIMIT_FSIZE) are a POSIX feature")
    if request.param == "tmpfs" and (os.name != "posix" or shutil.which("mount") is None):
        pytest.skip("no mount command here; the file-size-limit variant covers a full disk")
    folder = tmp_path / "disk"
    folder.mkdir()
    book = folder / "book.sqlite"
    shutil.copyfile(demo_location.path, book)
    disk = FullDisk(request.param, folder, book)
    yield disk
    if request.param == "tmpfs":
        subprocess.run(["umount", str(folder)], check=False, capture_output=True)


def leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if ".partial" in p.name]


def test_disk_full_during_an_import(full_disk: FullDisk, tmp_path: Path) -> None:
    full_disk.leave_room(backup_fits=True)
    before = counts(full_disk.book)
    usage = usage_file(tmp_path / "usage.csv", 150_000)
    line = one_error_line(full_disk.import_(str(usage), "--entity", "usage"))
    assert line.startswith("csdesk: error: the disk is full: could not write book.sqlite")
    assert f" in {full_disk.folder};" in line and "nothing was changed" in line
    assert counts(full_disk.book) == before
    assert leftovers(full_disk.folder) == []


def test_disk_full_for_the_pre_import_backup(full_disk: FullDisk, tmp_path: Path) -> None:
    full_disk.leave_room(backup_fits=False)
    before = counts(full_disk.book)
    usage = usage_file(tmp_path / "usage.csv", 1_000)
    line = one_error_line(full_disk.import_(str(usage), "--entity", "usage"))
    assert line == (f"csdesk: error: the disk is full: could not write the backup of "
                    f"book.sqlite in {full_disk.folder / 'backups' / 'book'}; nothing was "
                    "changed — free some space there and retry")
    assert counts(full_disk.book) == before
    assert list_backups(full_disk.book) == []
    assert leftovers(full_disk.folder) == []


HOLDER = textwrap.dedent("""
    import sqlite3, sys, time
    con = sqlite3.connect(sys.argv[1], isolation_level=None)
    con.execute("BEGIN IMMEDIATE")
    print("holding", flush=True)
    sys.stdin.read()  # until the test closes our standard input
""")


def test_a_book_locked_by_another_program(demo_location: DatabaseLocation,
                                          tmp_path: Path) -> None:
    book = demo_location.path
    assert book is not None
    before = counts(book)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(book)], text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "holding\n"
        done = run_cli("import", str(usage_file(tmp_path / "usage.csv", 1_000)), "--entity",
                       "usage", "--db", str(book), env={"CSDESK_BUSY_TIMEOUT_MS": "200"})
    finally:
        holder.communicate("", timeout=30)
    line = one_error_line(done)
    program = Path(sys.executable).name[:15]  # as /proc/PID/comm shows it
    named = f" ({program}, process {holder.pid})" if Path("/proc/locks").exists() else ""
    assert line == (f"csdesk: error: the book is locked by another program{named}; "
                    "nothing was changed; close it and retry")
    assert list_backups(book) == []  # refused before any backup was taken
    assert counts(book) == before
