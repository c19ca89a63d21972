"""Storage: engine factory, safe opening, backups, the write lock, migrations, bulk writes."""

from __future__ import annotations

from csdesk.db.backup import snapshot
from csdesk.db.database import Database, OpenReport, check_file, restore_book, start_afresh

__all__ = ["Database", "OpenReport", "check_file", "restore_book", "snapshot",
           "start_afresh"]
