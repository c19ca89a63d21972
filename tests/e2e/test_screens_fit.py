"""Issue 21, screens that fit the work: the pipeline's Owner column and calendar-quarter
windows, its splitter remembered across windows, and the next quarter's forecast one answer
in the view, the command line and the service."""

from __future__ import annotations

import html
import json
from datetime import date
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from csdesk.config import DatabaseLocation
from csdesk.db import Database
from csdesk.services.renewals.pipeline import pipeline
from csdesk.ui.accounts_model import ID_ROLE
from tests.conftest import AS_OF
from tests.e2e.conftest import choose, combo_with, nav_to, open_window, settle


def _pipeline(qtbot: Any, window: Any) -> Any:
    nav_to(qtbot, window, "Renewals")
    model = window.renewals.table.model()
    qtbot.waitUntil(lambda: model.rowCount() > 0, timeout=20_000)
    return model


def _cells(model: Any, title: str) -> dict[int, str]:
    heads = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    column = heads.index(title)
    return {model.index(r, 0).data(ID_ROLE): model.index(r, column).data()
            for r in range(model.rowCount())}


def test_pipeline_owner_column_and_next_quarter_window(qtbot: Any, demo_db: Database) -> None:
    window = open_window(qtbot, demo_db)
    model = _pipeline(qtbot, window)
    view = window.renewals
    choose(qtbot, combo_with(view, "Next 30 days"), "Every renewal")
    rows = pipeline(demo_db, today=AS_OF)
    owners = _cells(model, "Owner")
    assert owners == {r.account_id: r.owner or "—" for r in rows}
    assert len(set(owners.values())) > 2  # the demo book has several CSMs

    # "Next quarter" is the calendar's: every renewal from 1 Jan to 31 Mar 2027, and no
    # other (a fixed 90 days from 22 Nov would end on 20 Feb).
    choose(qtbot, combo_with(view, "Next 30 days"), "Next quarter (Q1 2027)")
    due = {r.account_id for r in rows if date(2027, 1, 1) <= r.renewal_date <= date(2027, 3, 31)}
    assert set(_cells(model, "Renews")) == due
    assert any(r.renewal_date > date(2027, 2, 20) for r in rows if r.account_id in due)
    choose(qtbot, combo_with(view, "Next 30 days"), "This quarter (Q4 2026)")
    assert set(_cells(model, "Renews")) == {
        r.account_id for r in rows if r.renewal_date <= date(2026, 12, 31)}


def test_pipeline_splitter_is_remembered(qtbot: Any, demo_db: Database) -> None:
    window = open_window(qtbot, demo_db)
    _pipeline(qtbot, window)
    view = window.renewals
    qtbot.waitUntil(lambda: view.calendar_button.text() == "Show calendar")
    qtbot.mouseClick(view.calendar_button, Qt.MouseButton.LeftButton)  # 1280 px: asked for
    qtbot.waitUntil(lambda: view.grid.isVisible())
    qtbot.wait(100)  # laid out with the calendar back
    split = view.splitter
    default = split.sizes()
    total = sum(default)
    # The user drags the handle: the calendar gets two thirds.
    split.moveSplitter(total * 2 // 3, 1)
    chosen = split.sizes()
    assert chosen != default and chosen[0] > chosen[1]
    window.close()

    again = open_window(qtbot, demo_db)
    _pipeline(qtbot, again)
    assert again.renewals.calendar_shown()  # the CSM's choice, kept
    # where the handle was left, to a few pixels (the calendar came back by a click there)
    restored = again.renewals.splitter.sizes()
    assert all(abs(a - b) <= 8 for a, b in zip(restored, chosen, strict=True)), (restored,
                                                                                 chosen)


def test_next_quarter_forecast_is_one_answer(qtbot: Any, demo_db: Database,
                                             demo_location: DatabaseLocation,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    from csdesk.cli.main import main
    from csdesk.services.renewals.forecast import describe_forecast, quarter_forecasts

    this, following = quarter_forecasts(demo_db, today=AS_OF)
    assert following.period == "2027Q1" and following.renewals > 0
    assert following.expected_arr_cents is not None

    assert main(["renewals", "forecast", "--as-of", AS_OF.isoformat(),
                 "--db", str(demo_location.path)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed == [f"This quarter: {describe_forecast(this)}",
                       f"Next quarter: {describe_forecast(following)}"]
    assert main(["renewals", "forecast", "--json", "--as-of", AS_OF.isoformat(),
                 "--db", str(demo_location.path)]) == 0
    quarters = json.loads(capsys.readouterr().out)["quarters"]
    assert [(q["period"], q["renewals"], q["arr_cents"], q["expected_arr_cents"],
             q["expected_grr"]) for q in quarters] == [
        (f.period, f.renewals, f.arr_cents, f.expected_arr_cents, f.expected_grr)
        for f in (this, following)]

    window = open_window(qtbot, demo_db)
    _pipeline(qtbot, window)
    settle(qtbot, window)
    view = window.renewals
    assert (view.forecast, view.forecast_next) == (this, following)
    assert f"Next quarter: {describe_forecast(following)}" in view.totals.text().splitlines()
    view.open_tab("forecast")
    assert html.escape(describe_forecast(following)) in \
        view.forecast_panel.next_headline.text()


def _percent(value: float | None) -> str:
    from csdesk.ui.portfolio_view import _pct

    return _pct(value)


def test_portfolio_period_picker_changes_figures_and_labels(qtbot: Any,
                                                            demo_db: Database) -> None:
    from csdesk.services.health.metrics import portfolio_view

    window = open_window(qtbot, demo_db)
    with qtbot.waitSignal(window.portfolio_loaded, timeout=30_000):
        nav_to(qtbot, window, "Portfolio")
    page = window.portfolio
    shown: dict[str, dict[str, tuple[str, str]]] = {}
    for choice, period, label, heading in (
            ("Last quarter (Q3 2026)", "2026Q3", "Q3 2026", "Q3 2026"),
            ("Trailing 12 months", "TTM:2026-11-22", "12 months to 22 Nov",
             "12 months to 22 Nov 2026"),
            ("This year to date", "2026", "2026 to 22 Nov", "2026 to 22 Nov")):
        if page.period.currentText() != choice:
            with qtbot.waitSignal(window.portfolio_loaded, timeout=30_000):
                choose(qtbot, combo_with(page, "Trailing 12 months"), choice)
        settle(qtbot, window)
        expected, _quarters = portfolio_view(demo_db, period)
        tiles = window.portfolio.tiles  # rebuilt for the period
        shown[period] = {k: (t.value_label.text(), t.period_label.text())
                         for k, t in tiles.items()}
        for key in ("nrr", "grr", "arr_renewal_rate", "logo_churn"):
            assert shown[period][key] == (_percent(expected.values[key]), label), key
        assert shown[period]["arr_red"][1] == "today, 22 Nov 2026"  # a figure of the day
        assert window.portfolio.heading.text().startswith(f"Portfolio — {heading} (")
    # The figures change with the period, not only their labels.
    assert shown["2026Q3"]["grr"][0] != shown["TTM:2026-11-22"]["grr"][0]
    assert shown["2026Q3"]["arr_renewal_rate"][0] != shown["2026"]["arr_renewal_rate"][0]


def test_account_tab_closes_with_a_quiet_button_and_headers_clear_the_arrow(
        qtbot: Any, demo_db: Database) -> None:
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QStyle, QStyleOptionHeader, QTabBar

    from csdesk.ui.named_tabs import QuietCloseButton
    from csdesk.ui.theme import SORT_ARROW_ROOM
    from tests.e2e.conftest import click, find_account

    window = open_window(qtbot, demo_db)
    page = find_account(qtbot, window, "ACC-000132")
    tabs = window.account_tabs
    index = tabs.indexOf(page)
    button = tabs.tabBar().tabButton(index, QTabBar.ButtonPosition.RightSide)
    assert isinstance(button, QuietCloseButton)  # not the style's red box
    # drawn in the theme's muted text colour (hover: the text colour), never red
    image = button.grab().toImage()
    muted = button.palette().color(QPalette.ColorRole.PlaceholderText)
    inked = {image.pixelColor(x, y).name() for x in range(image.width())
             for y in range(image.height()) if image.pixelColor(x, y).alpha() > 200}
    assert all(abs(QColor(c).hue() - 0) > 10 or QColor(c).saturation() < 60 for c in inked)
    assert muted.saturation() < 60
    click(qtbot, button)
    assert tabs.indexOf(page) == -1 and tabs.count() == 1  # the book alone is left

    # A sorted header's text keeps clear of its arrow: the label is drawn in a narrower
    # rectangle than the section (the style hands the label its rect).
    header = window.accounts.table.horizontalHeader()
    option = QStyleOptionHeader()
    option.initFrom(header)
    option.rect = header.rect().adjusted(0, 0, -header.width() + 100, 0)
    option.orientation = Qt.Orientation.Horizontal
    option.sortIndicator = QStyleOptionHeader.SortIndicator.SortDown
    drawn: list[int] = []
    style = header.style()
    base = type(style).__mro__[1]  # QProxyStyle: what the correction hands Fusion

    def spy(self: Any, element: Any, opt: Any, painter: Any, widget: Any = None) -> None:
        if element == QStyle.ControlElement.CE_HeaderLabel:
            drawn.append(opt.rect.width())

    from PySide6.QtGui import QImage, QPainter
    canvas = QImage(120, 30, QImage.Format.Format_ARGB32)
    painter = QPainter(canvas)
    original = base.drawControl
    base.drawControl = spy  # type: ignore[method-assign]
    try:
        style.drawControl(QStyle.ControlElement.CE_HeaderLabel, option, painter, header)
    finally:
        base.drawControl = original  # type: ignore[method-assign]
        painter.end()
    assert drawn and drawn[0] <= 100 - SORT_ARROW_ROOM
