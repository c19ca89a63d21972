"""Answers that hold until the book changes.

A book-wide figure that a one-account screen needs (the widest feature use in the book, say)
is read once and kept while the book file is unchanged. The key is the state of the SQLite
file and its write-ahead log (modification time and size): every commit, by this csdesk or by
another program, changes one of them. On a server nothing is kept (another client's commit
cannot be seen that way), so every call computes afresh.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy.orm import Session

T = TypeVar("T")

_kept: dict[tuple[str, Hashable], tuple[tuple[int, ...], Any]] = {}
_lock = threading.Lock()


def book_state(path: str) -> tuple[int, ...]:
    """The file's and its log's modification times and sizes: changed by every commit."""
    out: list[int] = []
    for name in (path, path + "-wal"):
        try:
            st = os.stat(name)
        except OSError:
            out += [0, 0]
        else:
            out += [st.st_mtime_ns, st.st_size]
    return tuple(out)


def _sqlite_path(session: Session) -> str | None:
    bind = session.get_bind()
    url = bind.engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return os.path.abspath(url.database)


def until_changed(session: Session, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, or what it returned before if the book has not changed since."""
    path = _sqlite_path(session)
    if path is None:
        return compute()
    state = book_state(path)  # taken first: a commit while computing means compute again
    with _lock:
        hit = _kept.get((path, key))
    if hit is not None and hit[0] == state:
        return hit[1]  # type: ignore[no-any-return]
    value = compute()
    with _lock:
        _kept[(path, key)] = (state, value)
    return value
