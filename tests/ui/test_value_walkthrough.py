"""Logging value delivered, as a CSM does it: the button, the dialog really painted, typing,
OK; the new outcome is in the table and the book. (The dialog once crashed the process the
first time it was painted.)"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QPushButton

from csdesk.db import Database
from csdesk.services.book import account_detail as detail
from csdesk.services.plans import value as value_log
from csdesk.ui.value_pane import ValueDialog
from tests.ui.conftest import open_window


def test_log_value_through_the_dialog(qtbot, demo_db: Database) -> None:  # type: ignore[no-untyped-def]
    account = detail.account_id_for(demo_db, "ACC-000002")
    before = len(value_log.entries(demo_db, account))
    window = open_window(qtbot, demo_db)
    page = window.open_account(account)
    page.tabs.setCurrentWidget(page.value)
    shown: list[str] = []

    def fill() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, ValueDialog):
            QTimer.singleShot(20, fill)
            return
        qtbot.waitExposed(dialog)
        dialog.grab()  # painted, as on screen
        shown.append(dialog.windowTitle())
        qtbot.keyClicks(dialog.title, "Month-end close in 4 days")
        qtbot.keyClicks(dialog.metric_name, "Days to close")
        qtbot.keyClicks(dialog.before, "9")
        qtbot.keyClicks(dialog.after, "4")
        ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save)
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)

    QTimer.singleShot(0, fill)
    button = next(b for b in page.value.findChildren(QPushButton) if b.text() == "Log value…")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert shown == ["Log value delivered"]
    entries = value_log.entries(demo_db, account)
    assert len(entries) == before + 1
    new = next(e for e in entries if e.title == "Month-end close in 4 days")
    assert (new.metric_name, new.metric_before, new.metric_after) == ("Days to close", 9, 4)
    titles = [page.value.table.item(r, 1).text() for r in range(page.value.table.rowCount())]
    assert "Month-end close in 4 days" in titles
