"""Storage: engine factory, safe opening, backups, the write lock, migrations, bulk writes.

``csdesk.db.database`` (SQLAlchemy) loads on first use of its names, so that
``csdesk.db.glance`` can read a book's names before it: the window's first paint.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from csdesk.db.database import Database, OpenReport, check_file, restore_book, start_afresh

__all__ = ["Database", "OpenReport", "check_file", "restore_book", "start_afresh"]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from csdesk.db import database

    globals().update((k, getattr(database, k)) for k in __all__)
    return globals()[name]
