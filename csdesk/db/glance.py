"""A first look at a book file before the storage layer is loaded: its accounts' names.

The window paints the book's names from this while SQLAlchemy, the models and the rest of
the application load behind it. Plain ``sqlite3``, read-only, one query; anything unusual
(no file, another format, a schema from another version, a lock) returns ``None`` and the
window simply starts the ordinary way, where every check is made.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Glance:
    """The accounts as ``(id, external_id, name, segment, status, owner)``, unsorted, and
    the book's stored base currency (``None`` when not set)."""

    accounts: list[tuple[int, str, str, str, str, str | None]]
    base_currency: str | None


def glance(path: Path | None, base_setting: str) -> Glance | None:
    """The book's accounts read straight from the file, or ``None`` when that cannot be
    done quickly and safely (see the module's note)."""
    if path is None or not path.is_file():
        return None
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=0.2)
    except sqlite3.Error:
        return None
    try:
        conn.execute("PRAGMA query_only = ON")
        accounts = conn.execute("SELECT id, external_id, name, segment, status, owner "
                                "FROM accounts ORDER BY id").fetchall()
        row = conn.execute("SELECT value FROM settings WHERE key = ?",
                           (base_setting,)).fetchone()
    except sqlite3.Error:  # not a book, another version's schema, locked, damaged
        return None
    finally:
        conn.close()
    try:  # settings are stored as JSON
        base = json.loads(row[0]) if row is not None and row[0] else None
    except (TypeError, ValueError):
        base = None
    return Glance(accounts, base if isinstance(base, str) and base else None)
