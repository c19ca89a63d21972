"""Every exception that reaches the event loop is shown, never swallowed: one dialog says
what went wrong and what the user was doing, offers the details to copy for a bug report,
and the error is written to the log in the data folder (``csdesk.errorlog``)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from csdesk.errorlog import format_exception, log_error
from csdesk.errors import CsdeskError

Hook = Callable[[type[BaseException], BaseException, TracebackType | None], None]


class ClickTracker(QObject):
    """Remembers the last button the user clicked (its text and when): part of "what you
    were doing" in an error report."""

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self.last: tuple[str, float] | None = None
        app.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (event.type() == QEvent.Type.MouseButtonRelease
                and isinstance(watched, QAbstractButton) and watched.text()):
            self.last = (watched.text().replace("&", ""), time.monotonic())
        return False

    def describe(self) -> str | None:
        if self.last is None:
            return None
        text, when = self.last
        ago = time.monotonic() - when
        return f"clicked “{text}” {'just now' if ago < 60 else f'{ago / 60:.0f} min ago'}"


class ErrorDialog(QDialog):
    """What went wrong, in one plain line, what the user was doing, and the details."""

    def __init__(self, summary: str, doing: str, detail: str, log: Path | None,
                 parent: QWidget | None = None, *, bug: bool = True) -> None:
        super().__init__(parent)
        self.setWindowTitle("csdesk: something went wrong")
        self.setMinimumWidth(520)
        self.detail_text = detail
        self.repeats = 0
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        icon = QLabel()
        icon.setPixmap(self.style().standardIcon(
            QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(40, 40))
        top.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        words = QVBoxLayout()
        self.summary = QLabel(f"<b>{_escape(summary)}</b>")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        words.addWidget(self.summary)
        self.doing = QLabel(f"You were {_escape(doing)}.")
        self.doing.setWordWrap(True)
        words.addWidget(self.doing)
        kept = ("Your book is safe: everything saved before this is kept; the last step may "
                "not have been completed, so check it before going on.")
        if bug:
            kept += " This is a fault in csdesk, not something you did."
        self.kept = QLabel(kept)
        self.kept.setWordWrap(True)
        words.addWidget(self.kept)
        self.where = QLabel(f"The details were written to {log}." if log is not None else
                            "The error log could not be written; copy the details instead.")
        self.where.setWordWrap(True)
        self.where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        words.addWidget(self.where)
        self.more = QLabel()
        self.more.setVisible(False)
        words.addWidget(self.more)
        top.addLayout(words, 1)
        layout.addLayout(top)
        self.details = QPlainTextEdit(detail)
        self.details.setReadOnly(True)
        self.details.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.details.setMinimumHeight(160)
        self.details.setVisible(False)
        layout.addWidget(self.details, 1)
        buttons = QDialogButtonBox()
        self.toggle = QPushButton("Show details")
        self.toggle.clicked.connect(self._toggle)
        self.copy = QPushButton("Copy details")
        self.copy.clicked.connect(self.copy_details)
        buttons.addButton(self.toggle, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.copy, QDialogButtonBox.ButtonRole.ActionRole)
        if log is not None:
            folder = QPushButton("Open log folder")
            folder.clicked.connect(
                lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(log.parent))))
            buttons.addButton(folder, QDialogButtonBox.ButtonRole.ActionRole)
        close = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        close.setDefault(True)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _toggle(self) -> None:
        self.details.setVisible(not self.details.isVisible())
        self.toggle.setText("Hide details" if self.details.isVisible() else "Show details")
        self.adjustSize()

    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(
            f"{self.summary.text().removeprefix('<b>').removesuffix('</b>')}\n"
            f"{self.doing.text()}\n\n{self.detail_text}")
        self.copy.setText("Copied")

    def add_repeat(self, summary: str, detail: str) -> None:
        """Another error while this one is still shown: counted here, not a pile of boxes."""
        self.repeats += 1
        self.detail_text += f"\n\n--- and then: {summary}\n{detail}"
        self.details.setPlainText(self.detail_text)
        self.more.setText(f"{self.repeats} more {'error' if self.repeats == 1 else 'errors'} "
                          "followed; they are in the details and the log.")
        self.more.setVisible(True)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class ExceptionHandler:
    """The application's ``sys.excepthook`` while the window is open."""

    def __init__(self, window: Any, previous: Hook | None = None) -> None:
        self.main_window = window
        self.previous = previous
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        self.clicks = ClickTracker(app)
        self.dialog: ErrorDialog | None = None

    def __call__(self, kind: type[BaseException], exc: BaseException,
                 tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt | SystemExit) and self.previous is not None:
            self.previous(kind, exc, tb)
            return
        try:
            if self.main_window.handle_exception(exc):
                return
            self.show(kind, exc, tb)
        except Exception:  # never let the error display itself kill the app
            if self.previous is not None:
                self.previous(kind, exc, tb)

    def doing(self) -> str:
        where = self.main_window.current_activity()
        modal = QApplication.activeModalWidget()
        if modal is not None and modal is not self.dialog and modal.windowTitle():
            where += f", in the “{modal.windowTitle()}” dialog"
        click = self.clicks.describe()
        return f"{where}; you had {click}" if click else where

    def show(self, kind: type[BaseException], exc: BaseException,
             tb: TracebackType | None) -> ErrorDialog:
        expected = isinstance(exc, CsdeskError)  # a plain-words failure, not a bug
        summary = str(exc) if expected else f"{type(exc).__name__}: {exc}"
        doing = self.doing()
        detail = f"While: {doing}\n" + format_exception(kind, exc, tb)
        log = log_error(f"unhandled error: {summary}", detail)
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.add_repeat(summary, detail)
            return self.dialog
        self.dialog = ErrorDialog(summary, doing, detail, log, self.main_window, bug=not expected)
        self.dialog.open()
        return self.dialog


def install_exception_handler(window: Any) -> ExceptionHandler:
    """Route every exception that reaches the event loop to ``window``'s error dialog."""
    handler = ExceptionHandler(window, sys.excepthook)
    sys.excepthook = handler
    return handler
