"""The import wizard on product-analytics exports (Pendo, Mixpanel, Amplitude), clicked
through as a CSM does: what matched which account, what did not, and the usage it writes."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from PySide6.QtCore import QDate, QPoint, Qt
from PySide6.QtWidgets import QTabWidget, QWizard
from sqlalchemy import select

from csdesk import clock
from csdesk.db import Database
from csdesk.models import Account, UsageSnapshot
from csdesk.services.sync.importer import ImportRequest, run_import
from csdesk.ui.import_wizard import ImportWizard
from csdesk.ui.tasks import TaskRunner
from tests.test_cli_usage_exports import ACCOUNTS, AMPLITUDE, MIXPANEL, PENDO


def _csv(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


def _book(db: Database, tmp_path: Path) -> None:
    assert run_import(db, ImportRequest(_csv(tmp_path / "accounts.csv", ACCOUNTS),
                                        entity="accounts")).inserted == 5


def _wizard(qtbot, db: Database, path: Path) -> ImportWizard:  # type: ignore[no-untyped-def]
    wizard = ImportWizard(db, TaskRunner(), path)
    qtbot.addWidget(wizard)
    wizard.show()
    return wizard


def _click_next(qtbot, wizard: ImportWizard) -> None:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), Qt.MouseButton.LeftButton)


def _click_tab(qtbot, tabs: QTabWidget, title: str) -> None:  # type: ignore[no-untyped-def]
    bar = tabs.tabBar()
    at = next(i for i in range(tabs.count()) if tabs.tabText(i).startswith(title))
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(at).center())
    assert tabs.currentIndex() == at


def _click_box(qtbot, box) -> None:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))


def _usage(db: Database) -> dict[tuple[str, str], tuple[int | None, ...]]:
    with db.read() as s:
        rows = s.execute(select(Account.external_id, UsageSnapshot.date,
                                UsageSnapshot.active_users, UsageSnapshot.key_events,
                                UsageSnapshot.logins)
                         .join(Account, Account.id == UsageSnapshot.account_id)).all()
    return {(e, d.isoformat()): (u, k, lg) for e, d, u, k, lg in rows}


def _accounts_table(wizard: ImportWizard) -> list[tuple[str, ...]]:
    table = wizard.preview_page.accounts
    return [tuple(table.item(r, c).text() for c in range(4)) for r in range(table.rowCount())]


def test_a_mixpanel_csv_shows_what_matched_and_imports_the_measure_chosen(  # type: ignore[no-untyped-def]
        qtbot, db: Database, tmp_path: Path) -> None:
    _book(db, tmp_path)
    wizard = _wizard(qtbot, db, _csv(tmp_path / "mixpanel-insights.csv", MIXPANEL))
    assert "usage" in wizard.file_page.detected.text().casefold()
    _click_next(qtbot, wizard)
    page = wizard.mapping_page
    assert page.measure.isVisibleTo(page) and not page.as_of.isVisibleTo(page)
    assert page.measure.currentData() == "active_users"  # "[Unique Users]"
    page.measure.setCurrentIndex(page.measure.findData("logins"))
    assert page.combos["value"].currentData() == "logins"
    with qtbot.waitSignal(wizard.preview_page.finished, timeout=30_000):
        _click_next(qtbot, wizard)
    preview = wizard.preview_page
    text = preview.summary.text()
    assert "6 new" in text and "2 in error" in text
    assert ("Accounts: 3 accounts matched: 1 by id, 1 by domain, 1 by name; 1 not found: "
            "Hooli (3 date cells); 1 ambiguous: Umbrella (3 date cells, could be Umbrella Ltd "
            "or Umbrella Limited).") in text
    assert "Note: a wide layout (one column per date): 7 rows × 3 date columns" in text
    assert preview.tabs.tabText(preview.tabs.indexOf(preview.accounts)) == \
        "Accounts (2 not matched)"
    _click_tab(qtbot, preview.tabs, "Accounts")
    assert _accounts_table(wizard) == [
        ("Hooli", "⚠ not found", "—", "3"),
        ("Umbrella", "⚠ ambiguous", "Umbrella Ltd or Umbrella Limited", "3"),
        ("ACC-1", "by id", "Acme, Inc.", "2"),
        ("https://www.globex.de/", "by domain", "Globex GmbH", "2"),
        ("Initech", "by name", "Initech LLC", "2")]
    _click_tab(qtbot, preview.tabs, "Problems")
    assert [(preview.errors.item(r, 0).text(), preview.errors.item(r, 1).text())
            for r in range(preview.errors.rowCount())] == [("7", "$group_id"), ("8", "$group_id")]
    assert not preview.isComplete()
    _click_box(qtbot, preview.skip_invalid)
    with qtbot.waitSignal(wizard.imported, timeout=30_000) as done:
        _click_next(qtbot, wizard)
    assert done.args[0].inserted == 6
    assert _usage(db) == {("ACC-1", "2026-10-05"): (None, None, 20),
                          ("ACC-1", "2026-10-19"): (None, None, 25),
                          ("ACC-2", "2026-10-05"): (None, None, 4),
                          ("ACC-2", "2026-10-12"): (None, None, 0),
                          ("ACC-3", "2026-10-12"): (None, None, 6),
                          ("ACC-3", "2026-10-19"): (None, None, 7)}


def test_a_pendo_account_report_is_the_usage_of_the_day_chosen(  # type: ignore[no-untyped-def]
        qtbot, db: Database, tmp_path: Path) -> None:
    _book(db, tmp_path)
    with clock.pin(date(2026, 11, 26)):
        wizard = _wizard(qtbot, db, _csv(tmp_path / "pendo-accounts.csv", PENDO))
        _click_next(qtbot, wizard)
        page = wizard.mapping_page
        assert page.as_of.isVisibleTo(page) and not page.measure.isVisibleTo(page)
        assert page.as_of.date() == QDate(2026, 11, 26)  # today, until the CSM says
        page.as_of.setDate(QDate(2026, 11, 20))
        with qtbot.waitSignal(wizard.preview_page.finished, timeout=30_000):
            _click_next(qtbot, wizard)
    preview = wizard.preview_page
    assert "Note: no date column: the snapshot of 2026-11-20, as given" in preview.summary.text()
    assert "1 not found: Foo Ltd (1 row)" in preview.summary.text()
    _click_tab(qtbot, preview.tabs, "Accounts")
    table = _accounts_table(wizard)
    assert table[0] == ("Foo Ltd", "⚠ not found", "—", "1")
    assert ("ACME INC", "by name", "Acme, Inc.", "1") in table
    assert ("globex.de", "by domain", "Globex GmbH", "1") in table
    _click_box(qtbot, preview.skip_invalid)
    with qtbot.waitSignal(wizard.imported, timeout=30_000):
        _click_next(qtbot, wizard)
    assert _usage(db) == {("ACC-1", "2026-11-20"): (41, None, None),
                          ("ACC-2", "2026-11-20"): (7, None, None),
                          ("ACC-3", "2026-11-20"): (5, None, None)}


def test_an_amplitude_chart_csv_under_its_title(  # type: ignore[no-untyped-def]
        qtbot, db: Database, tmp_path: Path) -> None:
    _book(db, tmp_path)
    path = tmp_path / "amplitude-chart.csv"
    path.write_text(AMPLITUDE, encoding="utf-8")
    wizard = _wizard(qtbot, db, path)
    _click_next(qtbot, wizard)
    assert wizard.mapping_page.measure.currentData() == "key_events"  # "Total events"
    with qtbot.waitSignal(wizard.preview_page.finished, timeout=30_000):
        _click_next(qtbot, wizard)
    preview = wizard.preview_page
    problems = [tuple(preview.errors.item(r, c).text() for c in range(4))
                for r in range(preview.errors.rowCount())]
    assert ("9", "Oct 12, 2026", "1.5", "not a whole number") in problems
    assert ("8", "company", "Nope Corp",
            "no account with this external id, domain or name in the book") in problems
    _click_box(qtbot, preview.skip_invalid)
    with qtbot.waitSignal(wizard.imported, timeout=30_000):
        _click_next(qtbot, wizard)
    assert {k: v[1] for k, v in _usage(db).items()} == {
        ("ACC-2", "2026-10-05"): 11, ("ACC-2", "2026-10-19"): 13,
        ("ACC-1", "2026-10-05"): 5, ("ACC-1", "2026-10-12"): 6,
        ("ACC-5", "2026-10-12"): 1, ("ACC-3", "2026-10-05"): 3, ("ACC-3", "2026-10-19"): 4}
