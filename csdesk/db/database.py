"""Opening a book safely: integrity check, write lock, backup, migration, sessions.

:meth:`Database.open` is the one way into a database. For SQLite it

1. checks an existing file: always its header and structure (cheap), and the whole file
   (``quick_check``) when it is small or the last csdesk to write it did not close it; a
   damaged file is moved aside and the newest good backup is named in the error
   (:class:`CorruptDatabaseError`). A large book cleanly closed is checked whole at backup,
   at restore and by the window in the background (:func:`whole_file_problems`), not on
   every open;
2. takes the write lock, or opens read-only when another csdesk holds it and the caller
   accepts that;
3. compares the schema with the migrations: a new file is created at head; an older schema
   is backed up (verified) and upgraded; a newer one opens read-only with a message.

Services get sessions from :meth:`Database.read` and :meth:`Database.write`; the latter
begins with ``BEGIN IMMEDIATE`` and commits or rolls back as a whole.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from csdesk.config import DatabaseLocation, data_dir, scrub
from csdesk.db import backup as backups
from csdesk.db import faults
from csdesk.db.engine import make_engine, writer
from csdesk.db.lock import WriteLock
from csdesk.db.migrate import (
    SchemaState,
    SchemaStatus,
    schema_status,
    script_directory,
    upgrade,
)
from csdesk.errors import (
    ConflictError,
    CorruptDatabaseError,
    CsdeskError,
    DatabaseLockedError,
    ReadOnlyError,
    ServerUnreachable,
)
from csdesk.progress import CancelFn, Cancelled
from csdesk.safefile import PRIVATE_FILE, private_dir, tighten, write_text


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
        # False when the open checked only the header and structure of a large, cleanly
        # closed book: the window checks the whole file in the background.
        self.checked_whole = True
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
        if exists or (path.exists() and backups.list_backups(path)):
            # An emptied book with backups is damage, not a new book. A read-only open
            # (csdesk info) reports damage but moves nothing.
            checked_whole = check_file(path, move=not readonly)
        else:
            checked_whole = True
            _refuse_while_damaged(path)
            if not create:
                raise CsdeskError(f"no csdesk book at {path} (open csdesk to start one, or "
                                  "csdesk demo for a demo book)")
            _create_private(path)
        if not readonly:
            _tighten(path)

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
            db = cls._open_file(location, write_lock, readonly_reason)
            db.checked_whole = checked_whole
            return db
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
            raise _unreachable(location.display(), exc.orig, url=location.url) from exc
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
                raise _unreachable(self.location.display(), exc.orig,
                                        url=self.location.url) from exc
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
                raise _unreachable(self.location.display(), exc.orig, unsaved=True,
                                        url=self.location.url) from exc
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

    def backup(self, reason: str = "manual", *, rotate: bool = True,
               progress: Callable[[int, int, int], object] | None = None) -> Path:
        """A verified backup of this book, then rotation of the old ones (``progress``: see
        :func:`backup.create_backup`)."""
        if self.path is None:
            raise CsdeskError(
                "backups of a server database are the server's job (use pg_dump); "
                "csdesk backs up SQLite books"
            )
        taken = backups.create_backup(self.path, reason, progress=progress)
        if rotate:
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


def _unreachable(where: str, cause: object, *, url: str, unsaved: bool = False
                 ) -> ServerUnreachable:
    """The error for a server that did not answer, with no part of the URL's secrets in it
    (a driver may echo a host that holds part of one)."""
    return ServerUnreachable(where, scrub(" ".join(str(cause).split()), url), unsaved=unsaved)


SQLITE_HEADER = b"SQLite format 3\x00"

# A whole-file check reads every page: well under 0.1 s up to this size, 4 to 20 s for a
# 100,000-account book. Larger books cleanly closed skip it on open.
FULL_CHECK_BYTES = 32 * 1024 * 1024


def structure_problems(path: Path) -> list[str]:
    """What every open checks cheaply: the header is whole and the file holds every page the
    header counts (SQLite's own rule for when that count is valid; not while a write-ahead
    log holds pages not yet copied back)."""
    with open(path, "rb") as fh:
        head = fh.read(100)
    if len(head) < 100:
        return ["the file is shorter than its header"]
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(head[28:32], "big")
    wal = path.with_name(path.name + "-wal")
    if head[24:28] != head[92:96] or not pages or (wal.exists() and wal.stat().st_size):
        return []
    if path.stat().st_size < pages * page_size:
        return [f"the file is shorter than the {pages:,} pages its header counts"]
    return []


def needs_whole_check(path: Path) -> bool:
    """A small book is checked whole on every open (it costs nothing); a large one only when
    the last csdesk to write it ended without closing it."""
    return (path.stat().st_size <= FULL_CHECK_BYTES or _recheck_note(path).exists()
            or WriteLock(path).abandoned())


def whole_file_problems(path: Path, *, cancel: CancelFn | None = None) -> list[str]:
    """``quick_check`` of the whole file; empty when sound. The window runs it in the
    background when the open skipped it: ``cancel`` stops it (:class:`Cancelled`), and damage
    it finds makes the next open check the whole file, which sets the file aside and offers
    the newest good backup."""
    if cancel is None:
        return backups.integrity_problems(path, quick=True)
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    con.set_progress_handler(lambda: 1 if cancel() else 0, 20_000)
    try:
        rows = con.execute("PRAGMA quick_check").fetchall()
    except sqlite3.Error as exc:
        if cancel():
            raise Cancelled() from None
        rows = [(str(exc),)]
    finally:
        con.close()
    found = [str(r[0]) for r in rows]
    if found == ["ok"]:
        return []
    with contextlib.suppress(OSError):  # the next open checks the whole file
        write_text(_recheck_note(path), found[0])
    return found


def _recheck_note(path: Path) -> Path:
    return path.with_name(path.name + ".recheck")


def book_tables(path: Path) -> set[str] | None:
    """The tables of an SQLite file, read without changing it (None when unreadable)."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        return {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.Error:
        return None
    finally:
        con.close()


def is_csdesk_schema(tables: set[str] | None) -> bool:
    return tables is not None and {"alembic_version", "accounts"} <= tables


def check_file(path: Path, *, move: bool = True, whole: bool | None = None) -> bool:
    """Check an existing file before anything writes to it; return whether the whole file was
    checked (``whole``: always or never; by default :func:`needs_whole_check` decides).

    A file that is not a csdesk book (a spreadsheet, another program's SQLite database) is
    refused and left exactly as it is. A csdesk book — by its schema, or, when too damaged to
    tell, by the backups csdesk keeps of it — that fails the checks is moved aside, the
    damage is recorded (so no command quietly starts an empty book in its place), and the
    newest good backup is named.
    """
    try:
        with open(path, "rb") as fh:
            header = fh.read(16)
    except OSError as exc:
        raise CsdeskError(f"cannot read {path}: {exc.strerror}") from exc
    tables = book_tables(path) if header == SQLITE_HEADER else None
    if header == SQLITE_HEADER and tables is not None and not is_csdesk_schema(tables) and (
            tables or not backups.list_backups(path)):
        if not tables:
            return True  # an empty SQLite file: a new book is created in it
        raise CsdeskError(f"{path} is an SQLite database of another program, not a csdesk "
                          "book; it was left as it is")
    ours = is_csdesk_schema(tables) or bool(backups.list_backups(path))
    if header != SQLITE_HEADER:
        problems = ["the file is empty" if not header else
                    "the file is not an SQLite database"]
    else:
        problems = structure_problems(path)
        whole = not problems and (needs_whole_check(path) if whole is None else whole)
        if whole:
            problems = whole_file_problems(path)
            if not problems:
                _recheck_note(path).unlink(missing_ok=True)
    if not problems:
        return bool(whole)
    if not ours:
        raise CsdeskError(f"{path} is not a csdesk book ({problems[0]}); it was left as it is")
    if not move:
        newest = backups.newest_good_backup(path)
        raise CorruptDatabaseError(
            f"{path} is damaged ({problems[0]}); it was left where it is (csdesk sets it aside "
            "when it next opens it to write)"
            + (f"; the newest good backup is {newest}" if newest else ""),
            moved_to=None, newest_backup=newest)
    try:
        moved = backups.move_aside(path)
    except OSError:
        moved = None
    backups.record_damage(path, moved, problems[0])
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


def _refuse_while_damaged(path: Path) -> None:
    """After damage was found, no new book is created until the user restores or starts
    afresh: a new empty book would soon push the good backups out of rotation."""
    damage = backups.pending_damage(path)
    if damage is None:
        return
    newest = backups.newest_good_backup(path)
    found = str(damage.get("found_at") or "")[:16].replace("T", " ")
    moved = damage.get("moved_to")
    offer = (f"restore a backup (csdesk restore \"{newest}\")" if newest
             else "restore a backup (csdesk backup --list)")
    raise CorruptDatabaseError(
        f"{path} was found damaged on {found} UTC"
        + (f" and moved to {moved}" if moved else "")
        + f"; no new book was created. To go on, {offer} or start afresh with an empty book "
        "(csdesk restore --fresh)",
        moved_to=Path(moved) if moved else None, newest_backup=newest)


def _create_private(path: Path) -> None:
    """Create a new book's file as 0600 (and its folders 0700) before SQLite opens it:
    SQLite gives its -wal and -shm files the database file's permissions."""
    private_dir(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))


def _tighten(path: Path) -> None:
    """Make a book csdesk created (with its side files and backups) private again: books
    made by earlier csdesks were readable by every user of the machine."""
    for side in ("", "-wal", "-shm", ".lock", ".lock.owner"):
        tighten(path.with_name(path.name + side))
    if path.parent == data_dir():
        tighten(path.parent)
    backups.tighten_backups(path)


def _newer_message(status: SchemaStatus) -> str:
    return (
        f"read-only: this book was written by a newer csdesk (schema {status.current}, this "
        f"version knows up to {status.head}); update csdesk to edit it"
    )


__all__ = ["Database", "OpenReport", "check_file", "needs_whole_check", "whole_file_problems"]


def check_backup_file(backup_file: Path) -> None:
    """Refuse a file that is not a sound backup of a csdesk book this version can open."""
    if not backup_file.is_file():
        why = "it is a folder" if backup_file.is_dir() else "no such file"
        raise CsdeskError(f"{backup_file} is not a sound csdesk backup ({why}); "
                          "nothing was changed")
    with open(backup_file, "rb") as fh:
        if fh.read(16) != SQLITE_HEADER:
            raise CsdeskError(f"{backup_file} is not a csdesk backup (not an SQLite "
                              "database); nothing was changed")
    tables = book_tables(backup_file)
    if tables is None:
        raise CsdeskError(f"{backup_file} is not a sound csdesk backup (SQLite cannot read "
                          "it); nothing was changed")
    if not is_csdesk_schema(tables):
        raise CsdeskError(f"{backup_file} is not a csdesk book or backup; nothing was changed")
    problems = backups.verify_backup(backup_file)
    if problems:
        raise CsdeskError(f"{backup_file} is not a sound csdesk backup ({problems[0]}); "
                          "nothing was changed")
    con = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
    try:
        revision = con.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        revision = None
    finally:
        con.close()
    known = {rev.revision for rev in script_directory().walk_revisions()}
    if revision is None or revision[0] not in known:
        raise CsdeskError(f"{backup_file} was written by a newer csdesk (schema "
                          f"{revision[0] if revision else 'unknown'}); update csdesk to "
                          "restore it. Nothing was changed")


def restore_book(location: DatabaseLocation, backup_file: Path) -> Path | None:
    """Put a verified backup in place of the book; return the safety backup taken first.

    The backup is checked first (a csdesk book, its checksum, ``integrity_check``, a schema
    this csdesk knows); then the current book is locked against other writers, backed up
    (when it is sound) so that the restore itself can be undone, and overwritten through the
    backup API. A damaged current book is moved aside instead of backed up. Every failure
    after the safety backup names it.
    """
    path = location.path
    if path is None:
        raise CsdeskError("restore works on SQLite books; restore a server with its own tools")
    backup_file = backup_file.expanduser().resolve()
    check_backup_file(backup_file)
    private_dir(path.parent)
    safety: Path | None = None
    with WriteLock(path):
        if path.exists() and path.stat().st_size > 0:
            try:
                check_file(path, whole=True)  # a restore checks the whole file
            except CorruptDatabaseError:
                pass  # already moved aside; restore into a fresh file
            else:
                safety = backups.create_backup(path, "pre-restore")
        try:
            backups.restore_backup(backup_file, path)
        except CsdeskError as exc:
            kept = (f"; the book as it was before is kept in {safety}" if safety
                    else "")
            raise CsdeskError(f"{exc}{kept}") from exc
        backups.resolve_damage(path, f"restored from {backup_file}")
    # Opening runs the usual checks and upgrades an older backup to the current schema.
    Database.open(location).close()
    return safety


def start_afresh(location: DatabaseLocation) -> None:
    """After damage was found, start an empty book on purpose (the damaged file and every
    backup stay where they are)."""
    path = location.path
    if path is None:
        raise CsdeskError("starting afresh is for SQLite books")
    if path.exists() and path.stat().st_size > 0:
        raise CsdeskError(f"{path} holds a book; nothing was changed (restore a backup "
                          "with csdesk restore FILE instead)")
    backups.resolve_damage(path, "started afresh")
    Database.open(location).close()
