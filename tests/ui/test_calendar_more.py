"""The renewal calendar never hides a renewal without a sign: a crowded day ends with
"+N more", which lists them all; a quarter shows a count per day; checkpoint markers are
each renewal's next checkpoint only."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QMenu

from csdesk.db import Database
from csdesk.services.renewals.pipeline import pipeline
from csdesk.ui.renewals_view import CalendarGrid
from tests.conftest import AS_OF

DAY = date(2026, 12, 15)


def _crowded(db: Database, n: int):  # type: ignore[no-untyped-def]
    rows = pipeline(db, today=AS_OF)[:n]
    return [replace(r, renewal_date=DAY, account_id=r.account_id) for r in rows]


def test_a_crowded_day_says_how_many_more_and_lists_them(qtbot, demo_db: Database) -> None:  # type: ignore[no-untyped-def]
    rows = _crowded(demo_db, 9)
    grid = CalendarGrid()
    qtbot.addWidget(grid)
    grid.resize(900, 620)
    grid.show_months([(2026, 12)], rows, AS_OF)
    grid.show()
    qtbot.waitExposed(grid)
    grid.grab()  # painted
    chips = [a for _r, a in grid._hits]
    more = grid.more_at(DAY)
    assert more is not None and 0 < len(chips) < 9
    shown_and_listed = len(chips) + int(_more_count(grid))
    assert shown_and_listed == 9  # every renewal is either a chip or counted in "+N more"
    menu = grid.day_menu(DAY, rows)
    listed = [a.text() for a in menu.actions()][1:]
    assert len(listed) == 9 and all(" — " in t for t in listed)
    opened: list[int] = []
    grid.account_clicked.connect(opened.append)
    menu.actions()[-1].trigger()
    assert opened == [rows[-1].account_id]
    # A click on "+N more" really pops the list up.
    qtbot.mouseClick(grid, Qt.MouseButton.LeftButton, pos=more.center().toPoint())
    qtbot.waitUntil(lambda: isinstance(QApplication.activePopupWidget(), QMenu))
    QApplication.activePopupWidget().close()


def _more_count(grid: CalendarGrid) -> int:
    rows = next(r for _rect, _d, r in grid._more)
    return len(rows) - len(grid._hits)


def test_a_quarter_shows_a_count_per_day_and_next_checkpoints_only(
        qtbot, demo_db: Database) -> None:  # type: ignore[no-untyped-def]
    rows = pipeline(demo_db, today=AS_OF)
    grid = CalendarGrid()
    qtbot.addWidget(grid)
    grid.resize(420, 900)
    months = [(2027, 1), (2027, 2), (2027, 3)]
    grid.show_months(months, rows, AS_OF)
    grid.show()
    qtbot.waitExposed(grid)
    grid.grab()
    days = {r.renewal_date for r in rows if (r.renewal_date.year, r.renewal_date.month)
            in months}
    assert {d for _rect, d, _r in grid._more} == days  # one count per renewal day
    for _rect, d, listed in grid._more:
        assert len(listed) == sum(1 for r in rows if r.renewal_date == d)
    assert not grid._hits  # no unreadable slivers in a quarter
    pos = QPoint(int(grid._more[0][0].center().x()), int(grid._more[0][0].center().y()))
    qtbot.mouseClick(grid, Qt.MouseButton.LeftButton, pos=pos)
    qtbot.waitUntil(lambda: isinstance(QApplication.activePopupWidget(), QMenu))
    QApplication.activePopupWidget().close()


def test_a_checkpoint_mark_says_whose_renewal_it_belongs_to(
        qtbot, demo_db: Database) -> None:  # type: ignore[no-untyped-def]
    """A ▼ sits beside that day's renewal chips but is a later renewal's checkpoint: its
    tooltip and its menu name the account and the renewal date, and the legend says so."""
    from csdesk.services.formatting import format_date
    from csdesk.services.renewals.pipeline import checkpoint_marks
    from csdesk.ui.renewals_view import TIP_LINES, RenewalsView

    rows = pipeline(demo_db, today=AS_OF)
    marks = checkpoint_marks(rows)
    day = min(d for d in marks if d.month == AS_OF.month + 1)  # December's first mark
    grid = CalendarGrid()
    qtbot.addWidget(grid)
    grid.resize(900, 620)
    grid.show_months([(day.year, day.month)], rows, AS_OF)
    grid.show()
    qtbot.waitExposed(grid)
    grid.grab()
    rect = grid.mark_at(day)
    assert rect is not None
    tip = grid.tooltip_at(rect.center())
    assert tip is not None and f"{day:%d %b %Y}" in tip
    lines = [(f"{r.name} — {(r.renewal_date - day).days}-day checkpoint for the "
              f"{format_date(r.renewal_date)} renewal") for r in marks[day]]
    assert all(r.renewal_date > day for r in marks[day])  # others', not that day's renewals
    for line in lines[:TIP_LINES]:
        assert line in tip
    assert grid.tooltip_at(rect.adjusted(-40, 30, -40, 30).center()) is None  # off the mark
    menu = grid.checkpoint_menu(day, marks[day])  # every one of them, to open
    listed = [a.text() for a in menu.actions()][1:]
    assert len(listed) == len(lines)
    assert all(shown.startswith(line) for shown, line in zip(listed, lines, strict=True))
    opened: list[int] = []
    grid.account_clicked.connect(opened.append)
    menu.actions()[1].trigger()
    assert opened == [marks[day][0].account_id]
    qtbot.mouseClick(grid, Qt.MouseButton.LeftButton, pos=rect.center().toPoint())
    qtbot.waitUntil(lambda: isinstance(QApplication.activePopupWidget(), QMenu))
    QApplication.activePopupWidget().close()
    view = RenewalsView(demo_db, today=AS_OF)
    qtbot.addWidget(view)
    assert "later renewal's checkpoint" in view.legend.text()
