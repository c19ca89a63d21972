"""Verified, rotated backups of a SQLite book through SQLite's online backup API.

A file copy of a live WAL database can miss committed pages still in the ``-wal`` file or
catch a page mid-write; the backup API copies a consistent snapshot. Each backup is written to
a temporary name, checked with ``PRAGMA integrity_check`` and only then renamed into place, so
a backup that exists under its final name is a good one.

Backups live in ``backups/<book name>/`` beside the database. Rotation keeps the newest few,
plus the newest of each of the last days, weeks and months (grandfather-father-son).
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from csdesk.db.faults import disk_full
from csdesk.errors import BackupError, DiskFullError

_NAME = re.compile(r"^(?P<stem>.+)-(?P<ts>\d{8}T\d{6}\d{6}Z)-(?P<reason>[a-z0-9-]+)\.sqlite$")
_TS_FORMAT = "%Y%m%dT%H%M%S%fZ"
BACKUP_STEP_PAGES = 4096  # pages copied between progress calls (16 MB at 4 KiB a page)


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    taken_at: datetime
    reason: str
    size: int


@dataclass(frozen=True)
class RotationPolicy:
    keep_last: int = 5
    daily: int = 7
    weekly: int = 4
    monthly: int = 12


def backup_dir_for(db_path: Path) -> Path:
    return db_path.parent / "backups" / db_path.stem


def integrity_problems(path: Path, *, quick: bool = False) -> list[str]:
    """The problems ``integrity_check`` (or ``quick_check``) reports; empty when sound."""
    pragma = "quick_check" if quick else "integrity_check"
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        return [str(exc)]
    try:
        rows = con.execute(f"PRAGMA {pragma}").fetchall()
    except sqlite3.Error as exc:
        return [str(exc)]
    finally:
        con.close()
    found = [str(r[0]) for r in rows]
    return [] if found == ["ok"] else found


def create_backup(
    db_path: Path,
    reason: str,
    *,
    dest_dir: Path | None = None,
    now: datetime | None = None,
    progress: Callable[[int, int, int], object] | None = None,
) -> Path:
    """Back up ``db_path`` and verify the copy; return the verified backup's path.

    ``progress(status, remaining, total)`` is called between steps of the copy; an exception
    it raises (a cancel) stops the backup, and no file is left behind.
    """
    if not db_path.exists():
        raise BackupError(f"cannot back up {db_path}: no such file")
    reason = re.sub(r"[^a-z0-9-]+", "-", reason.lower()).strip("-") or "manual"
    dest_dir = dest_dir or backup_dir_for(db_path)
    stamp = (now or datetime.now(UTC)).strftime(_TS_FORMAT)
    final = dest_dir / f"{db_path.stem}-{stamp}-{reason}.sqlite"
    tmp = final.with_name(final.name + ".partial")
    try:
        dest_dir.mkdir(parents=True, exist_ok=True)
        src = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        try:
            dst = sqlite3.connect(tmp)
            try:
                src.backup(dst, pages=BACKUP_STEP_PAGES, progress=progress)
                # A self-contained file: no -wal/-shm beside it, now or when it is read.
                dst.execute("PRAGMA journal_mode=DELETE")
            finally:
                dst.close()
        finally:
            src.close()
        problems = integrity_problems(tmp)
        if problems:
            raise BackupError(f"backup of {db_path} failed verification: {problems[0]}")
        os.replace(tmp, final)
    except (sqlite3.Error, OSError) as exc:
        if disk_full(exc, [tmp], need=db_path.stat().st_size) is not None:
            raise DiskFullError(f"the disk is full: could not write the backup of "
                                f"{db_path.name} in {dest_dir}; nothing was changed — free "
                                "some space there and retry", where=tmp) from exc
        detail = exc.strerror if isinstance(exc, OSError) else exc
        raise BackupError(f"could not back up {db_path}: {detail}") from exc
    finally:
        for leftover in (tmp, *(tmp.with_name(tmp.name + s) for s in ("-wal", "-shm",
                                                                       "-journal"))):
            with contextlib.suppress(OSError):
                leftover.unlink(missing_ok=True)
    return final


def list_backups(db_path: Path, *, dest_dir: Path | None = None) -> list[BackupInfo]:
    """This book's backups, newest first (only completed, correctly named files)."""
    folder = dest_dir or backup_dir_for(db_path)
    found: list[BackupInfo] = []
    if not folder.is_dir():
        return found
    for path in folder.iterdir():
        m = _NAME.match(path.name)
        if not m or m.group("stem") != db_path.stem:
            continue
        taken = datetime.strptime(m.group("ts"), _TS_FORMAT).replace(tzinfo=UTC)
        found.append(BackupInfo(path, taken, m.group("reason"), path.stat().st_size))
    found.sort(key=lambda b: b.taken_at, reverse=True)
    return found


def newest_good_backup(db_path: Path) -> Path | None:
    for info in list_backups(db_path):
        if not integrity_problems(info.path, quick=True):
            return info.path
    return None


def backups_to_keep(backups: Iterable[BackupInfo], policy: RotationPolicy) -> set[Path]:
    """Grandfather-father-son: newest N, plus the newest per day, ISO week and month."""
    ordered = sorted(backups, key=lambda b: b.taken_at, reverse=True)
    keep = {b.path for b in ordered[: policy.keep_last]}
    for limit, bucket in (
        (policy.daily, lambda d: d.date()),
        (policy.weekly, lambda d: tuple(d.isocalendar())[:2]),
        (policy.monthly, lambda d: (d.year, d.month)),
    ):
        seen: list[object] = []
        for b in ordered:
            key = bucket(b.taken_at)
            if key in seen:
                continue
            if len(seen) >= limit:
                break
            seen.append(key)
            keep.add(b.path)
    return keep


def rotate_backups(db_path: Path, policy: RotationPolicy | None = None) -> list[Path]:
    """Delete the backups the policy no longer keeps; return what was deleted."""
    backups = list_backups(db_path)
    keep = backups_to_keep(backups, policy or RotationPolicy())
    removed = []
    for b in backups:
        if b.path not in keep:
            b.path.unlink(missing_ok=True)
            removed.append(b.path)
    return removed


def restore_backup(backup_path: Path, db_path: Path) -> None:
    """Replace the content of ``db_path`` with a verified backup, through the backup API.

    The caller holds the write lock and has taken a safety backup of the current book.
    """
    if not backup_path.is_file():
        raise BackupError(f"no backup at {backup_path}")
    problems = integrity_problems(backup_path)
    if problems:
        raise BackupError(f"{backup_path} is not a sound backup: {problems[0]}")
    try:
        src = sqlite3.connect(f"file:{backup_path}?mode=ro", uri=True)
        try:
            dst = sqlite3.connect(db_path)
            try:
                src.backup(dst)
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.Error as exc:
        raise BackupError(f"could not restore {backup_path} into {db_path}: {exc}") from exc
    problems = integrity_problems(db_path)
    if problems:
        raise BackupError(f"restored book failed verification: {problems[0]}")


def move_aside(db_path: Path, *, now: datetime | None = None) -> Path:
    """Rename a damaged database (and its WAL/SHM files) out of the way; return the new name."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    target = db_path.with_name(f"{db_path.name}.corrupt-{stamp}")
    os.replace(db_path, target)
    for suffix in ("-wal", "-shm"):
        side = db_path.with_name(db_path.name + suffix)
        if side.exists():
            os.replace(side, target.with_name(target.name + suffix))
    return target
