"""The Renewals view's two look-back panels.

- **Forecast**: the quarter in progress and the next calendar quarter, by track (renewals,
  ARR, expected ARR, expected GRR and NRR, ARR at risk) and, for the quarters behind it, how
  close the likelihoods on record came to what the renewals actually brought.
- **Churn post-mortem**: churned ARR by reason and by category (controllable or not) over
  time, and for every churned account the signals it showed 90 days before.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from csdesk.services.formatting import TRACK_LABELS, counted, format_date, format_money
from csdesk.services.renewals.churn import ChurnAnalysis
from csdesk.services.renewals.forecast import (
    ForecastAccuracy,
    QuarterForecast,
    describe_forecast,
)
from csdesk.ui.theme import CELL_PADDING, SORT_ARROW_ROOM

CATEGORY_COLOURS = {"controllable": "#dc2626", "uncontrollable": "#9ca3af",
                    "unknown": "#6b7280"}


class SortItem(QTableWidgetItem):
    """A cell that shows ``text`` and sorts by ``key``."""

    def __init__(self, text: str, key: Any = None) -> None:
        super().__init__(text)
        self.key = text.casefold() if key is None else key

    def __lt__(self, other: QTableWidgetItem) -> bool:
        return self.key < getattr(other, "key", other.text())


def make_table(headers: list[str], stretch: int = 0) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().hide()
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    table.horizontalHeader().setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    table.setWordWrap(False)
    table.verticalHeader().setDefaultSectionSize(24)
    return table


def fill(table: QTableWidget, rows: list[list[tuple[str, Any]]], right: tuple[int, ...] = ()
         ) -> None:
    """Put ``rows`` of (text, sort key) cells in ``table``; ``right`` columns are numbers."""
    table.setSortingEnabled(False)
    table.setRowCount(len(rows))
    for i, cells in enumerate(rows):
        for c, (text, key) in enumerate(cells):
            item = SortItem(text, key)
            if c in right:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(i, c, item)
    table.setSortingEnabled(True)
    fit_columns(table)


def fit_columns(table: QTableWidget, widest: int = 260) -> None:
    """Each column but the stretching one as wide as its cells and its title with the sort
    arrow beside it (a name beyond ``widest`` pixels elides; its cell keeps it whole)."""
    header = table.horizontalHeader()
    metrics = header.fontMetrics()
    for c in range(table.columnCount()):
        if header.sectionResizeMode(c) == QHeaderView.ResizeMode.Stretch:
            continue
        title = table.horizontalHeaderItem(c)
        label = metrics.horizontalAdvance(title.text() if title else "") + 2 * CELL_PADDING \
            + SORT_ARROW_ROOM
        cells = table.sizeHintForColumn(c) if table.rowCount() else 0
        header.resizeSection(c, max(label, header.sectionSizeHint(c), min(cells, widest)))


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


class ForecastPanel(QWidget):
    """The quarter in progress and the next one by track, and past quarters' forecast
    against the outcome."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.headline = QLabel()
        self.headline.setWordWrap(True)
        self.headline.setTextFormat(Qt.TextFormat.RichText)
        self.by_track = make_table(["Track", "Renewals", "ARR", "Expected ARR"])
        self.by_track.setFixedHeight(24 * 4 + 4)
        self.next_headline = QLabel()
        self.next_headline.setWordWrap(True)
        self.next_headline.setTextFormat(Qt.TextFormat.RichText)
        self.next_by_track = make_table(["Track", "Renewals", "ARR", "Expected ARR"])
        self.next_by_track.setFixedHeight(24 * 4 + 4)
        self.accuracy = make_table(["Quarter", "Closed", "Forecast", "Actual", "Accuracy"])
        self.accuracy.setToolTip(
            "Forecast: each closed renewal's ARR × the likelihood on record.\n"
            "Actual: the ARR it renewed at (nothing for a churn).\n"
            "Accuracy: 1 − |forecast − actual| ÷ actual.")
        self.chart_host = QVBoxLayout()
        self.chart: Any = None
        note = QLabel("How close the likelihoods on record came to what each quarter's "
                      "renewals brought. Hover the table for the formulas.")
        note.setWordWrap(True)
        note.setStyleSheet("color: palette(placeholder-text);")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.headline)
        layout.addWidget(self.by_track)
        layout.addWidget(self.next_headline)
        layout.addWidget(self.next_by_track)
        layout.addWidget(QLabel("<b>Forecast accuracy</b>"))
        layout.addWidget(note)
        self.accuracy.setFixedHeight(24 * 5 + 4)
        layout.addWidget(self.accuracy)
        layout.addLayout(self.chart_host, 1)

    def show_data(self, current: QuarterForecast | None,
                  history: list[ForecastAccuracy],
                  following: QuarterForecast | None = None) -> None:
        for label, f, headline, table in (
                ("In progress", current, self.headline, self.by_track),
                ("Next quarter", following, self.next_headline, self.next_by_track)):
            headline.setVisible(f is not None or table is self.by_track)
            table.setVisible(f is not None)
            if f is None:
                headline.setText("No forecast yet.")
                continue
            # the sentence ``csdesk renewals forecast`` prints, the label in bold
            headline.setText(f"<b>{label}</b> · {html.escape(describe_forecast(f))}")
            cur = f.currency
            fill(table, [
                [(TRACK_LABELS[t], i), (str(n), n), (format_money(arr, cur), arr or -1),
                 (format_money(exp, cur), exp or -1)]
                for i, (t, (n, arr, exp)) in enumerate(
                    (t, f.by_track[t]) for t in TRACK_LABELS if t in f.by_track)],
                right=(1, 2, 3))
        fill(self.accuracy, [
            [(f"{h.period[-2:]} {h.period[:4]}", h.period), (str(h.renewals), h.renewals),
             (format_money(h.forecast_cents, h.currency), h.forecast_cents or -1),
             (format_money(h.actual_cents, h.currency), h.actual_cents or -1),
             (_pct(h.accuracy), -1.0 if h.accuracy is None else h.accuracy)]
            for h in history], right=(1, 2, 3, 4))
        self._draw(history)

    def _draw(self, history: list[ForecastAccuracy]) -> None:
        from csdesk.ui.charts import Chart

        if self.chart is None:
            self.chart = Chart("Forecast against actual renewed ARR", height=2.4)
            self.chart_host.addWidget(self.chart)
        labels = [f"{h.period[-2:]}\n{h.period[:4]}" for h in history]
        xs = list(range(len(history)))

        def draw(ax: Any) -> None:
            ax.bar([x - 0.2 for x in xs], [h.forecast_cents / 100 for h in history], 0.4,
                   label="Forecast", color="#93c5fd")
            ax.bar([x + 0.2 for x in xs], [h.actual_cents / 100 for h in history], 0.4,
                   label="Actual", color="#2563eb")
            ax.set_xticks(xs, labels)
            ax.yaxis.set_major_formatter(lambda v, _p: format_money(round(v * 100)))
            if history:
                ax.legend(fontsize=8)

        self.chart.draw(draw)


class ChurnPanel(QWidget):
    """Churned ARR by reason and category over time, with each account's early signals."""

    account_clicked = Signal(int)
    window_changed = Signal(object)  # months to look back, or None for all time

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.since = QComboBox()
        for label, months in (("Last 12 months", 12), ("Last 24 months", 24),
                              ("All time", None)):
            self.since.addItem(label, months)
        self.since.setCurrentIndex(1)
        self.since.currentIndexChanged.connect(
            lambda _i: self.window_changed.emit(self.since.currentData()))
        self.headline = QLabel()
        self.headline.setWordWrap(True)
        self.headline.setTextFormat(Qt.TextFormat.RichText)
        self.reasons = make_table(["Reason", "Category", "Accounts", "Churned ARR", "Share"])
        self.reasons.setMaximumHeight(24 * 6 + 6)
        self.cases = make_table(["Account", "Churned", "ARR", "Reason",
                                 "Signals 90 days before"], stretch=4)
        self.cases.setToolTip("Double-click an account to open it")
        self.cases.cellDoubleClicked.connect(
            lambda row, _c: self.account_clicked.emit(
                self.cases.item(row, 0).data(Qt.ItemDataRole.UserRole)))
        self.chart_host = QVBoxLayout()
        self.chart: Any = None
        bar = QHBoxLayout()
        bar.addWidget(self.since)
        bar.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.headline)
        layout.addLayout(self.chart_host)
        layout.addWidget(self.reasons)
        layout.addWidget(self.cases, 1)

    def show_data(self, analysis: ChurnAnalysis,
                  reasons: list[tuple[str, str, str]]) -> None:
        labels = {code: label for code, label, _k in reasons}
        total = sum(analysis.by_reason.values())
        controllable = analysis.by_category.get("controllable", 0)
        cur = analysis.currency
        if not analysis.cases:
            self.headline.setText("No churn logged in this window. Outcomes are logged on "
                                  "an account's Renewal & expansion tab.")
        elif analysis.note:
            self.headline.setText(f"{counted(len(analysis.cases), 'account')} churned; no "
                                  f"total in {cur}: {html.escape(analysis.note)}.")
        else:
            self.headline.setText(
                f"<b>{format_money(total, cur)}</b> churned across "
                f"{counted(len(analysis.cases), 'account')}; "
                f"<b>{controllable / total:.0%}</b> of it for reasons the team "
                f"controls ({format_money(controllable, cur)})." if total else
                f"{counted(len(analysis.cases), 'account')} churned with no ARR on record.")
        count: dict[str, int] = {}
        category: dict[str, str] = {}
        for case in analysis.cases:
            count[case.reason] = count.get(case.reason, 0) + 1
            category[case.reason] = case.category
        fill(self.reasons, [
            [(labels.get(code, code), None), (category[code], None),
             (str(count[code]), count[code]), (format_money(arr, cur), arr),
             (f"{arr / total:.0%}" if total else "—", arr)]
            for code, arr in sorted(analysis.by_reason.items(), key=lambda kv: -kv[1])],
            right=(2, 3, 4))
        self.reasons.sortByColumn(3, Qt.SortOrder.DescendingOrder)
        fill(self.cases, [
            [(c.name, None), (format_date(c.churned_on), c.churned_on.isoformat()),
             (format_money(c.arr_cents, c.currency), c.base_cents or -1),
             (labels.get(c.reason, c.reason), None),
             ("; ".join(c.signals), None)]
            for c in analysis.cases], right=(2,))
        for row, case in enumerate(analysis.cases):
            item = self.cases.item(row, 0)
            item.setData(Qt.ItemDataRole.UserRole, case.account_id)
        for row in range(self.cases.rowCount()):  # the signals may be long: show them whole
            cell = self.cases.item(row, 4)
            cell.setToolTip(cell.text())
        self.cases.sortByColumn(1, Qt.SortOrder.DescendingOrder)
        self._draw(analysis, reasons)

    def _draw(self, analysis: ChurnAnalysis, reasons: list[tuple[str, str, str]]) -> None:
        from csdesk.ui.charts import Chart

        if self.chart is None:
            self.chart = Chart("Churned ARR by quarter and category", height=1.8)
            self.chart_host.addWidget(self.chart)
        kind = {code: k for code, _l, k in reasons}
        for case in analysis.cases:  # a reason removed from the list keeps its category
            kind.setdefault(case.reason, case.category)
        quarters = sorted(analysis.by_quarter)
        xs = list(range(len(quarters)))

        def draw(ax: Any) -> None:
            bottom = [0.0] * len(quarters)
            for cat in ("controllable", "uncontrollable", "unknown"):
                heights = [sum(arr for code, arr in analysis.by_quarter[q].items()
                               if kind.get(code, "unknown") == cat) / 100 for q in quarters]
                if any(heights):
                    ax.bar(xs, heights, bottom=bottom, color=CATEGORY_COLOURS[cat],
                           label=cat.capitalize())
                    bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
            ax.set_xticks(xs, [f"{q[-2:]}\n{q[:4]}" for q in quarters])
            ax.yaxis.set_major_formatter(lambda v, _p: format_money(round(v * 100)))
            if quarters:
                ax.legend(fontsize=8)

        self.chart.draw(draw)
