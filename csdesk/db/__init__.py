"""Storage: engine factory, safe opening, backups, the write lock, migrations, bulk writes.

``csdesk.db.database`` (SQLAlchemy) loads on first use of its names, so that
``csdesk.db.glance`` can read a book's names before it: the window's first paint.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from csdesk.db.backup import snapshot
    from csdesk.db.database import Database, OpenReport, check_file, restore_book, start_afresh

_FROM = {"Database": "database", "OpenReport": "database", "check_file": "database",
         "restore_book": "database", "start_afresh": "database", "snapshot": "backup"}
__all__ = ["Database", "OpenReport", "check_file", "restore_book", "snapshot", "start_afresh"]


def __getattr__(name: str) -> Any:
    if name not in _FROM:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f"csdesk.db.{_FROM[name]}"), name)
    globals()[name] = value
    return value
