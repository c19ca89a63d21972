"""The one source of "today" and "now": every date csdesk derives starts here.

Code asks :func:`today` (or :func:`now`) instead of ``date.today()``, so a test — or a user
reviewing the book as of another day — pins the clock in one place with :func:`pin`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

_pinned: date | None = None


def today() -> date:
    """The local calendar day (or the pinned one)."""
    return _pinned if _pinned is not None else date.today()


def now() -> datetime:
    """The current UTC time (noon UTC of the pinned day, when pinned)."""
    if _pinned is not None:
        return datetime(_pinned.year, _pinned.month, _pinned.day, 12, tzinfo=UTC)
    return datetime.now(UTC)


def instant() -> datetime:
    """The real current instant in UTC, never pinned: for what records when something
    happened on this machine (row timestamps, backup and lock stamps), where a pinned day
    would give two backups one name."""
    return datetime.now(UTC)


@contextmanager
def pin(day: date) -> Iterator[None]:
    """Make :func:`today` answer ``day`` until the block ends."""
    global _pinned
    previous, _pinned = _pinned, day
    try:
        yield
    finally:
        _pinned = previous
