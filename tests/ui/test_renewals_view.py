"""The Renewals view: months and quarters, chips that open the account, the list, .ics."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import shiboken6
from icalendar import Calendar
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QDialogButtonBox, QLineEdit, QPushButton

from csdesk import clock
from csdesk.db import Database
from csdesk.services.renewals.pipeline import pipeline
from csdesk.ui.accounts_model import ID_ROLE
from csdesk.ui.pipeline_model import DAYS, NAME, TRACK
from tests.book_facts import next_renewals
from tests.conftest import AS_OF
from tests.ui.conftest import open_window, when_shown


def _listed(view) -> dict[int, int]:  # type: ignore[no-untyped-def]
    """Account id → days to go, of each renewal the list shows (as its cells read)."""
    model = view.table.model()
    out = {model.index(i, NAME).data(ID_ROLE): int(model.index(i, DAYS).data())
           for i in range(model.rowCount())}
    assert len(out) == model.rowCount()
    return out


def _column(view, column: int) -> list[str]:  # type: ignore[no-untyped-def]
    model = view.table.model()
    return [model.index(i, column).data() for i in range(model.rowCount())]


def test_calendar_navigation_chips_list_and_ics(qtbot, demo_db: Database,  # type: ignore[no-untyped-def]
                                                tmp_path: Path) -> None:
    with clock.pin(AS_OF):  # the window's loads, and the view, take today from the clock
        window = open_window(qtbot, demo_db)
    window.resize(1600, 900)  # room for the calendar beside the whole pipeline
    view = window.renewals
    view.today = AS_OF
    view.go_today()
    with qtbot.waitSignal(view.loaded, timeout=20_000):
        view.reload()
    window.nav.setCurrentRow(3)
    qtbot.waitUntil(view.grid.isVisible)
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
    november = [r for r in rows if (r.renewal_date.year, r.renewal_date.month) == (2026, 11)]
    # The largest renewal of its day is drawn first, so its chip is on screen however
    # crowded the day (the pipeline lists at-risk renewals first, not by day).
    first = max(november, key=lambda r: (r.arr_cents, -r.renewal_date.toordinal()))
    chip = view.grid.chip_at(first.account_id)
    assert chip is not None
    with qtbot.waitSignal(view.account_clicked) as opened:
        qtbot.mouseClick(view.grid, Qt.MouseButton.LeftButton,
                         pos=QPoint(int(chip.center().x()), int(chip.center().y())))
    assert opened.args == [first.account_id]

    view.within.setCurrentIndex(view.within.findData(30))
    soon = [r for r in rows if r.days_to_go <= 30]
    # By hand from the book: every live account whose next renewal is 30 days away or
    # less is listed, with its days; none further out is.
    due = {a: (when - AS_OF).days for a, when in next_renewals(demo_db, AS_OF).items()}
    for window in (90, 180, None, 30):  # each choice of the list, ending on 30 days
        view.within.setCurrentIndex(view.within.findData(window))
        by_hand = {a: days for a, days in due.items() if window is None or days <= window}
        assert _listed(view) == by_hand and by_hand, window
        assert window is None or any(days > window for days in due.values())
    assert 30 in due.values()  # one renews on the window's last day: it is listed
    assert "Auto-renew" in view.totals.text() or "At risk" in view.totals.text()
    # Rows in €/£ beside $: the totals say they are converted (as the command line says).
    view.within.setCurrentIndex(view.within.findData(None))
    foreign = sorted({r.currency for r in view.listed()} - {"USD"})
    assert foreign and (f"Totals in USD, the base currency, at today's rates (some renewals "
                        f"are in {', '.join(foreign)})") in view.totals.text()
    view.within.setCurrentIndex(view.within.findData(30))
    with qtbot.waitSignal(view.exported, timeout=20_000):  # written off the GUI thread
        path = view.export_ics(tmp_path / "renewals.ics")
    events = Calendar.from_ical(path.read_bytes()).walk("VEVENT")
    assert {e.decoded("dtstart") for e in events} == {r.renewal_date for r in soon}
    assert all(isinstance(e.decoded("dtstart"), date) for e in events)


def test_filters_forecast_churn_and_settings(qtbot, demo_db: Database) -> None:  # type: ignore[no-untyped-def]
    from csdesk.services.renewals.churn import churn_analysis
    from csdesk.services.renewals.forecast import forecast_accuracy
    from csdesk.services.settings import churn_reasons
    from csdesk.ui.renewal_settings import RenewalSettingsDialog
    from csdesk.ui.renewals_view import RenewalsView

    view = RenewalsView(demo_db, today=AS_OF)
    qtbot.addWidget(view)
    view.churn_panel.since.setCurrentIndex(view.churn_panel.since.findData(None))  # reloads
    rows = pipeline(demo_db, today=AS_OF)

    # Track and text filters narrow the list; the totals follow what is listed.
    view.within.setCurrentIndex(view.within.findData(None))
    view.track_filter.setCurrentIndex(view.track_filter.findData("at_risk"))
    at_risk = [r for r in rows if r.track == "at_risk"]
    assert set(_listed(view)) == {r.account_id for r in at_risk}
    assert set(_column(view, TRACK)) == {"At risk"}
    assert {r.track for r in rows if r.account_id not in _listed(view)} == {
        "standard", "auto_renew"}  # the rest are on the other tracks
    assert "Standard:" not in view.totals.text()
    assert f"At risk: {len(at_risk)}" in view.totals.text()
    target = at_risk[0]
    word = target.name.split()[0]
    view.search.setText(word.upper())
    assert set(_listed(view)) == {
        r.account_id for r in at_risk
        if word.casefold() in f"{r.name} {r.owner or ''} {r.external_id}".casefold()}
    assert target.account_id in _listed(view)
    view.search.setText("no account is called this")
    assert view.table.model().rowCount() == 0 and view.totals.text().startswith(
        "No renewals match")

    # Forecast accuracy: the four quarters before the one in progress, as the service says.
    acc = forecast_accuracy(demo_db, "2026Q3")
    table = view.forecast_panel.accuracy
    assert table.rowCount() == 4
    cells = {table.item(i, 0).text(): table.item(i, 4).text() for i in range(4)}
    assert cells["Q3 2026"] == f"{acc.accuracy:.1%}"
    # The quarter has begun: its dates are those still counted, and it says so.
    headline = view.forecast_panel.headline.text()
    assert "<b>In progress</b> · the rest of Q4 2026 (22 Nov – 31 Dec 2026): " in headline
    assert " renewals still to come, " in headline
    # and the next calendar quarter beside it (issue 21)
    assert "<b>Next quarter</b> · Q1 2027 (1 Jan – 31 Mar 2027)" in \
        view.forecast_panel.next_headline.text()

    # Churn post-mortem: every churned account, reasons ranked by ARR, open on double-click.
    churn = churn_analysis(demo_db)
    panel = view.churn_panel
    assert panel.cases.rowCount() == len(churn.cases) > 0
    labels = {c: lab for c, lab, _k in churn_reasons(demo_db)}
    top = max(churn.by_reason, key=churn.by_reason.__getitem__)
    assert panel.reasons.item(0, 0).text() == labels[top]
    controllable = churn.by_category["controllable"] / sum(churn.by_reason.values())
    assert f"{controllable:.0%}" in panel.headline.text()
    with qtbot.waitSignal(view.account_clicked) as opened:
        panel.cases.cellDoubleClicked.emit(0, 0)
    assert opened.args[0] in {c.account_id for c in churn.cases}

    # Settings, in the dialog really shown: a bad churn reason is refused beside its list and
    # nothing is saved; a good edit changes when SMB renewals start, and the view reloads.
    churn_before = churn_reasons(demo_db)
    steps: list[str] = []

    def click(widget) -> None:  # type: ignore[no-untyped-def]
        qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)

    def button(dialog: RenewalSettingsDialog, text: str) -> QPushButton:
        return next(b for b in dialog.findChildren(QPushButton) if b.text() == text)

    def cell_editor(dialog: RenewalSettingsDialog) -> QLineEdit:
        """The line edit open on a reasons cell (the table's only visible one)."""
        open_ = [w for w in dialog.reasons.viewport().findChildren(QLineEdit) if w.isVisible()]
        assert len(open_) == 1
        return open_[0]

    def type_into(editor: QLineEdit, text: str) -> None:
        editor.selectAll()
        qtbot.keyClicks(editor, text)
        if not text:
            qtbot.keyClick(editor, Qt.Key.Key_Delete)
        assert editor.text() == text
        qtbot.keyClick(editor, Qt.Key.Key_Return)  # the table commits on its next turn
        qtbot.waitUntil(lambda: not shiboken6.isValid(editor) or not editor.isVisible())

    def type_into_cell(dialog: RenewalSettingsDialog, row: int, text: str) -> None:
        table = dialog.reasons
        table.scrollToItem(table.item(row, 0))
        rect = table.visualItemRect(table.item(row, 0))
        qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        type_into(cell_editor(dialog), text)
        assert table.item(row, 0).text() == text

    def edit(dialog: RenewalSettingsDialog) -> None:
        dialog.activateWindow()
        spin = dialog.starts["smb"]
        spin.setFocus()
        spin.selectAll()  # the number, not the suffix
        qtbot.keyClicks(spin, "100")
        assert spin.value() == 100
        bar = dialog.tabs.tabBar()
        qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(1).center())
        assert dialog.tabs.currentIndex() == 1
        click(button(dialog, "Add reason"))
        row = dialog.reasons.rowCount() - 1
        type_into(cell_editor(dialog), "Champion left")  # Add opens the new row's label
        assert dialog.reasons.item(row, 0).text() == "Champion left"
        combo = dialog.reasons.cellWidget(row, 2)
        assert combo.currentText() == "controllable"
        type_into_cell(dialog, 0, "")  # the first reason's label wiped out
        save = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save)
        click(save)
        assert dialog.isVisible()  # refused: the dialog stays, saying why, beside the list
        assert "needs a code and a label" in dialog.reason_problem.text()
        assert churn_reasons(demo_db) == churn_before  # nothing was saved
        steps.append("refused")
        type_into_cell(dialog, 0, "Missed expectations")
        click(save)
        steps.append("saved")

    shown = when_shown(qtbot, RenewalSettingsDialog, edit)
    assert view.edit_settings()
    assert shown == ["Renewal settings"] and steps == ["refused", "saved"]
    after = churn_reasons(demo_db)
    assert ("champion_left", "Champion left", "controllable") in after
    assert after[0][1] == "Missed expectations"
    assert len(after) == len(churn_before) + 1
    smb = next(r for r in view.rows if r.segment == "smb" and r.days_to_go > 100)
    assert (smb.renewal_date - smb.process_start).days == 100


def test_pipeline_is_grouped_by_track_at_risk_first(qtbot, demo_db: Database) -> None:  # type: ignore[no-untyped-def]
    from csdesk.ui.renewals_view import RenewalsView

    view = RenewalsView(demo_db, today=AS_OF)
    qtbot.addWidget(view)
    view.reload()
    view.within.setCurrentIndex(view.within.findData(None))
    shown = list(zip(_column(view, TRACK), map(int, _column(view, DAYS)), strict=True))
    order = {"At risk": 0, "Standard": 1, "Auto-renew": 2}
    assert shown == sorted(shown, key=lambda r: (order[r[0]], r[1]))
    assert shown[0][0] == "At risk" and shown[-1][0] == "Auto-renew"


def test_a_churn_reason_in_any_script_gets_a_code(qtbot, db: Database) -> None:  # type: ignore[no-untyped-def]
    from csdesk.services.settings import churn_reasons
    from csdesk.ui.renewal_settings import RenewalSettingsDialog

    dialog = RenewalSettingsDialog(db)
    qtbot.addWidget(dialog)
    dialog._add_reason("買収された", "", "uncontrollable")
    dialog._add_reason("Merged & <renamed>", "", "uncontrollable")
    assert dialog.save()
    assert churn_reasons(db)[-2:] == [("reason_9", "買収された", "uncontrollable"),
                                      ("merged_renamed", "Merged & <renamed>", "uncontrollable")]


def test_the_checkpoint_column_reads_the_calendars_marks(qtbot, demo_db: Database) -> None:  # type: ignore[no-untyped-def]
    """Every listed renewal's Checkpoint cell names the day the calendar marks for it; a
    renewal in its last 30 days (every checkpoint passed) says which one passed, never "—"."""
    from csdesk.services.formatting import format_date
    from csdesk.services.renewals.pipeline import checkpoint_marks
    from csdesk.ui.pipeline_model import CHECKPOINT

    with clock.pin(AS_OF):
        window = open_window(qtbot, demo_db)
        view = window.renewals
        qtbot.waitUntil(lambda: view.table.model().rowCount() > 0, timeout=20_000)
        marked = {r.uid: day for day, rows in checkpoint_marks(view.grid.rows).items()
                  for r in rows}
        model = view.pipeline_model
        cells = [(model.row(i), model.index(i, CHECKPOINT).data())
                 for i in range(model.rowCount())]
    assert any(r.uid in marked for r, _ in cells)
    assert any(r.days_to_go < 30 for r, _ in cells)
    for r, text in cells:
        if r.uid in marked:
            assert text == format_date(marked[r.uid]), r.name
        else:  # in its last 30 days: its last checkpoint has passed
            assert r.days_to_go < 30 and text == f"passed {r.checkpoints[-1]:%d %b}"
