"""Answers that hold until the book changes.

A book-wide figure that a one-account screen needs (the widest feature use in the book, say)
is read once and kept while the book file is unchanged. The key is the state of the SQLite
file and its write-ahead log (see :func:`book_state`): every commit, by this csdesk or by
another program, changes it. On a server nothing is kept (another client's commit
cannot be seen that way), so every call computes afresh.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy.orm import Session

T = TypeVar("T")

_kept: dict[tuple[str, Hashable], tuple[tuple[int | bytes, ...], Any]] = {}
_lock = threading.Lock()
KEEP = 16  # answers kept at most, over every book this process has open


def book_state(path: str) -> tuple[int | bytes, ...]:
    """What every commit changes: the write-ahead log's index header (its change counter and
    frame count move on each commit, even within one tick of the file clock, and when the
    log restarts at the same size), the database header's change counter, and the files'
    modification times and sizes."""
    out: list[int | bytes] = []
    for name in (path, path + "-wal"):
        try:
            st = os.stat(name)
        except OSError:
            out += [0, 0]
        else:
            out += [st.st_mtime_ns, st.st_size]
    for name, offset, size in ((path + "-shm", 0, 48), (path, 24, 4)):
        try:
            with open(name, "rb") as fh:
                fh.seek(offset)
                out.append(fh.read(size))
        except OSError:
            out.append(b"")
    return tuple(out)


def _sqlite_path(source: Session | Any) -> str | None:
    """The book's file, from a session or a :class:`~csdesk.db.Database`."""
    engine = source.get_bind().engine if isinstance(source, Session) else source.engine
    url = engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return os.path.abspath(url.database)


def kept(source: Session | Any, key: Hashable) -> Any | None:
    """What :func:`until_changed` keeps for ``key`` if the book has not changed since, else
    None (nothing is computed): a one-account screen takes its row from a book-wide answer
    already at hand, and reads only its own rows when there is none."""
    path = _sqlite_path(source)
    if path is None:
        return None
    state = book_state(path)
    with _lock:
        hit = _kept.get((path, key))
    return hit[1] if hit is not None and hit[0] == state else None


def until_changed(source: Session | Any, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, or what it returned before if the book (of ``source``, a session or a
    Database) has not changed since. What is kept is shared: return something immutable,
    or copy it."""
    path = _sqlite_path(source)
    if path is None:
        return compute()
    state = book_state(path)  # taken first: a commit while computing means compute again
    with _lock:
        hit = _kept.get((path, key))
    if hit is not None and hit[0] == state:
        return hit[1]  # type: ignore[no-any-return]
    value = compute()
    with _lock:
        _kept.pop((path, key), None)
        _kept[(path, key)] = (state, value)
        while len(_kept) > KEEP:  # the least recently computed go first
            del _kept[next(iter(_kept))]
    return value
