"""Opening a book safely: integrity check, write lock, backup, migration, sessions.

:meth:`Database.open` is the one way into a database. For SQLite it

1. runs ``quick_check`` on an existing file; a damaged file is moved aside and the newest
   good backup is named in the error (:class:`CorruptDatabaseError`);
2. takes the write lock, or opens read-only when another csdesk holds it and the caller
   accepts that;
3. compares the schema with the migrations: a new file is created at head; an older schema
   is backed up (verified) and upgraded; a newer one opens read-only with a message.

Services get sessions from :meth:`Database.read` and :meth:`Database.write`; the latter
begins with ``BEGIN IMMEDIATE`` and commits or rolls back as a whole.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from csdesk.config import DatabaseLocation
from csdesk.db import backup as backups
from csdesk.db import faults
from csdesk.db.engine import make_engine, writer
from csdesk.db.lock import WriteLock
from csdesk.db.migrate import SchemaState, SchemaStatus, schema_status, upgrade
from csdesk.errors import (
    ConflictError,
    CorruptDatabaseError,
    CsdeskError,
    DatabaseLockedError,
    ReadOnlyError,
)


@dataclass(frozen=True)
class OpenReport:
    """What happened while opening, for the status bar and the CLI."""

    created: bool = False
    upgraded_from: str | None = None
    backup: Path | None = None
    readonly_reason: str | None = None


class Database:
    """An open csdesk book: engine, session factories, lock and read-only state."""

    def __init__(
        self,
        location: DatabaseLocation,
        engine: Engine,
        *,
        lock: WriteLock | None,
        readonly_reason: str | None,
        report: OpenReport,
    ) -> None:
        self.location = location
        self.engine = engine
        self._lock = lock
        self.readonly_reason = readonly_reason
        self.report = report
        self._read = sessionmaker(engine, expire_on_commit=False)
        self._write = sessionmaker(writer(engine), expire_on_commit=False)

    # -- opening ---------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        location: DatabaseLocation,
        *,
        create: bool = True,
        lock: bool = True,
        readonly_if_locked: bool = False,
        readonly: bool = False,
    ) -> Database:
        """Open (and if needed create or upgrade) the book at ``location``."""
        path = location.path
        if path is None:
            return cls._open_server(location, readonly=readonly)

        exists = path.exists() and path.stat().st_size > 0
        if not exists and not create:
            raise CsdeskError(f"no csdesk book at {path}")
        if exists:
            check_file(path)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)

        readonly_reason = "opened read-only on request" if readonly else None
        write_lock: WriteLock | None = None
        if lock and not readonly:
            write_lock = WriteLock(path)
            try:
                write_lock.acquire()
            except DatabaseLockedError as exc:
                if not readonly_if_locked or not exists:
                    raise
                write_lock = None
                readonly_reason = f"read-only: {exc}"

        try:
            return cls._open_file(location, write_lock, readonly_reason)
        except BaseException:
            if write_lock is not None:
                write_lock.release()
            raise

    @classmethod
    def _open_file(
        cls, location: DatabaseLocation, write_lock: WriteLock | None, readonly_reason: str | None
    ) -> Database:
        assert location.path is not None
        path = location.path
        engine = make_engine(location, readonly=readonly_reason is not None)
        report = OpenReport(readonly_reason=readonly_reason)
        try:
            with engine.connect() as conn:
                status = schema_status(conn)
        except OperationalError as exc:
            engine.dispose()
            raise CsdeskError(f"cannot read {path}: {exc.orig}") from exc

        if status.state is SchemaState.FOREIGN:
            engine.dispose()
            raise CsdeskError(f"{path} is an SQLite file but not a csdesk book")
        if status.state is SchemaState.NEWER:
            reason = _newer_message(status)
            if readonly_reason is None:
                engine.dispose()
                engine = make_engine(location, readonly=True)
            return cls(location, engine, lock=write_lock, readonly_reason=reason,
                       report=OpenReport(readonly_reason=reason))
        if readonly_reason is not None:
            if status.state is not SchemaState.CURRENT:
                engine.dispose()
                raise CsdeskError(
                    f"{path} needs a schema upgrade, which a read-only open cannot do "
                    f"({readonly_reason})"
                )
            return cls(location, engine, lock=write_lock, readonly_reason=readonly_reason,
                       report=report)

        if status.state is SchemaState.EMPTY:
            upgrade(engine)
            report = OpenReport(created=True)
        elif status.state is SchemaState.OUTDATED:
            taken = backups.create_backup(path, "pre-migration")
            upgrade(engine)
            backups.rotate_backups(path)
            report = OpenReport(upgraded_from=status.current, backup=taken)
        return cls(location, engine, lock=write_lock, readonly_reason=None, report=report)

    @classmethod
    def _open_server(cls, location: DatabaseLocation, *, readonly: bool) -> Database:
        engine = make_engine(location)
        try:
            with engine.connect() as conn:
                status = schema_status(conn)
        except OperationalError as exc:
            engine.dispose()
            raise ServerUnreachable(location.display(), exc.orig) from exc
        if status.state is SchemaState.FOREIGN:
            raise CsdeskError(f"{location.display()} holds tables but is not a csdesk book")
        reason: str | None = "opened read-only on request" if readonly else None
        report = OpenReport(readonly_reason=reason)
        if status.state is SchemaState.NEWER:
            reason = _newer_message(status)
            report = OpenReport(readonly_reason=reason)
        elif status.state in (SchemaState.EMPTY, SchemaState.OUTDATED) and not readonly:
            # The server's own backups (pg_dump, base backups) are the team's safety net;
            # the migration runs in one transaction (PostgreSQL has transactional DDL).
            upgrade(engine)
            report = (OpenReport(created=True) if status.state is SchemaState.EMPTY
                      else OpenReport(upgraded_from=status.current))
        return cls(location, engine, lock=None, readonly_reason=reason, report=report)

    # -- use -------------------------------------------------------------------------------

    @property
    def readonly(self) -> bool:
        return self.readonly_reason is not None

    @property
    def path(self) -> Path | None:
        return self.location.path

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; closing it ends (rolls back) its transaction.

        Objects loaded here keep their state when detached, including ``version``, so an
        edit merged into a later :meth:`write` is checked against what the user saw.
        """
        session = self._read()
        try:
            yield session
        except DBAPIError as exc:
            if self._lost(exc):
                raise ServerUnreachable(self.location.display(), exc.orig) from exc
            raise
        finally:
            session.close()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction: all of it is committed, or none of it."""
        if self.readonly_reason is not None:
            raise ReadOnlyError(f"this book is read-only ({self.readonly_reason})")
        session = self._write()
        try:
            yield session
            session.commit()
        except StaleDataError as exc:  # a versioned row changed under us: never overwrite
            session.rollback()
            raise ConflictError("this record was changed elsewhere while you saved; your edit "
                                "was not saved — reload to see the other change") from exc
        except BaseException as exc:
            # After a failed write the driver may have rolled back already (SQLite does on a
            # full disk) or the server may be gone: the rollback's own error would only hide
            # the first one.
            with contextlib.suppress(Exception):
                session.rollback()
            if isinstance(exc, DBAPIError) and self._lost(exc):
                raise ServerUnreachable(self.location.display(), exc.orig,
                                        unsaved=True) from exc
            if isinstance(exc, Exception):
                self._raise_storage_error(exc)
            raise
        finally:
            session.close()

    def _raise_storage_error(self, exc: BaseException) -> None:
        """Raise the one-line error for a full disk or another program's lock, if that is
        what ``exc`` comes from (the transaction is rolled back: nothing was changed)."""
        if isinstance(exc, CsdeskError):
            return  # already said in the user's terms
        files = faults.book_files(self.path) if self.path is not None else []
        full = faults.disk_full(exc, files)
        if full is not None:
            raise full from exc
        if self.path is not None and faults.is_busy(exc):
            raise faults.locked_error(self.path) from exc

    def _lost(self, exc: DBAPIError) -> bool:
        """Did this error come from losing the server (not from the statement itself)?"""
        if self.location.path is not None:
            return False  # SQLite: a file, never "unreachable"
        return bool(exc.connection_invalidated) or (
            isinstance(exc, (OperationalError, InterfaceError))
            and any(w in str(exc.orig).lower() for w in ("connect", "server closed",
                                                          "terminating connection")))

    def ping(self) -> bool:
        """Can the book be reached right now? (Always, for an SQLite file.)"""
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        except DBAPIError:
            return False
        return True

    def backup(self, reason: str = "manual", *,
               progress: Callable[[int, int, int], object] | None = None) -> Path:
        """A verified backup of this book, then rotation of the old ones (``progress``: see
        :func:`backup.create_backup`)."""
        if self.path is None:
            raise CsdeskError(
                "backups of a server database are the server's job (use pg_dump); "
                "csdesk backs up SQLite books"
            )
        taken = backups.create_backup(self.path, reason, progress=progress)
        backups.rotate_backups(self.path)
        return taken

    def close(self) -> None:
        self.engine.dispose()
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ServerUnreachable(CsdeskError):
    """The database server did not answer: down, unreachable or refusing the login.

    ``unsaved``: it happened while saving, so that change was not saved (the transaction
    never committed) and the user must be told."""

    def __init__(self, where: str, cause: object, *, unsaved: bool = False) -> None:
        detail = " ".join(str(cause).split())  # drivers answer over several lines
        super().__init__(f"cannot reach the server at {where}: {detail}"
                         + ("; the change was not saved" if unsaved else ""))
        self.where = where
        self.unsaved = unsaved


def check_file(path: Path) -> None:
    """``quick_check`` an existing book; move a damaged one aside and name the best backup."""
    try:
        with open(path, "rb") as fh:
            header = fh.read(16)
    except OSError as exc:
        raise CsdeskError(f"cannot read {path}: {exc.strerror}") from exc
    problems: list[str]
    if header != b"SQLite format 3\x00":
        problems = ["the file is not an SQLite database"]
    else:
        problems = backups.integrity_problems(path, quick=True)
    if not problems:
        return
    try:
        moved = backups.move_aside(path)
    except OSError:
        moved = None
    newest = backups.newest_good_backup(path)
    where = f"it was moved to {moved}" if moved else "it could not be moved aside"
    offer = (
        f"; the newest good backup is {newest} (csdesk restore \"{newest}\")"
        if newest
        else "; no good backup was found"
    )
    raise CorruptDatabaseError(
        f"{path} is damaged ({problems[0]}); {where}{offer}", moved_to=moved, newest_backup=newest
    )


def _newer_message(status: SchemaStatus) -> str:
    return (
        f"read-only: this book was written by a newer csdesk (schema {status.current}, this "
        f"version knows up to {status.head}); update csdesk to edit it"
    )


__all__ = ["Database", "OpenReport", "check_file"]


def restore_book(location: DatabaseLocation, backup_file: Path) -> Path | None:
    """Put a verified backup in place of the book; return the safety backup taken first.

    The current book is locked against other writers, backed up (when it is sound) so that
    the restore itself can be undone, and then overwritten through the backup API. A damaged
    current book is moved aside instead of backed up.
    """
    path = location.path
    if path is None:
        raise CsdeskError("restore works on SQLite books; restore a server with its own tools")
    backup_file = backup_file.expanduser().resolve()
    problems = backups.integrity_problems(backup_file) if backup_file.is_file() else ["missing"]
    if problems:
        raise CsdeskError(f"{backup_file} is not a sound csdesk backup ({problems[0]})")
    path.parent.mkdir(parents=True, exist_ok=True)
    safety: Path | None = None
    with WriteLock(path):
        if path.exists() and path.stat().st_size > 0:
            try:
                check_file(path)
            except CorruptDatabaseError:
                pass  # already moved aside; restore into a fresh file
            else:
                safety = backups.create_backup(path, "pre-restore")
        backups.restore_backup(backup_file, path)
    # Opening runs the usual checks and upgrades an older backup to the current schema.
    Database.open(location).close()
    return safety
