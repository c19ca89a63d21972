"""User-facing errors: each carries one clear sentence for the CLI and the GUI.

Anything raised as a :class:`CsdeskError` is the user's to fix (a wrong path, a locked
database, a corrupt file); the CLI prints its message on one line with no traceback.
"""

from __future__ import annotations

from pathlib import Path


class CsdeskError(Exception):
    """An error whose message is meant for the user."""


class UsageError(CsdeskError):
    """The command was asked for something it cannot do as given (exit status 2)."""


class ConflictError(CsdeskError):
    """The record changed since it was read: the edit was not saved.

    ``current`` (when known) holds the record's fields as now saved and ``version`` its
    version, so a window can show theirs against mine and let the user choose.
    """

    def __init__(self, message: str, *, current: dict[str, object] | None = None,
                 version: int | None = None) -> None:
        super().__init__(message)
        self.current = current
        self.version = version


class DatabaseLockedError(CsdeskError):
    """Another process (a csdesk, or any program using the file) holds the write lock."""


class DiskFullError(CsdeskError):
    """A write failed for lack of room (no space left, or the file size limit reached).

    ``where`` is the file that could not be written, when it is known."""

    def __init__(self, message: str, *, where: Path | None = None) -> None:
        super().__init__(message)
        self.where = where


class CorruptDatabaseError(CsdeskError):
    """The database failed its integrity check and was moved aside."""

    def __init__(self, message: str, *, moved_to: Path | None, newest_backup: Path | None):
        super().__init__(message)
        self.moved_to = moved_to
        self.newest_backup = newest_backup


class ReadOnlyError(CsdeskError):
    """A write was attempted on a database opened read-only."""


class BackupError(CsdeskError):
    """A backup could not be written or failed verification."""


class ValidationError(CsdeskError):
    """A field value is not acceptable; ``field`` names it."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name


class FileWriteError(CsdeskError):
    """A file could not be written; the message says why, where, and what was kept."""


class ReplaceRefused(CsdeskError):
    """Writing would replace (or mix with) a file csdesk did not write: refused, untouched."""


class MigrationCheckFailed(CsdeskError):
    """An upgrade would have lost or broken rows; it was rolled back and the book is as it was."""


class CsvReadError(CsdeskError):
    """The file cannot be read as CSV; ``row`` says where, when it is known."""

    def __init__(self, message: str, row: int | None = None) -> None:
        super().__init__(f"row {row}: {message}" if row is not None else message)
        self.row = row
        self.reason = message


class ImportUsageError(UsageError):
    """The request cannot be carried out as asked (unknown entity, unmapped key, …)."""


class MappingIncomplete(ImportUsageError):
    """A required or key field has no column yet."""


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
