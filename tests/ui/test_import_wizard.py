"""The import wizard driven through its widgets: detect, map, preview, apply."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from sqlalchemy import select

from csdesk.db import Database
from csdesk.models import Account
from csdesk.ui.import_wizard import ImportWizard
from csdesk.ui.main_window import MainWindow
from csdesk.ui.tasks import TaskRunner

CSV = ("\ufeffCompany ID;Company name;Industry;Customer since;Notes\r\n"
       "C-1;AT&T <Legacy> 日本;Telecom;03/04/2021;key account\r\n"
       "C-2;Müller & Söhne;Manufacturing;05/06/2022;\r\n"
       "C-3;Zero Seven;Retail;07/08/2023;=cmd\r\n")


def _wizard(qtbot, db: Database, path: Path) -> ImportWizard:  # type: ignore[no-untyped-def]
    runner = TaskRunner()
    wizard = ImportWizard(db, runner, path)
    qtbot.addWidget(wizard)
    wizard.show()
    return wizard


def test_full_import_through_the_wizard(qtbot, db: Database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "companies.csv"
    path.write_text(CSV, encoding="utf-8")
    wizard = _wizard(qtbot, db, path)
    page = wizard.file_page
    assert page.isComplete()
    assert "utf-8-sig" in page.detected.text() and "semicolon" in page.detected.text()
    assert page.detected.text().startswith("This looks like accounts")
    page.date_format.setCurrentIndex(page.date_format.findData("dmy"))
    wizard.next()

    mapping = wizard.mapping_page
    assert mapping.combos["Company ID"].currentData() == "external_id"
    assert mapping.combos["Notes"].currentData() == "custom"
    assert "key account" in mapping.table.item(4, 1).text()  # sample values shown
    mapping.combos["Notes"].setCurrentIndex(mapping.combos["Notes"].findData("ignore"))
    assert mapping.isComplete()
    with qtbot.waitSignal(wizard.preview_page.finished, timeout=30_000):
        wizard.next()
    preview = wizard.preview_page
    assert preview.summary.text().startswith("3 new, 0 updated, 0 unchanged, 0 in error")
    assert preview.isComplete()
    with db.read() as s:
        assert s.scalars(select(Account)).all() == []  # the preview wrote nothing

    with qtbot.waitSignal(wizard.imported, timeout=30_000) as done:
        wizard.next()
    assert done.args[0].inserted == 3
    assert wizard.apply_page.isComplete()
    with db.read() as s:
        accounts = {a.external_id: a for a in s.scalars(select(Account))}
    assert accounts["C-1"].name == "AT&T <Legacy> 日本"
    assert accounts["C-1"].customer_since.isoformat() == "2021-04-03"
    assert accounts["C-1"].custom_fields == {}  # Notes was set to "do not import"


def test_errors_block_the_import_and_are_listed(qtbot, db: Database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bad.csv"
    path.write_text("Account ID,Account Name,ARR\nA,Alpha,-5\nB,,10\n", encoding="utf-8")
    wizard = _wizard(qtbot, db, path)
    page = wizard.file_page
    page.entity.setCurrentIndex(page.entity.findData("accounts"))
    wizard.next()
    with qtbot.waitSignal(wizard.preview_page.finished, timeout=30_000):
        wizard.next()
    preview = wizard.preview_page
    assert "2 in error" in preview.summary.text()
    assert preview.errors.rowCount() == 2
    assert preview.errors.item(0, 0).text() == "2"
    assert preview.errors.item(0, 3).text().startswith("out of range")
    assert not preview.isComplete()  # cannot go on to Import
    assert preview.report_button.isVisibleTo(preview)


def test_missing_key_column_is_explained_on_the_mapping_page(qtbot, db: Database,  # type: ignore[no-untyped-def]
                                                             tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("Reference,Account Name\nA,Alpha\n", encoding="utf-8")
    wizard = _wizard(qtbot, db, path)
    page = wizard.file_page
    page.entity.setCurrentIndex(page.entity.findData("accounts"))
    wizard.next()
    mapping = wizard.mapping_page
    assert "external_id has no column" in mapping.problem.text()
    assert not mapping.isComplete()
    mapping.combos["Reference"].setCurrentIndex(
        mapping.combos["Reference"].findData("external_id"))
    assert mapping.isComplete() and mapping.problem.text() == ""


@pytest.mark.parametrize("name", ["drop.csv", "drop.xlsx"])
def test_dropping_a_file_on_the_window_opens_the_wizard(qtbot, db: Database,  # type: ignore[no-untyped-def]
                                                        tmp_path: Path, name: str) -> None:
    from tests.workbooks import titled_workbook

    path = tmp_path / name
    if name.endswith(".xlsx"):
        titled_workbook(path, cover=("Cover", "-"), sheet="accounts", title="Accounts",
                        header=["external_id", "name"], rows=[["A-1", "Acme"]])
    else:
        path.write_text(CSV, encoding="utf-8")
    window = MainWindow(db)
    qtbot.addWidget(window)
    window.show()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    wizards = window.findChildren(ImportWizard)
    assert len(wizards) == 1
    assert wizards[0].file_page.path_edit.text() == str(path)
    qtbot.waitUntil(lambda: wizards[0].file_page._loading is None, timeout=30_000)


def test_a_hubspot_export_with_two_unmapped_stages_imports_its_valid_rows_on_request(  # type: ignore[no-untyped-def]
        qtbot, db: Database, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QWizard

    path = tmp_path / "hubspot-companies.csv"
    path.write_text("Record ID,Company name,Company Domain Name,Annual Revenue,Create Date,"
                    "Lifecycle Stage\n"
                    "101,Alpha,alpha.example,5000000,2022-01-04 10:00,Customer\n"
                    "102,Beta,beta.example,1200000,2023-03-09 09:30,Evangelist\n"
                    "103,Gamma,gamma.example,800000,2024-05-01 08:00,Lead\n", encoding="utf-8")
    wizard = _wizard(qtbot, db, path)
    wizard.file_page.entity.setCurrentIndex(wizard.file_page.entity.findData("accounts"))
    wizard.next()
    assert wizard.mapping_page.combos["Lifecycle Stage"].currentData() == "status"
    assert wizard.mapping_page.combos["Create Date"].currentData() == "custom"
    with qtbot.waitSignal(wizard.preview_page.finished, timeout=30_000):
        wizard.next()
    preview = wizard.preview_page
    assert "2 new" in preview.summary.text() and "1 in error" in preview.summary.text()
    assert preview.errors.item(0, 2).text() == "Lead"
    # All or nothing by default: Next stays off until the CSM asks for the valid rows.
    assert not preview.isComplete()
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    assert preview.skip_invalid.isVisible() and not preview.skip_invalid.isChecked()
    box = preview.skip_invalid  # clicked on its box, where a CSM clicks
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))
    assert preview.isComplete() and "the 1 row in error left out" in preview.summary.text()
    with qtbot.waitSignal(wizard.imported, timeout=30_000) as done:
        qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton),
                         Qt.MouseButton.LeftButton)
    assert done.args[0].inserted == 2 and done.args[0].rows_left_out == 1
    assert "1 row in error was left out, as you chose" in wizard.apply_page.summary.text()
    with db.read() as s:
        statuses = {a.external_id: a.status.value for a in s.scalars(select(Account))}
    assert statuses == {"101": "active", "102": "active"}


def test_the_mapping_page_lists_a_choice_columns_values_and_the_csm_maps_the_unknown_ones(  # type: ignore[no-untyped-def]
        qtbot, db: Database, tmp_path: Path) -> None:
    path = tmp_path / "hubspot-companies.csv"
    path.write_text("Record ID,Company name,Lifecycle Stage\n101,Alpha,Customer\n"
                    "102,Beta,Customer\n103,Gamma,Evangelist\n104,Delta,Lead\n105,Eps,Other\n",
                    encoding="utf-8")
    wizard = _wizard(qtbot, db, path)
    wizard.file_page.entity.setCurrentIndex(wizard.file_page.entity.findData("accounts"))
    wizard.next()
    page = wizard.mapping_page
    shown = {(page.values.item(r, 1).text(), page.values.item(r, 2).text(),
              page.values.cellWidget(r, 3).currentData()) for r in range(page.values.rowCount())}
    assert shown == {("Customer", "2", "active"), ("Evangelist", "1", "active"),
                     ("Lead", "1", None), ("Other", "1", None)}
    assert "2 values unknown" in page.values_label.text()
    lead = page.value_combos[("Lifecycle Stage", "Lead")]
    lead.setCurrentIndex(lead.findData("churned"))
    other = page.value_combos[("Lifecycle Stage", "Other")]
    other.setCurrentIndex(other.findData("active"))
    assert "each imports as shown" in page.values_label.text()
    with qtbot.waitSignal(wizard.preview_page.finished, timeout=30_000):
        wizard.next()
    assert "5 new" in wizard.preview_page.summary.text()
    assert "0 in error" in wizard.preview_page.summary.text()
    with qtbot.waitSignal(wizard.imported, timeout=30_000):
        wizard.next()
    with db.read() as s:
        statuses = {a.external_id: a.status.value for a in s.scalars(select(Account))}
    assert statuses == {"101": "active", "102": "active", "103": "active", "104": "churned",
                        "105": "active"}


def test_a_workbooks_sheet_is_picked_and_imported(qtbot, db: Database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.workbooks import titled_workbook

    path = tmp_path / "crm.xlsx"
    titled_workbook(path, cover=("Read me", "Accounts are on the next sheet"),
                    sheet="Companies", title="Companies, exported 2026-11-20",
                    header=["Company ID", "Company name", "Customer since"],
                    rows=[["C-1", "Acme", 44289],  # a date serial
                          ["C-2", "@risk +1", None]])

    wizard = _wizard(qtbot, db, path)
    page = wizard.file_page
    assert page.form.isRowVisible(page.sheet) and not page.encoding.isEnabled()
    qtbot.waitUntil(lambda: wizard.sheet is not None, timeout=30_000)
    assert "cannot tell what crm.xlsx holds" in page.detected.text()  # the cover sheet
    assert [page.sheet.itemText(i) for i in range(page.sheet.count())] == \
        ["Read me (1 row)", "Companies (5 rows)"]
    assert page.sheet.currentData() == "Read me"  # the first with anything in it
    first = wizard.sheet
    assert first is not None and first.info.path.exists()

    page.sheet.setCurrentIndex(page.sheet.findData("Companies"))
    qtbot.waitUntil(lambda: "Header on row 3; rows 1–2 are a title" in page.detected.text(),
                    timeout=30_000)
    assert not first.info.path.exists()  # the other sheet's temporary CSV is gone
    assert page.isComplete()
    page.entity.setCurrentIndex(page.entity.findData("accounts"))
    wizard.next()

    mapping = wizard.mapping_page
    assert mapping.combos["Company ID"].currentData() == "external_id"
    assert "Acme" in mapping.table.item(1, 1).text()
    with qtbot.waitSignal(wizard.preview_page.finished, timeout=30_000):
        wizard.next()
    assert wizard.preview_page.summary.text().startswith("2 new, 0 updated")
    with qtbot.waitSignal(wizard.imported, timeout=30_000) as done:
        wizard.next()
    assert done.args[0].inserted == 2 and done.args[0].sheet == "Companies"
    with db.read() as s:
        accounts = {a.external_id: a for a in s.scalars(select(Account))}
    assert accounts["C-1"].customer_since.isoformat() == "2021-04-03"
    assert accounts["C-2"].name == "@risk +1"
    temp = wizard.sheet.info.path
    wizard.accept()
    assert not temp.exists()  # removed when the wizard closes


def test_a_first_import_of_money_asks_which_currency_totals_are_in(  # type: ignore[no-untyped-def]
        qtbot, db: Database, tmp_path: Path) -> None:
    from csdesk.services.money import base_currency
    from tests.e2e.conftest import shoot

    accounts = tmp_path / "accounts.csv"
    accounts.write_text("Account ID,Account Name\nA-1,Alpha GmbH\nA-2,Beta Ltd\n",
                        encoding="utf-8")
    from csdesk.services.sync.importer import ImportRequest, run_import

    assert run_import(db, ImportRequest(accounts, entity="accounts")).written
    subs = tmp_path / "contracts.csv"
    subs.write_text("Subscription ID,Account ID,Start,End,ARR,Currency\n"
                    "S-1,A-1,2026-01-01,2026-12-31,50000,eur\n"
                    "S-2,A-2,2026-01-01,2026-12-31,20000,GBP\n"
                    "S-3,A-1,2026-01-01,2026-12-31,1000,€\n", encoding="utf-8")
    wizard = _wizard(qtbot, db, subs)
    page = wizard.file_page
    page.entity.setCurrentIndex(page.entity.findData("subscriptions"))
    wizard.next()
    with qtbot.waitSignal(wizard.preview_page.finished, timeout=30_000):
        wizard.next()
    preview = wizard.preview_page
    assert preview.base_row.isVisible()
    combo = preview.base_currency
    # the file's currencies, most used first (€ and eur are one), US dollars not among them
    assert [combo.itemData(i) for i in range(combo.count())] == ["EUR", "GBP"]
    assert combo.currentData() == "EUR"
    assert "exchange rates" in preview.base_note.text()
    combo.setCurrentIndex(combo.findData("GBP"))
    shoot(qtbot, wizard, "test_a_first_import_of_money_asks_which_currency_totals_are_in")
    with qtbot.waitSignal(wizard.imported, timeout=30_000):
        wizard.next()
    assert base_currency(db) == "GBP"  # chosen once, kept as the book's
