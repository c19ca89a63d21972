"""Storage failures in one sentence: a full disk, a book locked by another program.

The drivers report these in their own terms, often hidden behind a second error (SQLite rolls
a transaction back by itself when the disk fills up, so the savepoint SQLAlchemy then tries
to roll back to is gone, and *that* is what surfaces). These helpers look through the whole
chain of causes and say what happened, where, and that nothing was changed.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

from csdesk.errors import DatabaseLockedError, DiskFullError

SQLITE_BUSY, SQLITE_LOCKED, SQLITE_IOERR, SQLITE_FULL = 5, 6, 10, 13
PG_DISK_FULL = "53100"
LOW_SPACE = 1 << 20  # bytes: less than this free means a write of any size may fail
_FULL_ERRNOS = (errno.ENOSPC, errno.EFBIG)


def causes(exc: BaseException | None) -> Iterator[BaseException]:
    """``exc``, the driver error it wraps, and everything it was raised from or during."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        orig = getattr(exc, "orig", None)  # SQLAlchemy's DBAPIError wraps the driver's
        if isinstance(orig, BaseException) and id(orig) not in seen:
            seen.add(id(orig))
            yield orig
        exc = exc.__cause__ or exc.__context__


def _sqlite_code(exc: BaseException) -> int | None:
    if not isinstance(exc, sqlite3.Error):
        return None
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:  # Python < 3.11: only the message
        text = str(exc).lower()
        code = SQLITE_FULL if "disk is full" in text else (
            SQLITE_IOERR if "disk i/o error" in text else SQLITE_BUSY
            if "database is locked" in text else None)
    return code & 0xFF if code is not None else None


def _file_limit() -> int | None:
    """The process's file size limit (``ulimit -f``), when there is one."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    soft = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    return None if soft == resource.RLIM_INFINITY else soft


def _no_room(files: list[Path], need: int = 0) -> Path | None:
    """Which of ``files`` (or their folder) ran out of room, judged after the fact.

    SQLite reports a write refused for the file size limit (EFBIG) as a plain I/O error, so
    a file at the limit (or ``need``, the size the write was to reach, beyond it), or a
    folder with next to nothing free, is the evidence.
    """
    limit = _file_limit()
    if limit is not None and files and need >= limit:
        return files[0]
    for f in files:
        with contextlib.suppress(OSError):
            if limit is not None and f.stat().st_size + (64 << 10) >= limit:
                return f
    for f in files:
        with contextlib.suppress(OSError):
            if shutil.disk_usage(f.parent).free < LOW_SPACE:
                return f
    return None


def book_files(book: Path) -> list[Path]:
    """The book and the side files SQLite writes beside it, then SQLite's temporary folder."""
    side = [book.with_name(book.name + s) for s in ("-wal", "-journal")]
    return [*side, book, Path(tempfile.gettempdir()) / "SQLite's temporary files"]


def disk_full(exc: BaseException, files: list[Path], *, need: int = 0,
              ) -> DiskFullError | None:
    """A :class:`DiskFullError` when ``exc`` (or any cause of it) is a full disk.

    ``files`` are the files that were being written, most likely first; the message names
    the one found at fault (or the first) and its folder. ``need``: see :func:`_no_room`.
    """
    for cause in causes(exc):
        where: Path | None = None
        if isinstance(cause, OSError) and cause.errno in _FULL_ERRNOS:
            where = Path(cause.filename) if cause.filename else _guess(files, need)
        elif _sqlite_code(cause) == SQLITE_FULL:
            where = _guess(files, need)
        elif _sqlite_code(cause) == SQLITE_IOERR:
            where = _no_room(files, need)
        elif getattr(cause, "sqlstate", None) == PG_DISK_FULL:
            return DiskFullError(f"the database server's disk is full ({_one_line(cause)}); "
                                 "nothing was changed — ask its administrator to free space")
        if where is not None:
            return DiskFullError(
                f"the disk is full: could not write {where.name} in {where.parent}; "
                "nothing was changed — free some space there and retry", where=where)
    return None


def _guess(files: list[Path], need: int) -> Path:
    return _no_room(files, need) or (files[0] if files else Path.cwd() / "a file")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def is_busy(exc: BaseException) -> bool:
    """Did SQLite give up waiting for a lock another connection holds?"""
    return any(_sqlite_code(c) in (SQLITE_BUSY, SQLITE_LOCKED) for c in causes(exc))


def lock_holder(book: Path) -> str | None:
    """Who holds the SQLite write lock of ``book``, as far as the system tells cheaply.

    On Linux ``/proc/locks`` lists the process holding the WAL write lock (byte 120 of the
    ``-shm`` file) or a rollback journal's reserved lock; elsewhere it is not known (None).
    """
    targets = []
    for path, starts in ((book.with_name(book.name + "-shm"), ("120",)),
                         (book, ("1073741825", "1073741824"))):
        with contextlib.suppress(OSError):
            st = os.stat(path)
            targets.append((st.st_ino, starts))
    try:
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        parts = line.split()
        if len(parts) < 8 or parts[3] != "WRITE":
            continue
        pid, ident, start = parts[4], parts[5], parts[6]
        inode = int(ident.rsplit(":", 1)[-1]) if ident.count(":") == 2 else -1
        if any(inode == ino and start in starts for ino, starts in targets):
            return _program(book, pid)
    return None


def _program(book: Path, pid: str) -> str:
    """A csdesk that wrote its lock owner file is named by it; any other by its name."""
    from csdesk.db.lock import WriteLock

    lock = WriteLock(book)
    with contextlib.suppress(OSError, ValueError):
        if str(json.loads(lock.owner_path.read_text(encoding="utf-8")).get("pid")) == pid:
            return f"csdesk, {lock.holder()}"
    try:
        name = Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        name = ""
    return f"{name or 'a program'}, process {pid}"


def locked_error(book: Path) -> DatabaseLockedError:
    holder = lock_holder(book)
    return DatabaseLockedError(
        f"the book is locked by another program{f' ({holder})' if holder else ''}; nothing "
        "was changed; close it and retry")


__all__ = ["book_files", "causes", "disk_full", "is_busy", "lock_holder", "locked_error"]
