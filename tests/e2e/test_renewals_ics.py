"""Renewals: the CSM switches the calendar to quarters, steps to the next one, lists what the
calendar shows and exports it as an .ics for their calendar app. The file holds exactly the
renewals of that quarter: worked out here from the book's pending renewals."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from icalendar import Calendar
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QLineEdit
from sqlalchemy import func, select

from csdesk.db import Database
from csdesk.models import Account, Renewal
from csdesk.models.enums import AccountStatus, RenewalOutcome
from csdesk.services.formatting import format_date
from tests.conftest import AS_OF
from tests.e2e.conftest import (
    accept_until_closed,
    button,
    choose,
    click,
    combo_with,
    nav_to,
    open_window,
    when_shown,
)

FIRST, LAST = date(2027, 1, 1), date(2027, 3, 31)  # the quarter after 22 Nov 2026's


def _next_renewals_in_quarter(db: Database) -> dict[str, date]:
    """Each live account's next pending renewal (from today on), kept when it falls in Q1
    2027: name → date, straight from the renewals table."""
    with db.read() as s:
        nxt = (select(Renewal.account_id, func.min(Renewal.renewal_date).label("due"))
               .where(Renewal.outcome == RenewalOutcome.PENDING, Renewal.renewal_date >= AS_OF)
               .group_by(Renewal.account_id).subquery())
        rows = s.execute(select(Account.name, nxt.c.due).join(nxt, nxt.c.account_id == Account.id)
                         .where(Account.status == AccountStatus.ACTIVE)).all()
    return {name: due for name, due in rows if FIRST <= due <= LAST}


def _save_as(qtbot: Any, path: Path, seen: list[str]) -> None:
    def answer(dialog: QFileDialog) -> None:
        seen.append(dialog.windowTitle())
        name = dialog.findChild(QLineEdit, "fileNameEdit")
        name.selectAll()
        qtbot.keyClicks(name, str(path))
        accept_until_closed(qtbot, dialog)

    when_shown(qtbot, QFileDialog, answer)


def test_next_quarters_renewals_go_to_the_calendar_app(qtbot, demo_db: Database,  # type: ignore[no-untyped-def]
                                                        tmp_path: Path, screenshot) -> None:
    expected = _next_renewals_in_quarter(demo_db)
    assert len(expected) > 10
    window = open_window(qtbot, demo_db)
    nav_to(qtbot, window, "Renewals")
    view = window.renewals
    qtbot.waitUntil(lambda: view.table.model().rowCount() > 0)
    # 1280 px: the pipeline has the room, and the calendar is a click away
    qtbot.waitUntil(lambda: view.calendar_button.text() == "Show calendar")
    click(qtbot, button(view, "Show calendar"))

    click(qtbot, button(view, "Quarter"))
    assert view.period.text() == "Q4 2026"
    click(qtbot, button(view, "▶"))
    assert view.period.text() == "Q1 2027"
    choose(qtbot, combo_with(view, "Next 30 days"), "Calendar view")

    # The list is the quarter's renewals, every one of them.
    model = view.table.model()
    heads = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    listed = {model.index(r, heads.index("Account")).data():
              model.index(r, heads.index("Renews")).data() for r in range(model.rowCount())}
    assert listed == {name: format_date(due) for name, due in expected.items()}

    target = tmp_path / "renewals Q1 2027.ics"
    titles: list[str] = []
    _save_as(qtbot, target, titles)
    with qtbot.waitSignal(view.exported, timeout=20_000) as written:
        click(qtbot, button(view, "Export .ics…"))
    assert titles == ["Export renewals as a calendar"]
    assert written.args == [target]

    events = [e for e in Calendar.from_ical(target.read_bytes()).walk("VEVENT")]
    in_file = {str(e["summary"]).removeprefix("Renewal: ").rsplit(" (", 1)[0]:
               e.decoded("dtstart") for e in events}
    assert len(events) == len(expected)  # one event per renewal, none twice
    assert in_file == expected
    assert len({str(e["uid"]) for e in events}) == len(events)

    # Stepping on moves the list with the calendar.
    click(qtbot, button(view, "▶"))
    assert view.period.text() == "Q2 2027"
    assert all(model.index(r, heads.index("Renews")).data()[3:6] in ("Apr", "May", "Jun")
               for r in range(model.rowCount()))
    click(qtbot, button(view, "◀"))
    screenshot(window)
