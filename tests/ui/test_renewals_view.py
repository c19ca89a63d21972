"""The Renewals view: months and quarters, chips that open the account, the list, .ics."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from icalendar import Calendar
from PySide6.QtCore import QPoint, Qt

from csdesk.db import Database
from csdesk.services.renewals import pipeline
from tests.conftest import AS_OF
from tests.ui.conftest import open_window


def test_calendar_navigation_chips_list_and_ics(qtbot, demo_db: Database,  # type: ignore[no-untyped-def]
                                                tmp_path: Path) -> None:
    window = open_window(qtbot, demo_db)
    view = window.renewals
    view.today = AS_OF
    view.go_today()
    with qtbot.waitSignal(view.loaded, timeout=20_000):
        view.reload()
    window.nav.setCurrentRow(3)
    assert view.period.text() == "November 2026"
    view.step(1)
    assert view.period.text() == "December 2026"
    view.quarter_button.click()
    assert view.period.text() == "Q4 2026" and view.months() == [(2026, 10), (2026, 11),
                                                                  (2026, 12)]
    view.step(1)
    assert view.period.text() == "Q1 2027"
    view.month_button.click()
    view.go_today()
    view.grid.repaint()

    rows = pipeline(demo_db, today=AS_OF)
    first = next(r for r in rows if r.renewal_date.month == 11 and r.renewal_date.year == 2026)
    chip = view.grid.chip_at(first.account_id)
    assert chip is not None
    with qtbot.waitSignal(view.account_clicked) as opened:
        qtbot.mouseClick(view.grid, Qt.MouseButton.LeftButton,
                         pos=QPoint(int(chip.center().x()), int(chip.center().y())))
    assert opened.args == [first.account_id]

    view.window.setCurrentIndex(view.window.findData(30))
    soon = [r for r in rows if r.days_to_go <= 30]
    assert view.table.rowCount() == len(soon)
    assert "Auto-renew" in view.totals.text() or "At risk" in view.totals.text()
    path = view.export_ics(tmp_path / "renewals.ics")
    events = Calendar.from_ical(path.read_bytes()).walk("VEVENT")
    assert {e.decoded("dtstart") for e in events} == {r.renewal_date for r in soon}
    assert all(isinstance(e.decoded("dtstart"), date) for e in events)
