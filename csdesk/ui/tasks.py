"""One small task runner: long work off the GUI thread, with progress and Cancel.

The rule (docs/architecture.md, "Work off the GUI thread"):

- **Long work is a task.** Anything that reads or writes more than one account's worth of
  the book, touches files or a server, or shows progress runs here: one worker thread, one
  task at a time, so two tasks never write at once. Its result and its failure come back on
  the GUI thread, through ``on_done`` and ``on_failed``; a task given no ``on_failed`` goes
  to the runner's default handler (the main window's: a message, or the offline banner).
- **A CSM's edit of one record is not a task.** Saving a field, a contact, a checklist step
  is one short transaction on the GUI thread, so its result (or its conflict) shows at once.
  An edit that sets off more (Today's done, snooze and reassign re-plan the owners' days)
  is a task.
  Tasks that write for long (imports, rescoring, the demo) run behind a window-modal
  progress dialog or wizard, so no such edit starts while one holds the write lock; the
  playbook run reads first and writes in one short transaction at the end, and the
  database's own write lock serialises it with an edit.
- **A task that only reads may take the reading lane** (``reading=True``): a second worker
  thread, for work a CSM waits on (a document from an account's page) that must not queue
  behind the start-up tasks. It opens its own read-only connection and never writes the
  book, so the one-writer rule above still holds.
- **Checks nobody waits for take the idle lane** (``idle=True``): a third thread, at the
  lowest priority, for whole-file checks of a large book, so they never hold up the work
  above.

A task is any Qt-free function. One that takes ``progress`` and ``cancel`` keywords (see
``csdesk.progress``) is given them, shows its progress and can be cancelled; any other runs
as it is, so a service is submitted as itself, without a wrapper.
"""

from __future__ import annotations

import contextlib
import gc
import inspect
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
    QThread,
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


def reports_progress(fn: Callable[..., Any]) -> bool:
    """Whether ``fn`` takes ``progress`` and ``cancel`` (then it is given both)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return True
    return "progress" in params and "cancel" in params


class _Job(QRunnable):
    def __init__(self, fn: Callable[..., Any], args: tuple[Any, ...],
                 kwargs: dict[str, Any], title: str) -> None:
        super().__init__()
        self.fn, self.args, self.kwargs, self.title = fn, args, kwargs, title
        self.signals = _Signals()
        self.cancel_event = threading.Event()
        self.setAutoDelete(False)

    def run(self) -> None:
        try:
            kwargs = dict(self.kwargs)
            if reports_progress(self.fn):
                kwargs.update(progress=self._progress, cancel=self.cancel_event.is_set)
            result = self.fn(*self.args, **kwargs)
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


Callback = Callable[[Any], object]


class TaskRunner(QObject):
    """Runs tasks one at a time on one worker thread (see the module's rule)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        collect_on_gui_thread()  # before any work runs on the worker thread
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._readers = QThreadPool(self)  # the reading lane (see the module's rule)
        self._readers.setMaxThreadCount(1)
        self._idle = QThreadPool(self)  # the idle lane: checks nobody waits for
        self._idle.setMaxThreadCount(1)
        self._idle.setThreadPriority(QThread.Priority.LowestPriority)
        self._handles: list[TaskHandle] = []
        # What a failure no caller handles goes to (the main window sets its own).
        self.on_failure: Callable[[TaskError], object] = _log_failure

    def submit(self, title: str, fn: Callable[..., Any], *args: Any,
               on_done: Callback | None = None, on_failed: Callback | None = None,
               reading: bool = False, idle: bool = False, **kwargs: Any) -> TaskHandle:
        """Run ``fn(*args, **kwargs)`` on the worker (or, ``reading``, on the reading lane;
        ``idle``, on the idle lane);
        ``on_done(result)`` and ``on_failed(TaskError)`` are called on the GUI thread
        (``on_failed`` defaults to the runner's ``on_failure``)."""
        job = _Job(fn, args, kwargs, title)
        handle = TaskHandle(job, self)
        self._handles.append(handle)
        handle.finished.connect(lambda _r, h=handle: self._forget(h))
        handle.failed.connect(lambda _e, h=handle: self._forget(h))
        if on_done is not None:
            handle.finished.connect(on_done)
        handle.failed.connect(on_failed if on_failed is not None
                              else lambda e: self.on_failure(e))
        (self._idle if idle else self._readers if reading else self._pool).start(job)
        return handle

    def run_with_dialog(self, parent: QWidget, title: str, fn: Callable[..., Any],
                        *args: Any, on_done: Callback | None = None,
                        on_failed: Callback | None = None, reading: bool = False,
                        **kwargs: Any) -> TaskHandle:
        """Submit a task and show a window-modal progress dialog with Cancel while it runs."""
        handle = self.submit(title, fn, *args, on_done=on_done, on_failed=on_failed,
                             reading=reading, **kwargs)
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

    def _lanes(self) -> tuple[QThreadPool, ...]:
        return self._pool, self._readers, self._idle

    def wait(self, msecs: int = -1) -> bool:
        return all(lane.waitForDone(msecs) for lane in self._lanes())

    def shutdown(self, msecs: int = 15_000) -> bool:
        """Drop queued work, ask running work to cancel (it rolls back), and wait for it:
        a closing window must not close the book under a running task."""
        for lane in self._lanes():
            lane.clear()
        for handle in list(self._handles):
            handle.cancel()
        return all(lane.waitForDone(msecs) for lane in self._lanes())

    def pending(self, handle: TaskHandle | None) -> bool:
        """Whether ``handle``'s task is queued or running still."""
        return handle is not None and handle in self._handles

    @property
    def busy(self) -> bool:
        return bool(self._handles)


def _log_failure(error: TaskError) -> None:
    """The default for a failure nobody handles: a bug is in the error log already (the
    job wrote it); a user error or a cancel needs no more than the caller showed."""
