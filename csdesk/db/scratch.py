"""A scratch table in a private temporary SQLite file: work too big for memory, not for the
book (the feature events of a large import wait here until the whole file is read).

The file is created ``0600`` in the system's temporary folder, written without a journal
(it is thrown away whatever happens) and deleted on :meth:`ScratchTable.close`.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator, Sequence


class ScratchTable:
    """One table, ``columns`` as ``name → SQL type``; rows in, rows back in a chosen order."""

    def __init__(self, columns: dict[str, str], *, prefix: str = "csdesk-scratch-") -> None:
        self.columns = list(columns)
        fd, self.path = tempfile.mkstemp(prefix=prefix, suffix=".sqlite")
        os.close(fd)
        self.con = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        for pragma in ("journal_mode = OFF", "synchronous = OFF", "temp_store = FILE",
                       "cache_size = -16384"):
            self.con.execute(f"PRAGMA {pragma}")
        self.con.execute("CREATE TABLE scratch ("
                         + ", ".join(f"{name} {kind}" for name, kind in columns.items()) + ")")

    def insert(self, rows: Iterable[tuple[object, ...]]) -> None:
        """Append rows (one transaction for the lot, not one a row)."""
        marks = ", ".join("?" * len(self.columns))
        self.con.execute("BEGIN")
        self.con.executemany(f"INSERT INTO scratch VALUES ({marks})", rows)
        self.con.execute("COMMIT")

    def ordered(self, columns: Sequence[str], order_by: Sequence[str],
                batch: int) -> Iterator[list[tuple[object, ...]]]:
        """``columns`` of every row, sorted by ``order_by``, ``batch`` rows at a time."""
        cur = self.con.execute(f"SELECT {', '.join(columns)} FROM scratch "
                               f"ORDER BY {', '.join(order_by)}")
        while got := cur.fetchmany(batch):
            yield got

    def close(self) -> None:
        self.con.close()
        for suffix in ("", "-journal"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path + suffix)
