"""One writer per database file: an OS-level file lock beside the database.

The lock is an ``flock``/``LockFileEx`` lock (py-filelock), which the operating system
releases when the holding process dies, so a lock left by a crashed or killed csdesk is
simply taken over. Who holds it is written to a small side file so that a refusal can say
which process to close.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from pathlib import Path

from filelock import FileLock, Timeout

from csdesk import clock
from csdesk.errors import DatabaseLockedError
from csdesk.safefile import PRIVATE_FILE, write_text


class WriteLock:
    """The write lock of one SQLite database file."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self.lock_path = db_path.with_name(db_path.name + ".lock")
        self.owner_path = db_path.with_name(db_path.name + ".lock.owner")
        self._lock = FileLock(str(self.lock_path), thread_local=False,
                              mode=PRIVATE_FILE)

    @property
    def held(self) -> bool:
        return self._lock.is_locked

    def acquire(self) -> None:
        """Take the lock now, or raise :class:`DatabaseLockedError` naming the holder."""
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            raise DatabaseLockedError(
                f"{self.db_path} is open for writing in another csdesk ({self.holder()}); "
                "close it there first"
            ) from None
        owner = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": clock.instant().isoformat(timespec="seconds"),
        }
        with contextlib.suppress(OSError):  # the side file is informative only
            write_text(self.owner_path, json.dumps(owner))

    def abandoned(self) -> bool:
        """True when a csdesk that held the lock ended without releasing it (killed, crashed,
        the power lost): its owner note is still there, yet no process holds the lock."""
        if self._lock.is_locked or not self.owner_path.exists():
            return False
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            return False  # a live csdesk holds it
        except OSError:
            return False  # cannot tell (a read-only folder): no reason to suspect the book
        self._lock.release(force=True)  # the note stays: the next writer replaces it
        return True

    def holder(self) -> str:
        try:
            owner = json.loads(self.owner_path.read_text(encoding="utf-8"))
            return f"process {owner['pid']} on {owner['host']} since {owner['since']}"
        except (OSError, ValueError, KeyError, TypeError):
            return "unknown process"

    def release(self) -> None:
        if self._lock.is_locked:
            with contextlib.suppress(OSError):
                self.owner_path.unlink(missing_ok=True)
            self._lock.release(force=True)

    def __enter__(self) -> WriteLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
