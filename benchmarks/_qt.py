"""What the window benchmarks share: waiting, in a real event loop, for a widget's next
paint or for a condition, never for ever.

The waits run a ``QEventLoop`` (as the application does), not a ``processEvents()`` spin: a
spin holds the interpreter between events and slows the worker threads it waits for (two
cores). A wait that has not ended after ``TIMEOUT_S`` raises, naming what it waited for,
instead of hanging silently.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

TIMEOUT_S = 300.0
POLL_MS = 1  # how often a condition is looked at (the loop sleeps in between)


class _Painted(QObject):
    def __init__(self, loop: QEventLoop) -> None:
        super().__init__()
        self.loop = loop
        self.seen = False

    def eventFilter(self, _obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and not self.seen:
            self.seen = True
            self.loop.quit()
        return False


def _run(loop: QEventLoop, done: Callable[[], bool], what: str, timeout_s: float) -> None:
    timed_out: list[bool] = []
    deadline = QTimer()
    deadline.setSingleShot(True)
    deadline.timeout.connect(lambda: (timed_out.append(True), loop.quit()))
    deadline.start(int(timeout_s * 1000))
    poll = QTimer()
    poll.timeout.connect(lambda: done() and loop.quit())
    poll.start(POLL_MS)
    if not done():
        loop.exec()
    poll.stop()
    deadline.stop()
    if timed_out and not done():
        raise TimeoutError(f"still waiting after {timeout_s:.0f} s: {what}")


def wait_until(app: QApplication, done: Callable[[], bool], what: str,
               timeout_s: float = TIMEOUT_S) -> None:
    """Run the event loop until ``done()`` (looked at every millisecond)."""
    del app  # the loop is the application's; kept in the signature for symmetry
    _run(QEventLoop(), done, what, timeout_s)


def wait_painted(app: QApplication, widget: QWidget, timeout_s: float = TIMEOUT_S) -> None:
    """Run the event loop until ``widget`` has painted once more, its children with it.

    The widget is asked for a paint (``update()``, which merges with one already due): a
    view whose children alone changed (a table's rows reloaded) would otherwise never see a
    paint event of its own, and the wait would not end. Every region due is painted in the
    same pass, so the time includes the view's new figures on screen.
    """
    del app
    if not widget.isVisible():
        raise RuntimeError(f"{type(widget).__name__} is not visible: it would never paint")
    loop = QEventLoop()
    painted = _Painted(loop)
    widget.installEventFilter(painted)
    widget.update()
    try:
        _run(loop, lambda: painted.seen, f"a paint of {type(widget).__name__}", timeout_s)
    finally:
        widget.removeEventFilter(painted)
