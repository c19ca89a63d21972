"""One small task runner: long work off the GUI thread, with progress and Cancel.

Task functions are Qt-free (``fn(*args, progress=…, cancel=…)``, see ``csdesk.progress``).
The runner executes them one at a time on a single worker thread, which makes it the
book's single writer, and reports back through signals delivered on the GUI thread.
"""

from __future__ import annotations

import contextlib
import gc
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QObject,
    QRunnable,
    Qt,
    QThreadPool,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtWidgets import QProgressDialog, QWidget

from csdesk.errors import CsdeskError
from csdesk.progress import Cancelled

YOUNG_GC_MS = 1_000  # collect the young generations this often (cheap)
FULL_GC_MS = 60_000  # and everything this often


class _GuiThreadCollector(QObject):
    """Python's cyclic garbage collector, run only on the GUI thread.

    Left automatic, a collection starts in whichever thread happens to allocate: on the
    worker, it can free a cycle holding a closed window's widgets, and a QWidget destroyed
    off the GUI thread crashes the process (seen as segfaults in the suite). So automatic
    collection is switched off and this timer collects on the GUI thread (as Anki does).
    """

    def __init__(self, app: QCoreApplication) -> None:
        super().__init__(app)
        gc.disable()
        self.young = QTimer(self)
        self.young.timeout.connect(lambda: gc.collect(1))
        self.young.start(YOUNG_GC_MS)
        self.full = QTimer(self)
        self.full.timeout.connect(gc.collect)
        self.full.start(FULL_GC_MS)


_collector: _GuiThreadCollector | None = None


def collect_on_gui_thread() -> None:
    """Make sure garbage is collected only on the GUI thread from now on (idempotent)."""
    global _collector
    app = QCoreApplication.instance()
    if _collector is None and app is not None:
        _collector = _GuiThreadCollector(app)


@dataclass
class TaskError:
    """What failed, in words for the user, plus the detail for a bug report."""

    message: str
    detail: str
    cancelled: bool = False
    offline: bool = False  # the database server could not be reached
    written: object = None  # what was written all the same (a cancel after the commit)


class _Signals(QObject):
    progress = Signal(float, str)
    finished = Signal(object)
    failed = Signal(object)


class _Job(QRunnable):
    def __init__(self, fn: Callable[..., Any], args: tuple[Any, ...], title: str) -> None:
        super().__init__()
        self.fn, self.args, self.title = fn, args, title
        self.signals = _Signals()
        self.cancel_event = threading.Event()
        self.setAutoDelete(False)

    def run(self) -> None:
        try:
            result = self.fn(*self.args, progress=self._progress, cancel=self.cancel_event.is_set)
        except Cancelled as exc:
            self._emit(self.signals.failed, TaskError(str(exc), "", cancelled=True,
                                                      written=getattr(exc, "results", None)))
        except CsdeskError as exc:
            from csdesk.errors import ServerUnreachable

            self._emit(self.signals.failed, TaskError(
                f"{self.title} failed: {exc}", "", offline=isinstance(exc, ServerUnreachable)))
        except Exception as exc:  # a bug: tell the user what failed, keep the detail
            from csdesk.errorlog import log_error

            detail = traceback.format_exc()
            log = log_error(f"{self.title} failed: {type(exc).__name__}: {exc}", detail)
            where = f" The details were written to {log}." if log is not None else ""
            self._emit(self.signals.failed, TaskError(
                f"{self.title} failed: {type(exc).__name__}: {exc}.{where}", detail))
        else:
            self._emit(self.signals.finished, result)

    def _progress(self, fraction: float, message: str) -> None:
        self._emit(self.signals.progress, fraction, message)

    @staticmethod
    def _emit(signal: Any, *values: Any) -> None:
        """Report to the window that asked, unless it has closed meanwhile (its QObjects are
        deleted then, and nobody is left to show the result)."""
        with contextlib.suppress(RuntimeError):
            signal.emit(*values)


class TaskHandle(QObject):
    """A running task: connect to ``finished``/``failed``; ``cancel()`` asks it to stop."""

    progress = Signal(float, str)
    finished = Signal(object)
    failed = Signal(object)

    def __init__(self, job: _Job, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._job = job
        self.is_done = False
        job.signals.progress.connect(self.progress, Qt.ConnectionType.QueuedConnection)
        job.signals.finished.connect(self._on_finished, Qt.ConnectionType.QueuedConnection)
        job.signals.failed.connect(self._on_failed, Qt.ConnectionType.QueuedConnection)

    def cancel(self) -> None:
        self._job.cancel_event.set()

    @Slot(object)
    def _on_finished(self, result: object) -> None:
        self.is_done = True
        self.finished.emit(result)

    @Slot(object)
    def _on_failed(self, error: object) -> None:
        self.is_done = True
        self.failed.emit(error)


class TaskRunner(QObject):
    """Runs tasks one at a time on one worker thread (the single writer)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        collect_on_gui_thread()  # before any work runs on the worker thread
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._handles: list[TaskHandle] = []

    def submit(self, title: str, fn: Callable[..., Any], *args: Any) -> TaskHandle:
        job = _Job(fn, args, title)
        handle = TaskHandle(job, self)
        self._handles.append(handle)
        handle.finished.connect(lambda _r, h=handle: self._forget(h))
        handle.failed.connect(lambda _e, h=handle: self._forget(h))
        self._pool.start(job)
        return handle

    def run_with_dialog(self, parent: QWidget, title: str, fn: Callable[..., Any],
                        *args: Any) -> TaskHandle:
        """Submit a task and show a modal-less progress dialog with Cancel while it runs."""
        handle = self.submit(title, fn, *args)
        dialog = QProgressDialog(title, "Cancel", 0, 1000, parent)
        dialog.setWindowTitle(title)
        dialog.setMinimumDuration(300)
        dialog.setAutoClose(True)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.canceled.connect(handle.cancel)

        def on_progress(fraction: float, message: str) -> None:
            dialog.setValue(int(fraction * 1000))
            dialog.setLabelText(message)

        handle.progress.connect(on_progress)
        handle.finished.connect(lambda _r: dialog.reset())
        handle.failed.connect(lambda _e: dialog.reset())
        return handle

    def _forget(self, handle: TaskHandle) -> None:
        if handle in self._handles:
            self._handles.remove(handle)
        gc.collect(1)  # a task's garbage goes here, on the GUI thread

    def wait(self, msecs: int = -1) -> bool:
        return self._pool.waitForDone(msecs)

    def shutdown(self, msecs: int = 15_000) -> bool:
        """Drop queued work, ask running work to cancel (it rolls back), and wait for it:
        a closing window must not close the book under a running task."""
        self._pool.clear()
        for handle in list(self._handles):
            handle.cancel()
        return self._pool.waitForDone(msecs)

    @property
    def busy(self) -> bool:
        return bool(self._handles)
