"""Portfolio: a CSM clicks a bar of a chart and lands in the book on the accounts behind it.
Every row listed satisfies what the bar stands for, and there are as many as the bar says."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint
from PySide6.QtGui import QColor

from csdesk.db import Database
from csdesk.ui.accounts_model import HEALTH, SEGMENT
from csdesk.ui.charts import Chart
from csdesk.ui.theme import BAND_COLOURS
from tests.e2e.conftest import click, nav_to, open_window, shoot


def _chart(window: Any, title: str) -> Chart:
    charts = [c for c in window.portfolio.findChildren(Chart) if c.title == title]
    assert len(charts) == 1, f"no chart {title!r}"
    return charts[0]


def _bars(chart: Chart) -> list[tuple[str, str, Any]]:
    """(x label, colour, bar) of each bar drawn, read off the figure as painted."""
    ax = chart.figure.axes[0]
    ticks = {round(t.get_position()[0]): t.get_text() for t in ax.get_xticklabels()}
    out = []
    for bar in ax.patches:
        if bar.get_height() <= 0:
            continue
        x = round(bar.get_x() + bar.get_width() / 2)
        r, g, b, _a = bar.get_facecolor()
        out.append((ticks[x], QColor.fromRgbF(r, g, b).name(), bar))
    return out


def _click_bar(qtbot: Any, chart: Chart, bar: Any) -> None:
    """Click the middle of a bar where it is on screen."""
    canvas = chart.canvas
    box = bar.get_window_extent()  # figure pixels, from the bottom left
    ratio = canvas.device_pixel_ratio
    x, y = (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2
    click(qtbot, canvas, QPoint(round(x / ratio),
                                round((chart.figure.bbox.height - y) / ratio)))


def _rows(window: Any) -> list[tuple[str, str, Any]]:
    """(segment, health text, health colour) of each row the book lists."""
    model = window.accounts.table.model()
    return [(model.index(r, SEGMENT).data(), model.index(r, HEALTH).data(),
             model.index(r, HEALTH).data(1))  # DecorationRole: the band's colour
            for r in range(model.rowCount())]


def _open_portfolio(qtbot: Any, window: Any) -> None:
    with qtbot.waitSignal(window.portfolio_loaded, timeout=20_000):
        nav_to(qtbot, window, "Portfolio")
    window.grab()  # painted as on screen: the charts are drawn, the bars where they show


def test_a_health_bar_drills_into_its_accounts(qtbot, demo_db: Database,  # type: ignore[no-untyped-def]
                                               screenshot) -> None:
    window = open_window(qtbot, demo_db)
    _open_portfolio(qtbot, window)
    shoot(qtbot, window, "test_a_health_bar_drills_into_its_accounts-portfolio")
    chart = _chart(window, "Health distribution of live accounts today")
    bars = {label: bar for label, _colour, bar in _bars(chart)}
    assert set(bars) >= {"40–49", "50–59", "70–79"}
    _click_bar(qtbot, chart, bars["50–59"])

    qtbot.waitUntil(lambda: window.nav.currentItem().text() == "Accounts")
    book = window.accounts
    assert book.count_label.text().endswith(" — health 50–59")
    rows = _rows(window)
    assert len(rows) == bars["50–59"].get_height()  # as many as the bar is tall
    for _segment, health, _colour in rows:
        assert 50 <= int(health.split()[0]) <= 59, f"health {health} under the 50–59 bar"

    # The segment chart's blocks: Enterprise accounts in red health.
    nav_to(qtbot, window, "Portfolio")
    window.grab()
    chart = _chart(window, "ARR by segment and health band today (click a block)")
    red = BAND_COLOURS["red"].name()
    block = next(bar for label, colour, bar in _bars(chart)
                 if label == "Enterprise" and colour == red)
    _click_bar(qtbot, chart, block)
    qtbot.waitUntil(lambda: book.count_label.text().endswith(" — Enterprise, red health"))
    rows = _rows(window)
    assert rows
    for segment, health, colour in rows:
        assert segment == "Enterprise"
        assert colour == BAND_COLOURS["red"], f"{health}: not red"
    screenshot(window)
