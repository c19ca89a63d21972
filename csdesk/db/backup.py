"""Verified, rotated backups of a SQLite book through SQLite's online backup API.

A file copy of a live WAL database can miss committed pages still in the ``-wal`` file or
catch a page mid-write; the backup API copies a consistent snapshot. Each backup is written to
a temporary name, checked with ``PRAGMA integrity_check`` and only then renamed into place, so
a backup that exists under its final name is a good one.

Backups live in ``backups/<book name>/`` beside the database, private (``0700`` folder,
``0600`` files). Each has a ``.sha256`` beside it, checked on restore and on rotation: a flipped
bit that ``quick_check`` cannot see still fails it. Rotation keeps the newest few, plus the
newest of each of the last days, weeks and months (grandfather-father-son), and never deletes
the backups a user may be told to rely on: the newest pre-import backups (an import's message
names one) and, once damage was found, the newest backup taken before it.

When a damaged book is moved aside, the damage is recorded (``damage.json`` in the backup
folder) until the user restores a backup or explicitly starts afresh: no command creates a
new, empty book in its place meanwhile.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from csdesk import clock
from csdesk.db.faults import disk_full
from csdesk.errors import BackupError, DiskFullError
from csdesk.safefile import (
    PRIVATE_FILE,
    describe_os_error,
    file_sha256,
    private_dir,
    tighten,
    write_text,
)

_NAME = re.compile(r"^(?P<stem>.+)-(?P<ts>\d{8}T\d{6}\d{6}Z)-(?P<reason>[a-z0-9-]+)\.sqlite$")
_TS_FORMAT = "%Y%m%dT%H%M%S%fZ"
CHECKSUM_SUFFIX = ".sha256"
DAMAGE_FILE = "damage.json"
PARTIAL_AGE_S = 3600  # a .partial file older than this is a leftover of a killed backup
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
    pre_import: int = 5  # the newest pre-import backups, whatever else was taken since


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

    On any failure (a full disk, a kill) no file is left under the final name and the
    temporary files are removed; the book itself is only read. ``progress(status,
    remaining, total)`` is called between steps of the copy; an exception it raises (a
    cancel) stops the backup, and no file is left behind.
    """
    if not db_path.exists():
        raise BackupError(f"cannot back up {db_path}: no such file")
    reason = re.sub(r"[^a-z0-9-]+", "-", reason.lower()).strip("-") or "manual"
    dest_dir = dest_dir or backup_dir_for(db_path)
    stamp = (now or clock.instant()).strftime(_TS_FORMAT)
    final = dest_dir / f"{db_path.stem}-{stamp}-{reason}.sqlite"
    tmp = final.with_name(final.name + ".partial")
    try:
        private_dir(dest_dir)
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE))
        _copy(db_path, tmp, progress)
        problems = integrity_problems(tmp)
        if problems:
            raise BackupError(f"backup of {db_path} failed verification: {problems[0]}")
        write_text(_checksum_path(final), f"{file_sha256(tmp)}  {final.name}\n")
        os.replace(tmp, final)
    except (sqlite3.Error, OSError) as exc:
        _checksum_path(final).unlink(missing_ok=True)
        if disk_full(exc, [tmp], need=db_path.stat().st_size) is not None:
            raise DiskFullError(f"the disk is full: could not write the backup of "
                                f"{db_path.name} in {dest_dir}; nothing was changed — free "
                                "some space there and retry",
                                where=tmp) from exc
        if isinstance(exc, OSError):
            raise BackupError(f"no backup was taken: {describe_os_error(exc, dest_dir)}; the "
                              "book itself is unchanged") from exc
        raise BackupError(f"could not back up {db_path}: {exc}") from exc
    finally:
        _remove_partial(tmp)
    return final


def _copy(source: Path, target: Path,
          progress: Callable[[int, int, int], object] | None = None,
          *, standalone: bool = True) -> None:
    """A consistent snapshot of ``source`` into ``target`` through the backup API
    (``standalone``: in rollback-journal mode, a single file with nothing beside it)."""
    with contextlib.closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src, \
            contextlib.closing(sqlite3.connect(target)) as dst:
        src.backup(dst, pages=BACKUP_STEP_PAGES, progress=progress)
        if standalone:  # no -wal/-shm beside a backup, now or when it is read
            dst.execute("PRAGMA journal_mode=DELETE")


def snapshot(source: Path, target: Path) -> None:
    """A consistent copy of the book at ``source`` into a new file ``target``, read through
    a read-only connection: ``source`` is not changed (a render works on such a copy), and
    the empty -wal/-shm files a read-only reader of a WAL book leaves are removed again."""
    sidecars = [source.with_name(source.name + suffix) for suffix in ("-wal", "-shm")]
    made = [p for p in sidecars if not p.exists()]
    _copy(source, target)
    wal = sidecars[0]
    if wal in made and wal.exists() and wal.stat().st_size > 0:
        return  # another csdesk began writing meanwhile: its files stay
    for p in made:
        p.unlink(missing_ok=True)


def _remove_partial(tmp: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        with contextlib.suppress(OSError):
            tmp.with_name(tmp.name + suffix).unlink(missing_ok=True)


def _checksum_path(backup: Path) -> Path:
    return backup.with_name(backup.name + CHECKSUM_SUFFIX)


def checksum_problem(backup: Path) -> str | None:
    """Why the backup's recorded checksum does not match (None when it matches, or when an
    older backup has none recorded)."""
    try:
        recorded = _checksum_path(backup).read_text(encoding="utf-8").split()[0]
    except (OSError, IndexError):
        return None
    try:
        actual = file_sha256(backup)
    except OSError as exc:
        return f"cannot read it ({exc.strerror})"
    return None if actual == recorded else "its checksum does not match: the file has changed"


def verify_backup(backup: Path, *, quick: bool = False) -> list[str]:
    """A backup's problems: its checksum, then SQLite's own check; empty when sound."""
    problem = checksum_problem(backup)
    return [problem] if problem else integrity_problems(backup, quick=quick)


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


def newest_good_backup(db_path: Path, *, before: datetime | None = None) -> Path | None:
    """The newest backup that passes its checksum and ``quick_check`` (taken at or before
    ``before``, when given) and holds accounts; an empty one only when no other is sound.

    A backup of an empty book (say, taken just after starting afresh) is never the one to
    recommend while a backup holding the book exists."""
    empty: Path | None = None
    for info in list_backups(db_path):
        if before is not None and info.taken_at > before:
            continue
        if not verify_backup(info.path, quick=True):
            if _accounts(info.path) != 0:
                return info.path
            empty = empty or info.path
    return empty


def _accounts(path: Path) -> int | None:
    """How many accounts a backup holds (None when it cannot be told)."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        return int(con.execute("SELECT count(*) FROM accounts").fetchone()[0])
    except sqlite3.Error:
        return None
    finally:
        con.close()


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


def protected_backups(db_path: Path, backups: list[BackupInfo],
                      policy: RotationPolicy) -> set[Path]:
    """Backups rotation never deletes: the newest pre-import ones (an import's message names
    its backup) and, for each time damage was found, the newest good backup from before it."""
    keep = {b.path for b in [b for b in backups if b.reason == "pre-import"][:policy.pre_import]}
    for found in damage_times(db_path):
        good = next((b for b in backups if b.taken_at <= found and b.path not in keep
                     and not verify_backup(b.path, quick=True)), None)
        if good is not None:
            keep.add(good.path)
    return keep


def rotate_backups(db_path: Path, policy: RotationPolicy | None = None) -> list[Path]:
    """Delete the backups the policy no longer keeps; return what was deleted.

    A backup whose checksum fails is set aside (renamed ``.damaged``), never counted as one
    of the kept ones; stray ``.partial`` files of killed backups are removed.
    """
    policy = policy or RotationPolicy()
    remove_stray_partials(db_path)
    backups = list_backups(db_path)
    for b in backups:
        if checksum_problem(b.path):
            with contextlib.suppress(OSError):
                os.replace(b.path, b.path.with_name(b.path.name + ".damaged"))
    backups = [b for b in backups if b.path.exists()]
    keep = backups_to_keep(backups, policy) | protected_backups(db_path, backups, policy)
    removed = []
    for b in backups:
        if b.path not in keep:
            b.path.unlink(missing_ok=True)
            _checksum_path(b.path).unlink(missing_ok=True)
            removed.append(b.path)
    return removed


def discard_backup(backup: Path) -> None:
    """Remove one backup and its checksum (one that turned out not to be needed)."""
    for path in (backup, _checksum_path(backup)):
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)


def remove_stray_partials(db_path: Path, *, older_than_s: float = PARTIAL_AGE_S) -> list[Path]:
    """Delete the ``.partial`` files (and their journals) that killed backups left behind."""
    folder = backup_dir_for(db_path)
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    cutoff = time.time() - older_than_s
    for path in folder.iterdir():
        if ".partial" in path.name:
            with contextlib.suppress(OSError):
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed.append(path)
    return removed


def tighten_backups(db_path: Path) -> None:
    """Make csdesk's own backups of this book private (older csdesks made them 0644), and
    their folder once it holds them; any other file there is the user's and left alone."""
    folder = backup_dir_for(db_path)
    if not folder.is_dir():
        return
    ours = [p for p in folder.iterdir()
            if _NAME.match(p.name.removesuffix(CHECKSUM_SUFFIX)) or p.name == DAMAGE_FILE]
    if ours:
        tighten(folder)
    for path in ours:
        tighten(path)


# -- damage found -------------------------------------------------------------------------


def record_damage(db_path: Path, moved_to: Path | None, problem: str,
                  *, now: datetime | None = None) -> None:
    """Remember that the book was found damaged (and where it went) until it is resolved."""
    entries = _damage_entries(db_path)
    entries.append({"found_at": (now or clock.instant()).isoformat(),
                    "moved_to": str(moved_to) if moved_to else None, "problem": problem,
                    "resolved": None})
    _save_damage(db_path, entries)


def pending_damage(db_path: Path) -> dict[str, str | None] | None:
    """The unresolved damage record of this book, if any."""
    return next((e for e in reversed(_damage_entries(db_path)) if not e.get("resolved")), None)


def resolve_damage(db_path: Path, how: str) -> None:
    """The user restored a backup or chose to start afresh: new books may be created again."""
    entries = _damage_entries(db_path)
    if any(not e.get("resolved") for e in entries):
        for e in entries:
            e["resolved"] = e.get("resolved") or how
        _save_damage(db_path, entries)


def damage_times(db_path: Path) -> list[datetime]:
    out = []
    for e in _damage_entries(db_path):
        with contextlib.suppress(TypeError, ValueError):
            out.append(datetime.fromisoformat(str(e["found_at"])))
    return out


def _damage_entries(db_path: Path) -> list[dict[str, str | None]]:
    try:
        data = json.loads((backup_dir_for(db_path) / DAMAGE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [e for e in data if isinstance(e, dict)] if isinstance(data, list) else []


def _save_damage(db_path: Path, entries: list[dict[str, str | None]]) -> None:
    folder = private_dir(backup_dir_for(db_path))
    write_text(folder / DAMAGE_FILE, json.dumps(entries, indent=2) + "\n")


def restore_backup(backup_path: Path, db_path: Path) -> None:
    """Replace the content of ``db_path`` with a verified backup, through the backup API.

    The caller holds the write lock and has taken a safety backup of the current book.
    """
    if not backup_path.is_file():
        raise BackupError(f"no backup at {backup_path}")
    problems = verify_backup(backup_path)
    if problems:
        raise BackupError(f"{backup_path} is not a sound backup: {problems[0]}")
    try:
        if not db_path.exists():
            os.close(os.open(db_path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE))
        _copy(backup_path, db_path, standalone=False)
    except (sqlite3.Error, OSError) as exc:
        raise BackupError(f"could not restore {backup_path} into {db_path}: "
                          f"{describe_os_error(exc, db_path)}") from exc
    problems = integrity_problems(db_path)
    if problems:
        raise BackupError(f"restored book failed verification: {problems[0]}")


def move_aside(db_path: Path, *, now: datetime | None = None) -> Path:
    """Rename a damaged database (and its WAL/SHM files) out of the way; return the new name."""
    stamp = (now or clock.instant()).strftime("%Y%m%dT%H%M%SZ")
    target = db_path.with_name(f"{db_path.name}.corrupt-{stamp}")
    os.replace(db_path, target)
    for suffix in ("-wal", "-shm"):
        side = db_path.with_name(db_path.name + suffix)
        if side.exists():
            os.replace(side, target.with_name(target.name + suffix))
    return target
