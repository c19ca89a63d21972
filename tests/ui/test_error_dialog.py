"""An error that reaches the event loop is shown (what happened, what the user was doing,
details to copy) and written to the log in the data folder; nothing fails silently."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QPushButton

from csdesk.config import data_dir
from csdesk.db import Database
from csdesk.errorlog import log_path
from csdesk.errors import CsdeskError
from csdesk.ui.error_dialog import ErrorDialog, install_exception_handler
from tests.ui.conftest import open_window


@pytest.fixture
def window(qtbot, demo_db: Database, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    win = open_window(qtbot, demo_db)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    win.error_handler = install_exception_handler(win)
    return win


def _button(window, text: str, fail: Exception) -> QPushButton:  # type: ignore[no-untyped-def]
    def broken() -> None:
        raise type(fail)(*fail.args)  # a fresh error each click, as a real fault would be

    button = QPushButton(text, window.today)
    button.clicked.connect(broken)
    button.show()
    return button


def test_a_crash_in_a_click_is_shown_logged_and_copyable(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    window.nav.setCurrentRow(0)  # Today
    button = _button(window, "Mark done", ZeroDivisionError("division by zero"))
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.error_handler.dialog is not None
                    and window.error_handler.dialog.isVisible())
    dialog: ErrorDialog = window.error_handler.dialog
    assert dialog.summary.text() == "<b>ZeroDivisionError: division by zero</b>"
    assert dialog.doing.text() == "You were in Today; you had clicked “Mark done” just now."
    assert "fault in csdesk" in dialog.kept.text()
    qtbot.mouseClick(dialog.toggle, Qt.MouseButton.LeftButton)
    assert dialog.details.isVisible()
    qtbot.mouseClick(dialog.copy, Qt.MouseButton.LeftButton)
    copied = QGuiApplication.clipboard().text()
    assert copied.startswith("ZeroDivisionError: division by zero\nYou were in Today")
    assert "in broken" in copied and "raise type(fail)" in copied  # the traceback itself
    log = log_path()
    assert log.parent == data_dir() / "logs"
    assert str(log) in dialog.where.text()
    text = log.read_text(encoding="utf-8")
    assert "unhandled error: ZeroDivisionError: division by zero" in text
    assert "While: in Today; you had clicked “Mark done”" in text
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert stat.S_IMODE(log.parent.stat().st_mode) == 0o700
    dialog.grab().save(str(Path(log.parent) / "dialog.png"))


def test_errors_in_a_burst_make_one_dialog(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    button = _button(window, "Save", KeyError("seat_utilisation"))
    for _ in range(3):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.error_handler.dialog is not None
                    and window.error_handler.dialog.repeats == 2)
    dialog = window.error_handler.dialog
    assert dialog.more.text() == "2 more errors followed; they are in the details and the log."
    assert dialog.detail_text.count("\nKeyError: 'seat_utilisation'") == 3  # 3 tracebacks
    assert log_path().read_text(encoding="utf-8").count("unhandled error: KeyError") == 3
    assert [w for w in window.findChildren(ErrorDialog) if w.isVisible()] == [dialog]


def test_an_expected_failure_reads_as_words_not_a_bug(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    page = window.open_account(window.table.rows[0][0])
    page.tabs.setCurrentIndex(4)
    name = window.account_tabs.tabText(window.account_tabs.currentIndex())
    button = _button(window, "Export", CsdeskError("the folder is full"))
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.error_handler.dialog is not None)
    dialog = window.error_handler.dialog
    assert dialog.summary.text() == "<b>the folder is full</b>"
    tab = page.tabs.tabText(4).replace("&", "")
    assert dialog.doing.text().startswith(f"You were on the {tab} tab of {name};")
    assert "fault in csdesk" not in dialog.kept.text()


def test_a_failed_background_task_is_logged(qtbot, window, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from csdesk.services.worklist import rules

    def broken(db, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("the rules engine tripped")

    monkeypatch.setattr(rules, "run_rules", broken)
    window.run_playbooks()
    window.runner.wait()
    qtbot.waitUntil(lambda: log_path().exists()
                    and "Running playbooks failed: RuntimeError: the rules engine tripped"
                    in log_path().read_text(encoding="utf-8"))
    assert "raise RuntimeError" in log_path().read_text(encoding="utf-8")
    box = qtbot.waitUntil(lambda: _message_box(window) is not None) or _message_box(window)
    assert box.text() == ("Running playbooks failed: RuntimeError: the rules engine tripped. "
                          f"The details were written to {log_path()}.")


def _message_box(window):  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QMessageBox

    shown = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    return shown[0] if shown else None
