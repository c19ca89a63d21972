"""A QBR from an account's page: Reports ▸ QBR (PDF)…, the quarter and audience chosen, the file
named in the dialog's own "Save as" field, the PDF written in the background, "Open it now?"
answered no; the PDF is there, with pages about that account and quarter."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox, QToolButton

from csdesk.db import Database
from csdesk.reports.branding import Branding
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


def _type_path(qtbot: Any, dialog: Any, label: str, path: Path) -> None:
    field = labelled(dialog, label)
    click(qtbot, field)
    qtbot.keyClick(field, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(field, str(path))


def _save(qtbot: Any, dialog: Any) -> None:
    click(qtbot, dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save))


def _report_from_menu(qtbot: Any, page: Any, item: str, fill: Any) -> tuple[list[str],
                                                                           list[str]]:
    """Reports ▸ ``item``; ``fill`` answers the dialog; "Open it now?" is answered no.
    Returns the menu item chosen and the question's text, once asked."""
    asked: list[str] = []

    def not_now(box: QMessageBox) -> None:
        asked.append(box.text())
        click(qtbot, box.button(QMessageBox.StandardButton.No))

    chosen = pick_menu(qtbot, item)
    when_shown(qtbot, ReportDialog, fill)
    when_shown(qtbot, QMessageBox, not_now, timeout=30)
    reports = next(b for b in page.findChildren(QToolButton) if b.text() == "Reports")
    click(qtbot, reports)
    qtbot.waitUntil(lambda: bool(asked), timeout=30_000)
    return chosen, asked


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
        _type_path(qtbot, dialog, "Save as", target)
        shoot(qtbot, dialog, "test_a_qbr_from_the_account_page-dialog")
        _save(qtbot, dialog)

    chosen, asked = _report_from_menu(qtbot, page, "QBR (PDF)…", fill)

    assert chosen == ["QBR (PDF)…"]
    assert seen["title"] == f"QBR — {name}"
    assert seen["quarter"] == "Q3 2026"  # the last complete quarter on 22 Nov 2026
    assert seen["default"].endswith(f"({ACCOUNT}) - QBR 2026Q3.pdf")
    assert asked == [f"Saved {target.name}.\n\n{Branding().unset_notice()}\n\nOpen it now?"]
    assert target.is_file()
    pdf = PdfReader(target)
    assert len(pdf.pages) >= 2
    text = " ".join(p.extract_text() for p in pdf.pages)
    assert name in text and "Q3 2026" in text
    assert "Renewal" in text  # the internal edition's commercial section
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # nothing else left
    screenshot(window)


def test_a_qbr_deck_in_the_company_template_from_the_account_page(  # type: ignore[no-untyped-def]
        qtbot, demo_db: Database, tmp_path: Path, screenshot) -> None:
    """Reports ▸ Branding… points csdesk at the company's .pptx once (a file that is no deck
    is refused in the dialog); then Reports ▸ QBR deck (PowerPoint)… on an account's page
    writes a .pptx in that template, for the customer: no health, no likelihood."""
    from pptx import Presentation

    from csdesk.ui.reports_view import BrandingDialog
    from tests.reports.test_qbr_deck import _template

    template = _template(tmp_path / "acme template.pptx")
    not_a_deck = tmp_path / "notes.pptx"
    not_a_deck.write_text("not a deck")
    account_id = detail.account_id_for(demo_db, ACCOUNT)
    name = detail.account_facts(demo_db, account_id).header.name
    target = tmp_path / "decks" / f"{name} QBR.pptx"
    target.parent.mkdir()
    window = open_window(qtbot, demo_db)

    problems: list[str] = []

    def brand(dialog: BrandingDialog) -> None:
        for path in (not_a_deck, template):
            _type_path(qtbot, dialog, "Deck template", path)
            if path == template:  # the refusal of the other file still on show
                shoot(qtbot, dialog, "test_a_qbr_deck-branding")
            _save(qtbot, dialog)
            problems.append(dialog.problem.text())

    when_shown(qtbot, BrandingDialog, brand)
    window.reports.edit_branding()
    qtbot.waitUntil(lambda: len(problems) == 2, timeout=10_000)
    assert "notes.pptx is not a PowerPoint template csdesk can use" in problems[0]
    assert Branding.load().deck_template == str(template)

    page = _open_with_enter(qtbot, window, name)
    seen: dict[str, str] = {}

    def fill(dialog: ReportDialog) -> None:
        seen["title"] = dialog.windowTitle()
        seen["default"] = labelled(dialog, "Save as").text()
        _type_path(qtbot, dialog, "Save as", target)
        shoot(qtbot, dialog, "test_a_qbr_deck-dialog")
        _save(qtbot, dialog)

    chosen, asked = _report_from_menu(qtbot, page, "QBR deck (PowerPoint)…", fill)

    assert chosen == ["QBR deck (PowerPoint)…"]
    assert seen["title"] == f"QBR deck — {name}"
    assert seen["default"].endswith(f"({ACCOUNT}) - QBR deck 2026Q3.pptx")
    assert asked[0].startswith(f"Saved {target.name}.")
    prs = Presentation(str(target))
    assert prs.slides[0].slide_layout.name == "Acme Cover"
    texts = " ".join(sh.text_frame.text for s in prs.slides for sh in s.shapes
                     if sh.has_text_frame)
    assert name in texts
    for internal in ("Health", "Likelihood", "Forecast", "Internal: not for the customer"):
        assert internal not in texts
    assert [p.name for p in target.parent.iterdir()] == [target.name]
