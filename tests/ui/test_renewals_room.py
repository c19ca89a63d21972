"""The pipeline gets the room it needs: in a narrow window the calendar gives way until the
CSM asks for it, and that choice is remembered."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt

from csdesk.db import Database
from csdesk.ui.main_window import VIEWS
from tests.ui.conftest import open_window


def _renewals(qtbot: Any, db: Database, settings: QSettings, width: int) -> Any:
    window = open_window(qtbot, db, settings)
    window.resize(width, 800)
    view = window.renewals
    with qtbot.waitSignal(view.loaded, timeout=20_000):
        window.nav.setCurrentRow(VIEWS.index("renewals"))
    qtbot.waitUntil(lambda: view.table.model().rowCount() > 0, timeout=20_000)
    return window, view


def _whole_pipeline_shown(view: Any) -> bool:
    """Every column's right edge inside the visible table, with no sideways scroll bar."""
    header = view.table.horizontalHeader()
    last = header.count() - 1
    return (not view.table.horizontalScrollBar().isVisible()
            and header.sectionViewportPosition(last) + header.sectionSize(last) - 1
            <= view.table.viewport().width()
            and all(header.sectionSize(c) >= 30 for c in range(header.count())))


def test_narrow_window_gives_the_pipeline_the_room_and_remembers_the_choice(
        qtbot: Any, demo_db: Database, tmp_path: Path, pinned_today: date) -> None:
    # (the demo book's day, whatever the date: its pipeline's columns need more than the
    # room beside the calendar at 1200 px)
    settings = QSettings(str(tmp_path / "layout.ini"), QSettings.Format.IniFormat)
    window, view = _renewals(qtbot, demo_db, settings, 1200)
    # 1200 px: the calendar gives way, and every column of the pipeline is in view
    qtbot.waitUntil(lambda: view.grid.isHidden(), timeout=5_000)
    assert view.calendar_button.text() == "Show calendar"
    assert view.month_button.isHidden() and view.legend.isHidden()
    qtbot.waitUntil(lambda: _whole_pipeline_shown(view), timeout=5_000)

    # The CSM asks for the calendar: it comes back with its month, and stays through a resize
    qtbot.mouseClick(view.calendar_button, Qt.MouseButton.LeftButton)
    assert view.grid.isVisible() and view.month_button.isVisible()
    assert view.calendar_button.text() == "Hide calendar"
    window.resize(1180, 800)
    qtbot.wait(50)
    assert view.grid.isVisible()
    window.close()

    # …and in the next session too, however narrow the window
    window, view = _renewals(qtbot, demo_db, settings, 1200)
    qtbot.wait(50)
    assert view.grid.isVisible() and view.calendar_button.text() == "Hide calendar"
    # hidden by hand, it stays hidden in a wide window
    qtbot.mouseClick(view.calendar_button, Qt.MouseButton.LeftButton)
    window.resize(1900, 900)
    qtbot.wait(50)
    assert view.grid.isHidden()
    window.close()
    window, view = _renewals(qtbot, demo_db, settings, 1900)
    qtbot.wait(50)
    assert view.grid.isHidden() and view.calendar_button.text() == "Show calendar"


def test_wide_window_shows_the_calendar_beside_the_whole_pipeline(
        qtbot: Any, demo_db: Database, tmp_path: Path, pinned_today: date) -> None:
    settings = QSettings(str(tmp_path / "layout.ini"), QSettings.Format.IniFormat)
    window, view = _renewals(qtbot, demo_db, settings, 1600)
    qtbot.waitUntil(lambda: _whole_pipeline_shown(view), timeout=5_000)
    assert view.grid.isVisible() and view.calendar_button.text() == "Hide calendar"
    # narrowed, it gives way (the CSM has not chosen); widened again, it comes back
    window.resize(1200, 800)
    qtbot.waitUntil(lambda: view.grid.isHidden(), timeout=5_000)
    window.resize(1600, 900)
    qtbot.waitUntil(lambda: view.grid.isVisible(), timeout=5_000)


def test_churn_post_mortem_shows_its_titles_and_names_whole(
        qtbot: Any, demo_db: Database, tmp_path: Path, pinned_today: date) -> None:
    settings = QSettings(str(tmp_path / "layout.ini"), QSettings.Format.IniFormat)
    _window, view = _renewals(qtbot, demo_db, settings, 1200)
    view.tabs.setCurrentWidget(view.churn_panel)
    panel = view.churn_panel
    qtbot.waitUntil(lambda: panel.cases.rowCount() > 0, timeout=20_000)
    for table in (panel.reasons, panel.cases):
        header = table.horizontalHeader()
        metrics = header.fontMetrics()
        for c in range(table.columnCount()):
            title = table.horizontalHeaderItem(c).text()
            # the title and the sort arrow beside it fit ("Churned ARR" was cut to "hurned AR")
            assert header.sectionSize(c) >= metrics.horizontalAdvance(title) + 14, title
            if header.sectionResizeMode(c) != header.ResizeMode.Stretch:
                widest = max(table.fontMetrics().horizontalAdvance(table.item(r, c).text())
                             for r in range(table.rowCount()))
                assert header.sectionSize(c) >= min(widest, 250), (title, widest)
