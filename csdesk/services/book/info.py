"""Facts about a book as a whole: where it is, its schema version, how much it holds."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from csdesk.config import DatabaseLocation
from csdesk.db import Database
from csdesk.db.backup import list_backups
from csdesk.db.migrate import SHIPPED_HEAD, current_revision
from csdesk.models import Base
from csdesk.progress import CancelFn, ProgressFn, Reporter


@dataclass(frozen=True)
class BookInfo:
    database: str
    schema_version: str | None
    schema_head: str
    readonly_reason: str | None
    size_bytes: int | None
    backups: int
    counts: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return {
            "database": self.database,
            "schema_version": self.schema_version,
            "schema_head": self.schema_head,
            "readonly": self.readonly_reason is not None,
            "readonly_reason": self.readonly_reason,
            "size_bytes": self.size_bytes,
            "backups": self.backups,
            "counts": self.counts,
        }


def book_info(db: Database) -> BookInfo:
    """Row counts for every table of the schema, in one read transaction."""
    with db.read() as s:
        conn = s.connection()
        version = current_revision(conn)
        counts = {
            name: int(s.scalar(select(func.count()).select_from(table)) or 0)
            for name, table in sorted(Base.metadata.tables.items())
        }
    path: Path | None = db.path
    size = None
    if path is not None and path.exists():
        size = path.stat().st_size + sum(
            p.stat().st_size for p in (path.with_name(path.name + "-wal"),) if p.exists()
        )
    return BookInfo(
        database=db.location.display(),
        schema_version=version,
        schema_head=SHIPPED_HEAD,
        readonly_reason=db.readonly_reason,
        size_bytes=size,
        backups=len(list_backups(path)) if path is not None else 0,
        counts=counts,
    )


def open_to_read(location: DatabaseLocation) -> Database:
    """The book at ``location``, opened read-only (it must exist): for work that only reads
    it, such as writing documents in other processes."""
    return Database.open(location, create=False, readonly=True)


def background_check(db: Database, *, progress: ProgressFn | None = None,
                     cancel: CancelFn | None = None) -> str | None:
    """The whole-file check the open skipped (a large book, cleanly closed): None when sound
    or when the open checked it already; otherwise one line saying what was found and what
    to do. Cancellable; it only reads."""
    from csdesk.db.backup import newest_good_backup
    from csdesk.db.database import whole_file_problems

    path = db.location.path
    if path is None or db.checked_whole:
        return None
    Reporter(progress, cancel).checkpoint(0.0, "Checking the whole book file…")
    problems = whole_file_problems(path, cancel=cancel or (lambda: False))
    if not problems:
        return None
    newest = newest_good_backup(path)
    return (f"csdesk found damage in {path.name} while checking it in the background "
            f"({problems[0]}). Nothing was changed. Quit csdesk and open it again: it will set "
            "the damaged file aside and offer "
            + (f"the newest good backup ({newest.name})." if newest else "to start afresh "
               "(no good backup was found)."))
