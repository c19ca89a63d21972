"""Closing the window while a typed handoff text conflicts with a teammate's save: the user
sees theirs beside mine and chooses (keep mine, keep theirs, copy my text) before it closes.
The dialog is really shown and answered by clicking."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QPushButton

from csdesk.db import Database
from csdesk.services.book import account_detail as detail
from csdesk.services.plans import handoff
from csdesk.ui.conflict_dialog import ConflictDialog
from tests.ui.conftest import open_window

MINE = "Weekly exec sync promised by the AE; Salesforce integration by March."
THEIRS = "Quarterly business reviews only."


def _click_in_dialog(qtbot, labels: list[str], seen: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Once the conflict dialog is on screen, click each button named in ``labels``."""

    tries = iter(range(500))

    def act() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, ConflictDialog):
            if next(tries) == 499 and dialog is not None:
                dialog.close()  # some other dialog came up: fail, never hang
            QTimer.singleShot(20, act)
            return
        qtbot.waitExposed(dialog)
        seen.append(dialog.windowTitle())
        for label in labels:
            button = next(b for b in dialog.findChildren(QPushButton) if b.text() == label)
            qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    QTimer.singleShot(0, act)


@pytest.mark.parametrize(("labels", "saved"), [
    (["Copy my text", "Keep theirs"], THEIRS),
    (["Keep mine"], MINE),
])
def test_closing_with_a_conflicting_handoff_text_asks_first(
        qtbot, demo_db: Database, labels: list[str], saved: str) -> None:  # type: ignore[no-untyped-def]
    account = detail.account_id_for(demo_db, "ACC-000002")
    window = open_window(qtbot, demo_db)
    page = window.open_account(account)
    page.tabs.setCurrentWidget(page.handoff)
    page.handoff.promises.setFocus()
    qtbot.keyClick(page.handoff.promises, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(page.handoff.promises, MINE)
    # Meanwhile a teammate saves the same handoff.
    view = handoff.get_handoff(demo_db, account)
    handoff.save_handoff(demo_db, account, {**view.values, "promises": THEIRS}, view.version)
    QApplication.clipboard().clear()
    seen: list[str] = []
    _click_in_dialog(qtbot, labels, seen)
    window.close()
    assert seen == ["Changed by someone else"]
    assert handoff.get_handoff(demo_db, account).values["promises"] == saved
    if "Copy my text" in labels:
        assert MINE in QApplication.clipboard().text()
    assert not [w for w in QApplication.topLevelWidgets()
                if isinstance(w, QDialog) and w.isVisible()]
