"""The window's first paint: the book's names on screen before the rest of csdesk loads, then
the main window takes over the same table, keeping what the CSM did meanwhile."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from csdesk.config import DatabaseLocation, resolve_database
from csdesk.db import Database
from csdesk.services.book.accounts import account_table
from csdesk.services.book.table import first_table
from csdesk.ui import first_paint
from csdesk.ui.accounts_model import HEALTH, NAME

LEGACY = "AT&T <Legacy> 日本"


def test_the_first_paint_loads_neither_the_storage_layer_nor_pandas() -> None:
    """What the first paint imports is what it costs: Qt and the light modules only."""
    code = ("import sys, csdesk.cli.main, csdesk.ui.first_paint\n"
            "heavy = ('sqlalchemy', 'pandas', 'numpy', 'csdesk.db.database',"
            " 'csdesk.models.account', 'csdesk.ui.main_window', 'matplotlib')\n"
            "print(','.join(m for m in heavy if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, env={"QT_QPA_PLATFORM": "offscreen",
                                             "PATH": "/usr/bin:/bin"}).stdout.strip()
    assert loaded == ""


def test_the_first_table_has_the_names_the_book_table_opens_with(demo_db: Database) -> None:
    assert demo_db.path is not None
    first = first_table(demo_db.path)
    assert first is not None and first.figures_pending and first.renewals_pending
    names = account_table(demo_db, figures=False)
    full = account_table(demo_db)
    assert first.rows == names.rows
    assert first.base_currency == full.base_currency
    # the same accounts in the same order as the full table, the awkward name among them
    assert [r[0] for r in first.rows] == [r[0] for r in full.rows]
    assert LEGACY in {r[first.index("name")] for r in first.rows}


def test_an_unreadable_file_gets_no_first_paint(tmp_path: Path) -> None:
    assert first_table(tmp_path / "missing.sqlite") is None
    text = tmp_path / "notes.sqlite"
    text.write_text("not a database", encoding="utf-8")
    assert first_table(text) is None
    empty = tmp_path / "empty.sqlite"
    sqlite3.connect(empty).close()  # a SQLite file, but not a book
    assert first_table(empty) is None
    assert first_table(None) is None


def test_a_value_this_version_does_not_know_gets_no_first_paint(
        demo_location: DatabaseLocation) -> None:
    assert demo_location.path is not None
    with sqlite3.connect(demo_location.path) as conn:
        conn.execute("PRAGMA ignore_check_constraints = ON")
        conn.execute("UPDATE accounts SET segment = 'galactic' WHERE id = 1")
    assert first_table(demo_location.path) is None


def _shell() -> first_paint.FirstPaint | None:
    for w in QApplication.topLevelWidgets():
        if isinstance(w, first_paint.FirstPaint) and w.isVisible():
            return w
    return None


def _window():  # type: ignore[no-untyped-def]
    from csdesk.ui.main_window import MainWindow

    for w in QApplication.topLevelWidgets():
        if isinstance(w, MainWindow) and w.isVisible():
            return w
    return None


def test_the_names_show_first_and_the_window_keeps_what_was_done_meanwhile(
        qtbot, demo_location: DatabaseLocation, pinned_today) -> None:  # type: ignore[no-untyped-def]
    """Filter and open an account in the first paint: the main window takes over the same
    table with the filter kept, opens the account, and fills in the figures."""
    assert demo_location.path is not None
    seen: dict[str, object] = {}

    def drive() -> int:
        qtbot.waitUntil(lambda: _shell() is not None, timeout=10_000)
        shell = _shell()
        assert shell is not None
        view = shell.accounts
        model = view.table.model()
        seen["names"] = model.rowCount()
        assert model.rowCount() > 0 and view.table.isVisible()
        name = model.index(model.rowCount() // 2, NAME).data()  # a live account
        seen["name"] = name
        qtbot.keyClicks(view.filter_edit, name)
        qtbot.waitUntil(lambda: model.rowCount() == 1)
        assert model.index(0, NAME).data() == name
        assert model.index(0, HEALTH).data() in (None, "", "…")  # its figures still to come
        view.table.setCurrentIndex(model.index(0, NAME))
        view.table.setFocus()
        qtbot.keyClick(view.table, Qt.Key.Key_Return)  # open it before the window is ready
        qtbot.waitUntil(lambda: _window() is not None, timeout=30_000)
        window = _window()
        seen["same view"] = window.accounts is view
        qtbot.waitUntil(lambda: window.table is not None and not window.table.figures_pending,
                        timeout=30_000)
        seen["filter"] = view.filter_edit.text()
        seen["rows"] = [model.index(r, NAME).data() for r in range(model.rowCount())]
        seen["health"] = model.index(0, HEALTH).data()
        seen["tabs"] = [window.account_tabs.tabText(i)
                        for i in range(window.account_tabs.count())]
        seen["shell gone"] = _shell() is None
        window.close()
        return 0

    assert first_paint.launch(demo_location, run=drive) == 0
    assert seen["same view"] is True and seen["shell gone"] is True
    name = seen["name"]
    assert seen["filter"] == name and seen["rows"] == [name]
    assert name in [t.replace("&&", "&") for t in seen["tabs"]]  # type: ignore[attr-defined]
    with Database.open(demo_location) as db:
        full = account_table(db)
    row = next(r for r in full.rows if r[full.index("name")] == name)
    score = row[full.index("health_score")]
    assert isinstance(score, (int, float))  # a live account has a score in the demo book
    assert str(seen["health"]).startswith(f"{score:.0f}")


def test_a_server_book_starts_the_ordinary_way(monkeypatch: pytest.MonkeyPatch) -> None:
    """No file to glance at: the ordinary start, with every check."""
    started: list[str] = []
    monkeypatch.setattr("csdesk.ui.app.run_gui",
                        lambda location, **_: started.append(location.url) or 0)
    location = resolve_database("postgresql://csm@localhost/book")
    assert first_paint.launch(location) == 0 and started == [location.url]
