"""Writing the user's files: atomically, privately, and with one plain line when it fails.

Every file csdesk writes for the user (exports, PDFs, backups, settings) is written under a
temporary name in the target folder, created ``0600``, flushed to disk and only then renamed
over the final name, so a full disk, a kill or bad input leaves the old file whole. Folders
csdesk creates for its own data are ``0700``: a book holds contacts' personal data.

:func:`describe_os_error` turns an ``OSError`` into the one sentence a user needs (the disk
is full, where; permission denied; in use by another program) for a :class:`FileWriteError`.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from csdesk.errors import ReplaceRefused

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
TEMP_SUFFIX = ".csdesk-part"

_DISK_FULL = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}


# How csdesk recognises a file it wrote itself, by a mark inside it.
PDF_MARK = b"/Creator (csdesk)"
ICS_MARK = b"PRODID:-//csdesk//"
DECK_CREATOR = "csdesk"  # a deck's author (dc:creator): its zip compresses any byte mark


def deck_made_by_csdesk(path: Path) -> bool:
    """Is ``path`` a .pptx whose core properties name csdesk as its creator?"""
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            core = z.read("docProps/core.xml")
    except (OSError, KeyError, zipfile.BadZipFile):
        return False
    return f"<dc:creator>{DECK_CREATOR}</dc:creator>".encode() in core


def made_by_csdesk(path: Path, mark: bytes) -> bool:
    """Does ``path`` carry csdesk's ``mark`` (in its first 64 KiB or its last 256 KiB)?"""
    try:
        with open(path, "rb") as fh:
            head = fh.read(64 << 10)
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - (256 << 10)))
            tail = fh.read()
    except OSError:
        return False
    return mark in head or mark in tail


def check_replace(path: Path, *, ours: bool, overwrite: bool = False,
                  what: str = "a file csdesk wrote") -> None:
    """Refuse to write over an existing file unless it is csdesk's own or the user said so
    (``overwrite``: a save dialog's confirmation, or ``--overwrite``)."""
    if path.is_dir():
        raise ReplaceRefused(f"{path} is a folder; give a file name")
    if path.exists() and not (ours or overwrite):
        raise ReplaceRefused(f"{path} already exists and is not {what}; nothing was written "
                             "(choose another name, or add --overwrite to replace it)")


def is_disk_full(exc: BaseException) -> bool:
    """An ``OSError`` for a full disk or a file-size limit, or SQLite's ``SQLITE_FULL``."""
    if isinstance(exc, OSError) and exc.errno in _DISK_FULL:
        return True
    return "database or disk is full" in str(exc).lower()


def describe_os_error(exc: BaseException, where: Path | str) -> str:
    """One plain clause for a failed write: what went wrong and where."""
    if is_disk_full(exc):
        return f"the disk is full (writing {where})"
    if isinstance(exc, PermissionError):
        return f"permission denied (writing {where})"
    if isinstance(exc, OSError) and exc.errno in (errno.EROFS,):
        return f"the disk is read-only (writing {where})"
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror.lower()} (writing {where})"
    return f"{exc} (writing {where})"


def private_dir(path: Path) -> Path:
    """Create ``path`` and any missing parents as ``0700`` (existing folders are left as
    they are: they may be the user's own)."""
    for folder in reversed([path, *path.parents]):
        if not folder.exists():
            with contextlib.suppress(FileExistsError):
                folder.mkdir(mode=PRIVATE_DIR)
            folder.chmod(PRIVATE_DIR)  # mkdir's mode is filtered by the umask
    return path


def tighten(path: Path) -> None:
    """Remove group and other permissions from a file or folder csdesk owns (best effort)."""
    with contextlib.suppress(OSError):
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            path.chmod(mode & 0o700)


def temp_name(path: Path) -> Path:
    """A fresh temporary name beside ``path`` that csdesk recognises as its own leftover."""
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}{TEMP_SUFFIX}")


@contextmanager
def atomic_open(path: Path, mode: str = "wb", **kwargs: Any) -> Iterator[IO[Any]]:
    """A file that appears at ``path`` only once completely written, created ``0600``.

    On any failure (or an exception from the caller) the temporary file is removed and
    whatever was at ``path`` before is untouched.
    """
    if "w" not in mode:
        raise ValueError("atomic_open writes; use mode 'w' or 'wb'")
    tmp = temp_name(path)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                 PRIVATE_FILE)
    try:
        with os.fdopen(fd, mode, **kwargs) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_bytes(path: Path, data: bytes) -> None:
    """``data`` to ``path``, atomically and privately."""
    with atomic_open(path, "wb") as fh:
        fh.write(data)


def write_text(path: Path, text: str) -> None:
    """``text`` (UTF-8) to ``path``, atomically and privately."""
    with atomic_open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def remove_stale_temps(folder: Path) -> list[Path]:
    """Delete csdesk's own leftover temporary files in ``folder`` (from a killed write)."""
    removed = []
    with contextlib.suppress(OSError):
        for entry in folder.iterdir():
            if entry.name.startswith(".") and entry.name.endswith(TEMP_SUFFIX):
                with contextlib.suppress(OSError):
                    entry.unlink()
                    removed.append(entry)
    return removed
