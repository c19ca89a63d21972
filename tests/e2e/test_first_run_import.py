"""First run: an empty book, the welcome screen's "Import CSV…", the import wizard walked page
by page on a Salesforce report export, and the accounts in the book as a CSM reads them."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QTableWidget, QWizard

from csdesk.config import DatabaseLocation
from csdesk.db import Database
from csdesk.ui import app
from csdesk.ui.accounts_model import ARR, NAME, OWNER, RENEWAL
from csdesk.ui.import_wizard import ImportWizard
from tests.e2e.conftest import (
    button,
    choose,
    click,
    combo_with,
    nav_to,
    open_window,
    shoot,
)

EXPORT = Path(__file__).parent / "data" / "salesforce_accounts.csv"

# What the export holds, as the book should show it: name → (ARR, owner, renewal).
EXPECTED = {
    "Globex Corporation": ("$48,500", "Sam Okafor", "31 Dec 2026"),
    "Initech, Inc.": ("$9,900", "Dana Whitfield", "30 Jun 2027"),
    "Müller & Söhne GmbH": ("$275,000", "Sam Okafor", "20 Jan 2027"),
    "Northwind Traders": ("$120,000", "Dana Whitfield", "15 Mar 2027"),
    "Umbrella Health": ("$61,250", "Priya Raman", "14 Apr 2027"),
}


def _texts(widget: Any) -> str:
    return "\n".join(label.text() for label in widget.findChildren(QLabel))


@pytest.fixture
def first_run(location: DatabaseLocation) -> Iterator[Database]:
    db = app.open_book(location)  # what the app opens when there is no book yet
    yield db
    db.close()


def import_through_the_wizard(qtbot: Any, window: Any, export: Path,
                              name: str | None = None) -> None:
    """From the welcome screen to the imported book, page by page (``name``: screenshots of
    the mapping page under that name)."""
    welcome = window.book_stack.currentWidget()
    assert welcome.objectName() == "emptyState"
    assert "Your book of business is empty" in _texts(welcome)
    click(qtbot, button(welcome, "Import CSV…"))
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), ImportWizard))
    wizard = QApplication.activeModalWidget()
    qtbot.waitExposed(wizard)
    next_button = wizard.button(QWizard.WizardButton.NextButton)
    assert next_button.text().replace("&", "") == "Next >"

    # Page 1: the file, and what csdesk makes of it.
    path = next(e for e in wizard.currentPage().findChildren(QLineEdit)
                if e.placeholderText().startswith("A CSV export"))
    click(qtbot, path)
    qtbot.keyClicks(path, str(export))
    detected = _texts(wizard.currentPage())
    assert "Accounts: 9 columns" in detected and "Salesforce export" in detected
    qtbot.waitUntil(next_button.isEnabled)
    click(qtbot, next_button)

    # Page 2: the columns. Salesforce's "Annual Revenue" is no csdesk field; this team keeps
    # the contract value there, so the CSM sends it to ARR.
    mapping = wizard.currentPage()
    assert mapping.title() == "Match the columns"
    table = mapping.findChild(QTableWidget)
    rows = {table.item(r, 0).text(): r for r in range(table.rowCount())}
    assert table.cellWidget(rows["Account Name"], 2).currentText() == "name *"
    assert table.cellWidget(rows["Account Owner"], 2).currentText() == "owner"
    assert table.cellWidget(rows["Renewal Date"], 2).currentText() == "renewal_date"
    revenue = table.cellWidget(rows["Annual Revenue"], 2)
    assert revenue.currentText() == "custom field"
    choose(qtbot, revenue, "arr")
    qtbot.waitUntil(next_button.isEnabled)
    if name is not None:
        shoot(qtbot, wizard, f"{name}-mapping")
    click(qtbot, next_button)

    # Page 3: the dry run says what would happen; nothing is written yet.
    preview = wizard.currentPage()
    assert preview.title() == "Preview"
    qtbot.waitUntil(next_button.isEnabled, timeout=20_000)
    assert "5 new, 0 updated, 0 unchanged, 0 in error" in _texts(preview)

    # Page 4: the import itself; the book reloads behind the wizard.
    finish = wizard.button(QWizard.WizardButton.FinishButton)
    with qtbot.waitSignal(window.book_loaded, timeout=20_000) as loaded:
        click(qtbot, next_button)
        qtbot.waitUntil(finish.isEnabled, timeout=20_000)
    assert loaded.args == [5]
    assert "Imported: 5 new and 0 updated accounts." in _texts(wizard.currentPage())
    click(qtbot, finish)
    qtbot.waitUntil(lambda: not wizard.isVisible())
    qtbot.waitUntil(lambda: window.book_stack.currentWidget() is window.account_tabs)


def _book(window: Any, *columns: int) -> dict[str, tuple[str, ...]]:
    model = window.accounts.table.model()
    return {model.index(r, NAME).data(): tuple(model.index(r, c).data() for c in columns)
            for r in range(model.rowCount())}


def test_first_run_imports_a_crm_export_into_an_empty_book(
    qtbot, first_run: Database, tmp_path: Path, screenshot,  # type: ignore[no-untyped-def]
) -> None:
    export = tmp_path / "Accounts report 2026-11-22.csv"  # as downloaded, spaces and all
    shutil.copy(EXPORT, export)
    window = open_window(qtbot, first_run)
    import_through_the_wizard(qtbot, window, export, "test_first_run_import")

    # The book: the five accounts, with the ARR and owners the CRM had.
    assert _book(window, ARR, OWNER) == {name: (arr, owner)
                                         for name, (arr, owner, _r) in EXPECTED.items()}
    assert window.accounts.count_label.text() == "5 accounts"
    assert window.book_label.text().startswith("5 accounts · ")
    screenshot(window)


def test_the_crm_renewal_date_is_the_one_every_screen_shows(
    qtbot, first_run: Database, tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    export = tmp_path / "accounts.csv"
    shutil.copy(EXPORT, export)
    window = open_window(qtbot, first_run)
    import_through_the_wizard(qtbot, window, export)

    # The Renewals pipeline, every renewal listed.
    nav_to(qtbot, window, "Renewals")
    renewals = window.renewals
    choose(qtbot, combo_with(renewals, "Next 30 days"), "Every renewal")
    model = renewals.table.model()
    qtbot.waitUntil(lambda: model.rowCount() == 5, timeout=20_000)
    heads = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    listed = {model.index(r, heads.index("Account")).data():
              model.index(r, heads.index("Renews")).data() for r in range(5)}
    assert listed == {name: when for name, (_a, _o, when) in EXPECTED.items()}
    assert _book(window, RENEWAL) == {name: (when,) for name, (_a, _o, when) in
                                      EXPECTED.items()}
