"""A QBR from an account's page: Reports ▸ QBR…, the quarter and audience chosen, the file
named in the dialog's own "Save as" field, the PDF written in the background, "Open it now?"
answered no; the PDF is there, with pages about that account and quarter."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox, QToolButton

from csdesk.db import Database
from csdesk.services.book import account_detail as detail
from csdesk.ui.reports_view import ReportDialog
from tests.e2e.conftest import (
    choose,
    click,
    labelled,
    line_edit,
    open_window,
    pick_menu,
    shoot,
    when_shown,
)

ACCOUNT = "ACC-000003"


def _open_with_enter(qtbot: Any, window: Any, name: str) -> Any:
    """Filter the book to the account, select its row, press Enter."""
    book = window.accounts
    search = line_edit(book, "Filter by name")
    click(qtbot, search)
    qtbot.keyClicks(search, name)
    qtbot.waitUntil(lambda: book.table.model().rowCount() == 1)
    click(qtbot, book.table.viewport(), book.table.visualRect(
        book.table.model().index(0, 0)).center())
    qtbot.keyClick(book.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.account_tabs.currentWidget() is not window.accounts)
    return window.account_tabs.currentWidget()


def test_a_qbr_from_the_account_page(qtbot, demo_db: Database, tmp_path: Path,  # type: ignore[no-untyped-def]
                                     screenshot) -> None:
    account_id = detail.account_id_for(demo_db, ACCOUNT)
    name = detail.account_facts(demo_db, account_id).header.name
    target = tmp_path / "QBRs" / f"{name} Q3 2026 internal.pdf"
    target.parent.mkdir()
    window = open_window(qtbot, demo_db)
    page = _open_with_enter(qtbot, window, name)
    assert page.title.text() == name

    seen: dict[str, str] = {}

    def fill(dialog: ReportDialog) -> None:
        seen["title"] = dialog.windowTitle()
        quarter = labelled(dialog, "Quarter")
        seen["quarter"] = quarter.currentText()
        seen["default"] = labelled(dialog, "Save as").text()
        choose(qtbot, labelled(dialog, "Audience"), "Internal (adds renewal and commercial)")
        path = labelled(dialog, "Save as")
        click(qtbot, path)
        qtbot.keyClick(path, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        qtbot.keyClicks(path, str(target))
        shoot(qtbot, dialog, "test_a_qbr_from_the_account_page-dialog")
        click(qtbot, dialog.findChild(QDialogButtonBox).button(
            QDialogButtonBox.StandardButton.Save))

    asked: list[str] = []

    def not_now(box: QMessageBox) -> None:
        asked.append(box.text())
        click(qtbot, box.button(QMessageBox.StandardButton.No))

    chosen = pick_menu(qtbot, "QBR…")
    when_shown(qtbot, ReportDialog, fill)
    when_shown(qtbot, QMessageBox, not_now, timeout=30)
    reports = next(b for b in page.findChildren(QToolButton) if b.text() == "Reports")
    click(qtbot, reports)
    qtbot.waitUntil(lambda: bool(asked), timeout=30_000)

    assert chosen == ["QBR…"]
    assert seen["title"] == f"QBR — {name}"
    assert seen["quarter"] == "Q3 2026"  # the last complete quarter on 22 Nov 2026
    assert seen["default"].endswith(f"({ACCOUNT}) - QBR 2026Q3.pdf")
    assert asked == [f"Saved {target.name}.\n\nOpen it now?"]
    assert target.is_file()
    pdf = PdfReader(target)
    assert len(pdf.pages) >= 2
    text = " ".join(p.extract_text() for p in pdf.pages)
    assert name in text and "Q3 2026" in text
    assert "Renewal" in text  # the internal edition's commercial section
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # nothing else left
    screenshot(window)
