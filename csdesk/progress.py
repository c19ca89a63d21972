"""The Qt-free contract of long-running work: report progress, honour cancel.

A task function takes ``progress(fraction, message)`` and ``cancel()`` callables. It calls
:func:`checkpoint` between steps; when the user pressed Cancel that raises
:class:`Cancelled`, the open transaction rolls back, and the database is as it was.
"""

from __future__ import annotations

from collections.abc import Callable

from csdesk.errors import CsdeskError

ProgressFn = Callable[[float, str], None]
CancelFn = Callable[[], bool]


class Cancelled(CsdeskError):
    """The user cancelled; nothing was written."""

    def __init__(self, message: str = "cancelled; nothing was changed") -> None:
        super().__init__(message)


def no_progress(_fraction: float, _message: str) -> None:
    """A progress sink that ignores reports."""


def never_cancel() -> bool:
    return False


class Reporter:
    """Maps a step's own 0–1 progress onto its share of the whole job, and checks cancel."""

    def __init__(self, progress: ProgressFn | None, cancel: CancelFn | None) -> None:
        self._progress = progress or no_progress
        self._cancel = cancel or never_cancel

    def checkpoint(self, fraction: float, message: str) -> None:
        """Report progress; raise :class:`Cancelled` if the user asked to stop."""
        self.poll()
        self.report(fraction, message)

    def poll(self) -> None:
        """Raise :class:`Cancelled` if the user asked to stop (cheap: call it often)."""
        if self._cancel():
            raise Cancelled()

    def report(self, fraction: float, message: str) -> None:
        """Report progress without honouring Cancel (past the point of no return)."""
        self._progress(max(0.0, min(1.0, fraction)), message)

    def cancel_requested(self) -> bool:
        """Has the user asked to cancel? (For after a commit, when it is too late to undo.)"""
        return bool(self._cancel())
