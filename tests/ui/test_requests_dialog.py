"""A CSM logs a feature request from AT&T's account page, through the real dialog, and finds
it in the book's ranked list (Book ▸ Feature requests) with AT&T's ARR at stake, then
exports the list for the product team off the GUI thread."""

from __future__ import annotations

import csv
import stat
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, Qt

from csdesk import clock
from csdesk.db import Database
from csdesk.services.plans.requests import account_requests, log_request
from csdesk.ui.account_page import AccountPage
from csdesk.ui.requests_dialog import BookRequestsDialog, RequestsDialog
from tests.request_book import ATT, asking_accounts
from tests.ui.conftest import open_window, when_shown

DAY = date(2026, 11, 22)


@pytest.fixture
def book(db: Database) -> Iterator[dict[str, int]]:
    ids = asking_accounts(db)
    with clock.pin(DAY):
        log_request(db, "GONE-1", "SSO via Okta", asked_on=date(2025, 12, 1))  # churned
        log_request(db, "MUL-1", "Dark mode")
        yield ids


def test_log_a_request_and_see_it_ranked(qtbot, db: Database, book: dict[str, int],  # type: ignore[no-untyped-def]
                                         tmp_path: Path) -> None:
    page = AccountPage(db, book["ATT-1"])
    qtbot.addWidget(page)
    page.resize(1200, 800)
    page.show()
    qtbot.waitExposed(page)

    def fill(dialog: RequestsDialog) -> None:
        assert dialog.isVisible() and dialog.windowTitle() == f"Requests — {ATT}"
        assert dialog.asks.rowCount() == 0 and dialog.empty_note.isVisible()
        qtbot.mouseClick(dialog.log_button, Qt.MouseButton.LeftButton)  # nothing typed
        assert "cannot be blank" in dialog.problem.text()
        qtbot.keyClicks(dialog.title_edit, "sso via okta")  # the same words as Gone's ask
        qtbot.keyClicks(dialog.detail_edit, "All 40 subsidiaries <sign in> with Okta")
        dialog.by_box.setCurrentText("Ana Souza")
        dialog.kind_box.setCurrentIndex(dialog.kind_box.findData("product_gap"))
        qtbot.mouseClick(dialog.log_button, Qt.MouseButton.LeftButton)
        assert dialog.problem.text() == ""
        assert dialog.asks.rowCount() == 1 and not dialog.empty_note.isVisible()
        cells = [dialog.asks.item(0, c).text() for c in range(6)]
        assert cells == ["22 Nov 2026", "sso via okta", "Product gap", "Ana Souza", "New", "—"]
        dialog.reject()

    answered = when_shown(qtbot, RequestsDialog, fill)
    with qtbot.waitSignal(page.changed, timeout=5_000):
        page.requests_button.click()  # exec(): the real modal dialog
    assert answered == [f"Requests — {ATT}"]
    [ask] = account_requests(db, book["ATT-1"])
    assert ask.item.title == "SSO via Okta" and ask.asked_by == "Ana Souza"

    window = open_window(qtbot, db)
    dialog = window.feature_requests()
    assert isinstance(dialog, BookRequestsDialog)
    qtbot.waitExposed(dialog)
    t = dialog.ranking
    rows = [[t.item(r, c).text() for c in range(8)] for r in range(t.rowCount())]
    # AT&T $120,000 at stake (Gone, churned, listed but not summed); Müller €50,000 = $55,000
    assert rows[0][:5] == ["1", "SSO via Okta", "New", "1 + 1 churned", "$120,000"]
    assert rows[0][7] == f"{ATT}, Gone Ltd"
    assert rows[1][:5] == ["2", "Dark mode", "New", "1", "$55,000"]
    assert "churned accounts are listed but not summed" in dialog.rule_label.text()

    # The product team says it shipped: typed in the dialog, for the item picked
    assert not dialog.status_row.isEnabled()
    t.selectRow(0)
    assert dialog.picked_label.text() == "SSO via Okta" and dialog.status_row.isEnabled()
    assert not dialog.shipped_edit.isEnabled()  # a date only goes with shipped
    dialog.status_box.setCurrentIndex(dialog.status_box.findData("shipped"))
    assert dialog.shipped_edit.isEnabled()
    dialog.shipped_edit.setDate(QDate(2026, 11, 2))
    qtbot.mouseClick(dialog.status_button, Qt.MouseButton.LeftButton)
    assert [t.item(0, c).text() for c in (1, 2, 6)] == ["SSO via Okta", "Shipped",
                                                       "02 Nov 2026"]
    assert dialog.note.text() == "“SSO via Okta” is now shipped."

    out = tmp_path / "for-product.csv"
    dialog.export_to(out)
    qtbot.waitUntil(lambda: dialog.exported == out, timeout=20_000)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with open(out, newline="", encoding="utf-8") as fh:
        first = next(csv.DictReader(fh))
    assert first["product item"] == "SSO via Okta" and first["ARR at stake"] == "120000.00"
    assert "Exported 2 product items" in dialog.note.text()
    dialog.close()


def test_delete_a_request_logged_by_mistake(qtbot, db: Database, book: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QMessageBox

    from csdesk.services.plans.requests import items

    with clock.pin(DAY):
        log_request(db, "ATT-1", "Dark mode")
        log_request(db, "ATT-1", "A typo of a feature")
    asked: list[str] = []

    def yes(box: QMessageBox) -> None:
        asked.append(box.text())
        qtbot.mouseClick(box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)

    def delete(dialog: RequestsDialog) -> None:
        assert not dialog.delete_button.isEnabled()
        row = next(r for r in range(dialog.asks.rowCount())
                   if dialog.asks.item(r, 1).text() == "A typo of a feature")
        dialog.asks.selectRow(row)
        assert dialog.delete_button.isEnabled()
        when_shown(qtbot, QMessageBox, yes)
        qtbot.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)
        assert [dialog.asks.item(r, 1).text() for r in range(dialog.asks.rowCount())] == \
            ["Dark mode"]
        dialog.reject()

    page = AccountPage(db, book["ATT-1"])
    qtbot.addWidget(page)
    page.show()
    when_shown(qtbot, RequestsDialog, delete)
    with qtbot.waitSignal(page.changed, timeout=5_000):
        page.requests_button.click()
    assert asked == ["Delete the request “A typo of a feature” asked on 22 Nov 2026?"]
    titles = [i.title for i in items(db)]
    assert "A typo of a feature" not in titles and "Dark mode" in titles  # MUL-1 asked too
