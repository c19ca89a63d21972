"""Portfolio: the book's metrics as tiles (formula in the tooltip) and charts to drill into.

A period picker chooses what the tiles measure: the last complete quarter, the twelve months
to today, or this year to date; every tile says which period (or day) its figure is for.

Clicking a tile or a bar emits ``drill(ids, label)`` with the accounts behind the number; the
main window shows them in the Accounts view.
"""

from __future__ import annotations

import itertools
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QMouseEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from csdesk import clock
from csdesk.models.enums import Segment
from csdesk.services.book.table import AccountTable
from csdesk.services.formatting import format_date, format_money, format_money_short
from csdesk.services.health.metrics import FORMULAS, LABELS, MONEY, PeriodMetrics
from csdesk.services.periods import current_period, period_label
from csdesk.ui.theme import BAND_COLOURS


class Tile(QFrame):
    """A number, its name and a caption; the formula is its tooltip; clicking drills in."""

    clicked = Signal()

    def __init__(self, title: str, value: str, caption: str, formula: str,
                 period: str = "") -> None:
        super().__init__()
        self.setObjectName("tile")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setToolTip(formula)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.value_label = QLabel(value)
        font = QFont(self.value_label.font())
        font.setPointSizeF(font.pointSizeF() * 2.0)
        font.setWeight(QFont.Weight.DemiBold)
        self.value_label.setFont(font)
        name = QLabel(title)
        name.setStyleSheet("font-weight: 600;")
        name.setWordWrap(True)
        self.period_label = QLabel(period)  # which period (or day) the figure is for
        self.period_label.setObjectName("tile-period")
        self.period_label.setStyleSheet("color: palette(placeholder-text);")
        self.period_label.setWordWrap(True)
        cap = QLabel(caption)
        cap.setWordWrap(True)
        cap.setEnabled(False)
        col = QVBoxLayout(self)
        col.addWidget(name)
        col.addWidget(self.period_label)
        col.addWidget(self.value_label)
        col.addWidget(cap)
        self.setMinimumWidth(120)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit()
        super().mouseReleaseEvent(event)


def _pct(v: float | None) -> str:
    """A rate as a CSM reads it: whole when the tenth is zero, else to a tenth, so 99.5 %
    never shows as a flat 100 %."""
    if v is None:
        return "—"
    text = f"{v:.1%}"
    return text.replace(".0%", "%")


def _fx(effect: float | None) -> str:
    """What exchange rates did over the quarter, beside (never inside) NRR and GRR."""
    if effect is None or abs(effect) < 0.0005:
        return ""
    return f" · exchange rates {effect:+.1%} (not in NRR)"


PERIODS = (("quarter", "Last quarter"), ("ttm", "Trailing 12 months"),
           ("year", "This year to date"))


def period_text(m: PeriodMetrics, *, short: bool = False) -> str:
    """The period a figure is for: "Q3 2026", "2026 to 22 Nov", "12 months to 22 Nov 2026"
    (``short``, on a narrow tile: "12 months to 22 Nov"; the heading has the year)."""
    if short and m.period.upper().startswith("TTM:"):
        return f"12 months to {m.end.day} {m.end:%b}"
    label = period_label(m.period)
    return f"{label} to {m.end.day} {m.end:%b}" if m.in_progress else label


class PortfolioView(QWidget):
    drill = Signal(object, str)
    period_changed = Signal(str)  # quarter, ttm or year: the main window reloads

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.period = QComboBox()
        self.period.setObjectName("portfolio-period")
        self.period.setToolTip("The period the tiles measure (the charts below show each "
                               "quarter, and the book as it is today)")
        for kind, label in PERIODS:
            self.period.addItem(label, kind)
        q = period_label(current_period(clock.today()))
        self.period.setItemText(0, f"Last quarter ({q})")
        self.period.currentIndexChanged.connect(
            lambda _i: self.period_changed.emit(self.kind()))
        self.body = QWidget()
        self.grid = QGridLayout(self.body)
        self.grid.setSpacing(12)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.body)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        self.heading = QLabel()
        self.heading.setStyleSheet("font-size: 15pt; font-weight: 600;")
        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        top.addWidget(QLabel("Period:"))
        top.addWidget(self.period)
        layout.addLayout(top)
        layout.addWidget(scroll, 1)
        self.tiles: dict[str, Tile] = {}

    def kind(self) -> str:
        """The chosen period: quarter, ttm or year."""
        return str(self.period.currentData())

    def show_book(self, table: AccountTable, quarters: list[PeriodMetrics],
                  owner: str | None = None, chosen: PeriodMetrics | None = None) -> None:
        """Tiles for ``chosen`` (the last of ``quarters`` unless given), charts over
        ``quarters`` and the book ``table`` as it is today."""
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item.widget():  # hidden now: deleted only when the event loop gets to it
                item.widget().hide()
                item.widget().deleteLater()
        last = chosen or quarters[-1]
        v = last.values
        when = period_text(last, short=True)
        today = f"today, {format_date(table.as_of)}"
        self.heading.setText(f"Portfolio — {period_text(last)} ({format_date(last.start)} – "
                             f"{format_date(last.end)})" + (f" · {owner}'s book" if owner
                                                            else ""))
        c = {name: i for i, name in enumerate(table.columns)}
        live = [r for r in table.rows if r[c["status"]].value == "active"]
        arr_band = {b: sum(r[c["arr_base_cents"]] or 0 for r in live
                           if r[c["health_band"]] is not None and r[c["health_band"]].value == b)
                    for b in ("green", "yellow", "red")}
        total_arr = sum(arr_band.values()) or 1
        behind = last.accounts
        tiles = [
            ("nrr", LABELS["nrr"], _pct(v["nrr"]),
             f"{_accounts(behind['cohort'])} at the start" + _fx(v.get("fx_effect")),
             behind["cohort"]),
            ("grr", LABELS["grr"], _pct(v["grr"]),
             "churn and contraction only", behind["churned"] | behind["contracted"]),
            ("arr_renewal_rate", LABELS["arr_renewal_rate"], _pct(v.get("arr_renewal_rate")),
             _renewed(last), behind.get("renewals_decided", set())),
            ("logo_churn", LABELS["logo_churn"], _pct(v["logo_churn"]),
             f"{_accounts(behind['churned'])} lost", behind["churned"]),
            ("expansion_rate", LABELS["expansion_rate"], _pct(v["expansion_rate"]),
             f"{_accounts(behind['expanded'])} grew", behind["expanded"]),
            ("median_ttv_days", LABELS["median_ttv_days"],
             "—" if v["median_ttv_days"] is None else f"{v['median_ttv_days']:.0f} days",
             f"{len(behind['first_value'])} reached it in the period", behind["first_value"]),
            ("proactive_ratio", LABELS["proactive_ratio"],
             "—" if v["proactive_ratio"] is None else f"{v['proactive_ratio']:.1f} : 1",
             "touches in the period", None),
        ]
        rates_used = (f" — in {last.currency}, both ends of the period at the exchange rates "
                      f"of {last.start:%d %b %Y}")
        if last.note:  # refused for a missing rate: each revenue tile says why, not "—" alone
            why = last.note.split(":")[0]
            tiles = [(key, title, value, why if key in MONEY else caption, ids)
                     for key, title, value, caption, ids in tiles]
        for k, (key, title, value, caption, ids) in enumerate(tiles):
            tile = Tile(title, value, caption, FORMULAS[key] + (
                rates_used if key in ("nrr", "grr", "expansion_rate", "arr_renewal_rate")
                else ""), when)
            if ids is not None:
                tile.clicked.connect(lambda ids=ids, title=title: self.drill.emit(
                    set(ids), f"{title}, {when}"))
            self.grid.addWidget(tile, 0, k)
            self.tiles[key] = tile
        red_ids = {r[c["id"]] for r in live if r[c["health_band"]] is not None
                   and r[c["health_band"]].value == "red"}
        scored_arr = sum(arr_band.values())  # none yet: no share to show, as other tiles
        base = table.base_currency
        if table.missing_rates:  # a share of a short total would mislead: refused, and why
            value, caption = "—", table.missing_rates
        elif scored_arr:
            value = f"{arr_band['red'] / total_arr:.0%}"
            caption = f"{format_money(arr_band['red'], base)} of {format_money(total_arr, base)}"
        else:
            value, caption = "—", "no scored ARR yet"
        risk = Tile("ARR in red health", value, caption,
                    f"ARR of live accounts whose latest health band is red ÷ ARR of live "
                    f"accounts with a score, in {base} (the book's base currency)", today)
        risk.clicked.connect(lambda: self.drill.emit(red_ids, "ARR in red health"))
        self.grid.addWidget(risk, 0, len(tiles))
        self.tiles["arr_red"] = risk
        self._charts(table, quarters, c, live)

    def _charts(self, table: AccountTable, quarters: list[PeriodMetrics], c: dict[str, int],
                live: list[tuple[Any, ...]]) -> None:
        from csdesk.ui.charts import Chart

        segments = [s.value for s in Segment]
        bands = ("green", "yellow", "red", None)

        def band_of(r: tuple[Any, ...]) -> str | None:
            b = r[c["health_band"]]
            return b.value if b is not None else None

        cells = {(s, b): [r for r in live if r[c["segment"]].value == s and band_of(r) == b]
                 for s in segments for b in bands}
        seg_chart = Chart("ARR by segment and health band today (click a block)")
        bars: dict[str, Any] = {}
        targets: list[tuple[set[int], str]] = []

        def draw_segments(ax: Any) -> None:
            labels = [Segment(s).label for s in segments]
            bottom = [0.0] * len(segments)
            containers = []
            for b in bands:
                heights = [sum(r[c["arr_base_cents"]] or 0 for r in cells[(s, b)]) / 100
                           for s in segments]
                colour = BAND_COLOURS[b].name() if b else "#9ca3af"
                containers.append(ax.bar(labels, heights, bottom=bottom, color=colour,
                                         label=b or "no score"))
                bottom = [x + h for x, h in zip(bottom, heights, strict=True)]
            bars["seg"] = [bar for cont in containers for bar in cont]
            ax.set_ylim(0, max(bottom, default=0) * 1.08 or 1)  # the tallest stack, whole
            ax.yaxis.set_major_formatter(
                lambda x, _p: format_money_short(x * 100, table.base_currency))
            ax.legend(fontsize=8)

        for b in bands:
            for s in segments:
                targets.append(({r[c["id"]] for r in cells[(s, b)]},
                                f"{Segment(s).label}, {b or 'no'} health"))
        seg_chart.draw(draw_segments, empty=bool(table.missing_rates) or not any(
            r[c["arr_base_cents"]] for r in live),
            empty_text=f"Needs a rate for {', '.join(table.missing_currencies)}"
            if table.missing_rates else "No ARR yet")
        self._clickable(seg_chart, lambda: bars["seg"], targets)

        # Binned as the score reads everywhere (a whole number): 59.6 shows as 60, so it
        # belongs under "60–69", not under "50–59" beside a book that says 60.
        scores = [round(r[c["health_score"]]) for r in live if r[c["health_score"]] is not None]
        bins = [0, 40, 50, 60, 70, 80, 90, 101]
        counts = [sum(1 for x in scores if lo <= x < hi) for lo, hi in itertools.pairwise(bins)]
        colours = [BAND_COLOURS["red"].name()] + [BAND_COLOURS["yellow"].name()] * 3 + \
            [BAND_COLOURS["green"].name()] * 3
        labels = ["<40", "40–49", "50–59", "60–69", "70–79", "80–89", "90+"]
        dist = Chart("Health distribution of live accounts today")
        def draw_distribution(ax: Any) -> None:
            from matplotlib.ticker import MaxNLocator

            bars["dist"] = ax.bar(labels, counts, color=colours)
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # accounts are counted

        dist.draw(draw_distribution, empty=not scores, empty_text="No health scores yet")
        dist_ids = [{r[c["id"]] for r in live if r[c["health_score"]] is not None
                     and lo <= round(r[c["health_score"]]) < hi}
                    for lo, hi in itertools.pairwise(bins)]
        self._clickable(dist, lambda: bars["dist"], [
            (ids, f"health {lab}") for ids, lab in zip(dist_ids, labels, strict=True)])

        nrr = Chart("NRR and GRR by quarter")
        periods = [q.period for q in quarters]
        def pct(value: float | None) -> float:  # unknown ("—" on the tiles) is a gap, not 0 %
            return float("nan") if value is None else value * 100

        known = [q for q in quarters if q.values["nrr"] is not None
                 or q.values["grr"] is not None]
        nrr.draw(lambda ax: (
            ax.plot(periods, [pct(q.values["nrr"]) for q in quarters], marker="o",
                    label="NRR", color="#2563eb"),
            ax.plot(periods, [pct(q.values["grr"]) for q in quarters], marker="o",
                    label="GRR", color="#16a34a"),
            ax.axhline(100, color="#9ca3af", linewidth=0.8),
            # "99.5%" beside "100%": a narrow range never reads "100%, 100%, 99%"
            ax.yaxis.set_major_formatter(lambda x, _p: f"{x:.4g}%"), ax.legend(fontsize=8)),
            empty=not known, empty_text="No retention yet: it needs a quarter that began "
                                        "with ARR")
        columns = self.grid.columnCount()  # one per tile
        self.grid.addWidget(seg_chart, 1, 0, 1, columns // 2)
        self.grid.addWidget(dist, 1, columns // 2, 1, columns - columns // 2)
        self.grid.addWidget(nrr, 2, 0, 1, columns)
        self.charts = (seg_chart, dist, nrr)

    def _clickable(self, chart: Any, bars: Any, targets: list[tuple[set[int], str]]) -> None:
        def on_click(event: Any) -> None:
            for bar, (ids, label) in zip(bars(), targets, strict=True):
                if bar.contains(event)[0]:
                    self.drill.emit(set(ids), label)
                    return

        chart.canvas.mpl_connect("button_press_event", on_click)


def _renewed(m: PeriodMetrics) -> str:
    """The renewal rate's two amounts: what renewed of what came up."""
    renewed, up = m.counts.get("renewed_arr_cents"), m.counts.get("arr_up_for_renewal_cents")
    if renewed is None or up is None:
        return "no renewal amounts"
    if not up:
        return "no renewal decided in the period"
    return (f"{format_money_short(round(renewed), m.currency)} of "
            f"{format_money_short(round(up), m.currency)} up for renewal")


def _accounts(ids: set[int]) -> str:
    return f"{len(ids):,} account{'' if len(ids) == 1 else 's'}"
