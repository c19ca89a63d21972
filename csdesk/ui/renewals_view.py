"""Renewals: a month or quarter calendar of renewal chips coloured by track, with the
checkpoints where renewal work starts and today marked, beside three tabs: the pipeline list
(filtered by window — days, this or next calendar quarter — track and name, with totals and
the forecasts of this quarter and the next), the forecast with its accuracy in past quarters,
and the churn post-mortem. The calendar and the tabs share a resizable splitter whose sizes
the main window remembers; the pipeline's columns fit the room it has (owners, then long
names, elide beside the calendar; dates and amounts never), unless the user sized them.
Clicking a chip or a row opens
the account; Settings edits when the process starts, the churn reasons and plan limits.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QByteArray,
    QEvent,
    QObject,
    QPointF,
    QRectF,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QHelpEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QResizeEvent,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QTabWidget,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from csdesk import clock
from csdesk.db import Database
from csdesk.errors import CsdeskError
from csdesk.services.formatting import format_money, format_money_short
from csdesk.services.periods import (
    current_period,
    next_quarter,
    period_label,
    quarter_of,
    quarter_window,
    quarters_back,
)
from csdesk.services.renewals.churn import ChurnAnalysis, churn_analysis
from csdesk.services.renewals.forecast import (
    ForecastAccuracy,
    QuarterForecast,
    describe_forecast,
    forecast_accuracy,
    quarter_forecasts,
    track_totals,
)
from csdesk.services.renewals.pipeline import (
    RenewalRow,
    checkpoint_marks,
    checkpoint_words,
    pipeline,
)
from csdesk.services.settings import churn_reasons
from csdesk.ui.named_tabs import add_named_tab, show_tab
from csdesk.ui.pipeline_model import (
    CHECKPOINT,
    HEALTH,
    NAME,
    OWNER,
    TRACK,
    TRACK_COLOURS,
    TRACK_ORDER,
    PipelineModel,
)
from csdesk.ui.renewal_insights import TRACK_LABELS, ChurnPanel, ForecastPanel
from csdesk.ui.tasks import TaskRunner
from csdesk.ui.theme import CELL_PADDING, SORT_ARROW_ROOM

# Beside the calendar, how narrow a column may get with its text elided (its tooltip has it
# whole): owners and health notes first, then long names. Dates, days, tracks, amounts and
# percentages always keep their whole text.
ELIDING = {OWNER: 84, HEALTH: 0, NAME: 170}
TIP_LINES = 12  # a checkpoint mark's tooltip names this many renewals at most
CALENDAR = "calendar"  # the list's window: the month or quarter the calendar shows
THIS_QUARTER, NEXT_QUARTER = "this_quarter", "next_quarter"  # calendar quarters, not days


def _sortable(cents: int | None) -> int:
    return -1 if cents is None else cents


class CalendarGrid(QWidget):
    """Month grids (one, or three for a quarter) painted with renewal chips."""

    account_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.months: list[tuple[int, int]] = []
        self.rows: list[RenewalRow] = []
        self.today = clock.today()
        self._hits: list[tuple[QRectF, int]] = []
        self._more: list[tuple[QRectF, date, list[RenewalRow]]] = []
        # the checkpoint marks: other renewals' checkpoints, weeks before those renewals
        self._marks: list[tuple[QRectF, date, list[RenewalRow]]] = []
        self.setMinimumSize(QSize(200, 300))  # the pipeline beside it comes first

    def show_months(self, months: list[tuple[int, int]], rows: list[RenewalRow],
                    today: date) -> None:
        self.months, self.rows, self.today = months, rows, today
        self.update()

    def paintEvent(self, _event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        text, mid = pal.text().color(), pal.mid().color()
        self._hits = []
        self._more = []
        self._marks = []
        by_day: dict[date, list[RenewalRow]] = {}
        for r in self.rows:
            by_day.setdefault(r.renewal_date, []).append(r)
        marks = checkpoint_marks(self.rows)  # as the pipeline's Checkpoint column reads
        n = max(1, len(self.months))
        height = self.height() / n
        compact = n > 1
        small = QFont(self.font())
        small.setPointSizeF(max(6.5, self.font().pointSizeF() - 2))
        for i, (year, month) in enumerate(self.months):
            top = i * height
            p.setPen(text)
            bold = QFont(self.font())
            bold.setBold(True)
            p.setFont(bold)
            p.drawText(QRectF(4, top, self.width(), 20), Qt.AlignmentFlag.AlignLeft,
                       f"{calendar.month_name[month]} {year}")
            p.setFont(self.font())
            weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
            cell_w = (self.width() - 8) / 7
            head = 20 if compact else 40
            cell_h = (height - head - 6) / len(weeks)
            if not compact:
                names = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
                if p.fontMetrics().horizontalAdvance("Wed") + 6 > cell_w:  # a narrow one:
                    names = tuple(n[:2] for n in names)  # "We" rather than "TueWedThu"
                for d, name in enumerate(names):
                    p.setPen(mid)
                    p.drawText(QRectF(4 + d * cell_w, top + 20, cell_w, 18),
                               Qt.AlignmentFlag.AlignCenter, name)
            for w, week in enumerate(weeks):
                for d, day in enumerate(week):
                    cell = QRectF(4 + d * cell_w, top + head + w * cell_h, cell_w - 2,
                                  cell_h - 2)
                    inside = day.month == month
                    p.setPen(QPen(mid, 0.6))
                    p.setBrush(Qt.BrushStyle.NoBrush)
                    p.drawRect(cell)
                    if day == self.today:
                        p.setPen(QPen(QColor("#f59e0b"), 2))
                        p.drawRect(cell.adjusted(1, 1, -1, -1))
                    if not inside:
                        continue
                    p.setPen(text if day != self.today else QColor("#f59e0b"))
                    p.drawText(cell.adjusted(3, 1, -3, 0),
                               Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
                               str(day.day))
                    if day in marks:  # where work on a later renewal starts or steps up
                        p.setPen(Qt.PenStyle.NoPen)
                        p.setBrush(QColor("#f59e0b"))
                        x, y = cell.right() - 10, cell.top() + 3
                        p.drawPolygon([QPointF(x, y), QPointF(x + 8, y), QPointF(x + 4, y + 7)])
                        # hover: whose checkpoints they are; a click lists them to open
                        self._marks.append((QRectF(x - 3, y - 2, 14, 12), day, marks[day]))
                    today_rows = sorted(by_day.get(day, []),
                                        key=lambda r: -_sortable(r.arr_base_cents))
                    if not today_rows:
                        continue
                    p.setFont(small)
                    if compact:  # a quarter: a count per day, coloured by its riskiest track
                        worst = min(today_rows, key=lambda r: TRACK_ORDER[r.track])
                        pill = QRectF(cell.left() + 2, cell.bottom() - 15, cell.width() - 4, 13)
                        if pill.top() < cell.top() + 12:
                            pill = QRectF(cell.right() - 20, cell.top() + 1, 18, 12)
                        p.setPen(Qt.PenStyle.NoPen)
                        p.setBrush(TRACK_COLOURS[worst.track])
                        p.drawRoundedRect(pill, 3, 3)
                        p.setPen(QColor("white"))
                        p.drawText(pill, Qt.AlignmentFlag.AlignCenter, str(len(today_rows)))
                        self._more.append((pill, day, today_rows))
                        p.setFont(self.font())
                        continue
                    chip_h = 15
                    y = cell.top() + 16
                    fits = max(0, int((cell.bottom() - y + 2) // (chip_h + 2)))
                    shown = today_rows if len(today_rows) <= fits else today_rows[:max(0,
                                                                                      fits - 1)]
                    for r in shown:
                        chip = QRectF(cell.left() + 2, y, cell.width() - 4, chip_h)
                        p.setPen(Qt.PenStyle.NoPen)
                        p.setBrush(TRACK_COLOURS[r.track])
                        p.drawRoundedRect(chip, 3, 3)
                        p.setPen(QColor("white"))
                        money = format_money_short(r.arr_cents, r.currency)
                        room = int(chip.width() - 5)
                        # A narrow cell shows the amount whole, or the track's colour alone,
                        # rather than "$…" (the name is in the list beside, one click away).
                        advance = p.fontMetrics().horizontalAdvance
                        chip_text = (f"{money} {r.name}" if advance(f"{money} {r.name[:4]}")
                                     <= room else money if advance(money) <= room
                                     else "")  # a colour alone, rather than "$…"
                        p.drawText(chip.adjusted(3, 0, -2, 0), Qt.AlignmentFlag.AlignVCenter,
                                   p.fontMetrics().elidedText(
                                       chip_text, Qt.TextElideMode.ElideRight, room))
                        self._hits.append((chip, r.account_id))
                        y += chip_h + 2
                    hidden = len(today_rows) - len(shown)
                    if hidden:  # never hide renewals without a sign: "+N more" lists them
                        more = QRectF(cell.left() + 2, y, cell.width() - 4, chip_h)
                        p.setPen(text)
                        label = f"+{hidden} more"  # "+6" alone in a narrow cell
                        if p.fontMetrics().horizontalAdvance(label) > more.width() - 5:
                            label = f"+{hidden}"
                        p.drawText(more.adjusted(3, 0, -2, 0), Qt.AlignmentFlag.AlignVCenter,
                                   label)
                        self._more.append((more, day, today_rows))
                    p.setFont(self.font())
        p.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        for rect, account in self._hits:
            if rect.contains(event.position()):
                self.account_clicked.emit(account)
                return
        for rect, day, rows in self._more:
            if rect.contains(event.position()):
                self.day_menu(day, rows).popup(event.globalPosition().toPoint())
                return
        for rect, day, rows in self._marks:
            if rect.contains(event.position()):
                self.checkpoint_menu(day, rows).popup(event.globalPosition().toPoint())
                return
        super().mousePressEvent(event)

    def event(self, e: QEvent) -> bool:
        if e.type() == QEvent.Type.ToolTip and isinstance(e, QHelpEvent):
            tip = self.tooltip_at(QPointF(e.pos()))
            if tip:
                QToolTip.showText(e.globalPos(), tip, self)
            else:
                QToolTip.hideText()
                e.ignore()
            return True
        return super().event(e)

    def tooltip_at(self, point: QPointF) -> str | None:
        """What hovering says: a checkpoint mark names whose renewal it belongs to."""
        for rect, day, rows in self._marks:
            if rect.contains(point):
                more = len(rows) - TIP_LINES  # a big book's day: the click lists them all
                return "\n".join([f"▼ Checkpoints on {day:%a %d %b %Y} (renewing later):",
                                  *(checkpoint_words(r, day) for r in rows[:TIP_LINES]),
                                  *([f"… and {more} more: click the ▼ to list them"]
                                    if more > 0 else [])])
        return None

    def checkpoint_menu(self, day: date, rows: list[RenewalRow]) -> QMenu:
        """The renewals whose checkpoint a mark is, to open one."""
        menu = QMenu(self)
        title = menu.addAction(f"▼ Checkpoints on {day:%a %d %b %Y}")
        title.setEnabled(False)
        for r in rows:
            action = menu.addAction(checkpoint_words(r, day))
            action.triggered.connect(lambda _=False, a=r.account_id: self.account_clicked.emit(a))
        return menu

    def mark_at(self, day: date) -> QRectF | None:
        """Where the day's checkpoint mark is painted."""
        return next((r for r, d, _rows in self._marks if d == day), None)

    def day_menu(self, day: date, rows: list[RenewalRow]) -> QMenu:
        """Every renewal of a day, to open one (from "+N more" or a quarter's count)."""
        menu = QMenu(self)
        menu.setToolTipsVisible(True)
        title = menu.addAction(f"Renewing {day:%a %d %b %Y}")
        title.setEnabled(False)
        for r in rows:
            action = menu.addAction(f"{r.name} — {format_money_short(r.arr_cents, r.currency)}, "
                                    f"{TRACK_LABELS[r.track].lower()}")
            action.triggered.connect(lambda _=False, a=r.account_id: self.account_clicked.emit(a))
        return menu

    def more_at(self, day: date) -> QRectF | None:
        """Where the day's "+N more" (or its count, in a quarter) is painted."""
        return next((r for r, d, _rows in self._more if d == day), None)

    def chip_at(self, account_id: int) -> QRectF | None:
        return next((r for r, a in self._hits if a == account_id), None)


class RenewalsView(QWidget):
    account_clicked = Signal(int)

    loaded = Signal()
    exported = Signal(object)  # the .ics file's path, once written

    def __init__(self, db: Database, runner: TaskRunner | None = None,
                 parent: QWidget | None = None, today: date | None = None) -> None:
        super().__init__(parent)
        self.db, self.runner = db, runner
        self.forecast: QuarterForecast | None = None
        self.forecast_next: QuarterForecast | None = None
        self.today = today or clock.today()
        self.anchor = self.today.replace(day=1)
        self.rows: list[RenewalRow] = []
        self.owner: str | None = None  # "My book": only this CSM's renewals
        title = QLabel("Renewals")
        title.setStyleSheet("font-size: 18pt; font-weight: 600;")
        self.month_button = QPushButton("Month")
        self.quarter_button = QPushButton("Quarter")
        self.mode = QButtonGroup(self)
        for i, b in enumerate((self.month_button, self.quarter_button)):
            b.setCheckable(True)
            self.mode.addButton(b, i)
        self.month_button.setChecked(True)
        self.mode.idClicked.connect(lambda _i: self.refresh_calendar())
        self.prev = QPushButton("◀")
        self.next = QPushButton("▶")
        self.today_button = QPushButton("Today")
        self.prev.clicked.connect(lambda: self.step(-1))
        self.next.clicked.connect(lambda: self.step(1))
        self.today_button.clicked.connect(self.go_today)
        self.period = QLabel()
        self.period.setMinimumWidth(110)
        for b in (self.prev, self.next):
            b.setMaximumWidth(32)
        self.within = QComboBox()
        for label, days in (("Next 30 days", 30), ("Next 90 days", 90),
                            ("Next 180 days", 180),
                            (f"This quarter ({period_label(quarter_of(self.today))})",
                             THIS_QUARTER),
                            (f"Next quarter ({period_label(next_quarter(self.today))})",
                             NEXT_QUARTER),
                            ("Every renewal", None), ("Calendar view", CALENDAR)):
            self.within.addItem(label, days)
        for key, period in ((THIS_QUARTER, quarter_of(self.today)),
                            (NEXT_QUARTER, next_quarter(self.today))):
            start, end, _a, _b = quarter_window(period, self.today)
            self.within.setItemData(self.within.findData(key),
                                    f"{start:%d %b} – {end:%d %b %Y}: the calendar quarter",
                                    Qt.ItemDataRole.ToolTipRole)
        self.within.setItemData(self.within.count() - 1, "The renewals of the month or "
                                "quarter the calendar shows", Qt.ItemDataRole.ToolTipRole)
        self.within.setCurrentIndex(2)
        self.within.currentIndexChanged.connect(self.refresh_list)
        self.ics = QPushButton("Export .ics…")
        self.ics.setToolTip("The renewals in the list as calendar events, with alarms at the "
                            "checkpoints (Outlook, Google Calendar, Apple Calendar)")
        self.ics.clicked.connect(lambda: self.export_ics())
        self.track_filter = QComboBox()
        self.track_filter.addItem("All tracks", None)
        for key, label in TRACK_LABELS.items():
            self.track_filter.addItem(label, key)
        self.track_filter.currentIndexChanged.connect(self.refresh_list)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Filter by account or owner")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.refresh_list)
        self.settings_button = QPushButton("Settings…")
        self.settings_button.setToolTip("When the renewal process starts per segment, the "
                                        "churn reasons, and plan limits of key features")
        self.settings_button.clicked.connect(self.edit_settings)
        self.settings_button.setEnabled(not db.readonly)
        # The calendar can give all its room to the pipeline: hidden, the month and quarter
        # buttons that move it go with it. A narrow window starts that way until the CSM
        # chooses; the choice is remembered (``calendar_choice``).
        self.calendar_button = QPushButton("Hide calendar")
        self.calendar_button.setToolTip("Show or hide the month calendar; hidden, the pipeline "
                                        "gets its room")
        self.calendar_button.clicked.connect(
            lambda: self._calendar_clicked(not self.calendar_shown()))
        self.calendar_choice: bool | None = None  # the CSM's own choice, once made
        bar = QHBoxLayout()
        bar.addWidget(self.calendar_button)
        bar.addSpacing(8)
        self._calendar_tools = (self.month_button, self.quarter_button, self.prev, self.period,
                                self.next, self.today_button)
        for w in self._calendar_tools:
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(self.settings_button)
        self.grid = CalendarGrid()
        self.grid.account_clicked.connect(self.account_clicked)
        self.pipeline_model = PipelineModel(self)
        self.table = QTableView()
        self.table.setObjectName("pipeline")
        self.table.setModel(self.pipeline_model)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setSortIndicatorShown(True)
        self.table.setSortingEnabled(True)
        # Grouped by track, at risk first, soonest first within each (click a header to
        # sort otherwise).
        self.table.sortByColumn(TRACK, Qt.SortOrder.AscendingOrder)
        self.table.doubleClicked.connect(
            lambda index: self.account_clicked.emit(self.pipeline_model.account_id(index.row())))
        self._sized = False  # the columns are fitted to the first rows shown, then the user's
        # The fitted widths (each column's longest text), narrowed to the pipeline's room
        # (squeeze_columns); None once the widths are the user's (dragged, or remembered).
        self._fitted: dict[int, int] | None = None
        self._cells: dict[int, int] = {}  # each column's longest text, padding included
        self._user_widths = False
        self._quiet = False  # resizing the columns ourselves (or restoring them): not the user
        header.sectionResized.connect(self._section_resized)
        header.sortIndicatorChanged.connect(lambda _c, _o: self.squeeze_columns())
        self._squeeze_soon = QTimer(self)  # once the pipeline's room changed (many at a time)
        self._squeeze_soon.setSingleShot(True)
        self._squeeze_soon.setInterval(0)
        self._squeeze_soon.timeout.connect(self.squeeze_columns)
        self.table.viewport().installEventFilter(self)
        self.totals = QLabel()
        self.totals.setWordWrap(True)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.setContentsMargins(0, 4, 0, 0)
        list_bar = QHBoxLayout()
        list_bar.addWidget(self.within)
        list_bar.addWidget(self.track_filter)
        list_bar.addWidget(self.search, 1)
        list_bar.addWidget(self.ics)
        rl.addLayout(list_bar)
        rl.addWidget(self.table, 1)
        rl.addWidget(self.totals)
        self.forecast_panel = ForecastPanel()
        self.churn_panel = ChurnPanel()
        self._forecast_shown: tuple[Any, ...] | None = None  # what the two panels show now
        self._churn_shown: tuple[Any, ...] | None = None
        self.churn_panel.account_clicked.connect(self.account_clicked)
        self.churn_panel.window_changed.connect(lambda _m: self.reload())
        self.tabs = QTabWidget()
        add_named_tab(self.tabs, right, "pipeline", "&Pipeline")
        # Two quarters and the accuracy history: scrolls in a small window.
        forecast_scroll = QScrollArea()
        forecast_scroll.setWidgetResizable(True)
        forecast_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        forecast_scroll.setWidget(self.forecast_panel)
        self.forecast_panel.setMinimumHeight(560)  # its chart keeps a readable height
        add_named_tab(self.tabs, forecast_scroll, "forecast", "&Forecast")
        add_named_tab(self.tabs, self.churn_panel, "churn", "C&hurn post-mortem")
        # The pipeline needs the room: the calendar gives way (its minimum is small), and
        # the main window remembers where the user left the handle.
        self.splitter = split = QSplitter()
        split.setObjectName("renewals-splitter")
        split.setChildrenCollapsible(False)
        split.addWidget(self.grid)
        split.addWidget(self.tabs)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 3)
        split.setSizes([1, 10_000])  # the calendar at its minimum, until the user moves the
        # handle (then remembered)
        self.legend = legend = QLabel("  ".join(
            f"<span style='color:{TRACK_COLOURS[k].name()}'>■</span> {v}"
            for k, v in TRACK_LABELS.items())
            + "  <span style='color:#f59e0b'>□</span> today  "
              "<span style='color:#f59e0b'>▼</span> a later renewal's checkpoint (point at "
              "it: whose)")
        legend.setToolTip("A ▼ marks the day work on a renewal weeks ahead starts or steps "
                          "up (its 120-, 90-, 60- or 30-day checkpoint), not the renewals "
                          "of that day: point at it to see whose, click it to open one")
        legend.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addWidget(title)
        layout.addLayout(bar)
        layout.addWidget(legend)
        layout.addWidget(split, 1)

    # -- data ---------------------------------------------------------------------------

    def reload(self) -> None:
        """Read the pipeline, the forecasts and the churn post-mortem off the GUI thread (or
        here, without a runner), then show them."""
        months = self.churn_panel.since.currentData()
        since = None if months is None else self.today - timedelta(days=round(months * 30.44))
        if self.runner is None:
            self.show_pipeline(_load_renewals(self.db, self.today, since))
            return
        self.runner.submit("Loading renewals", _load_renewals, self.db, self.today, since,
                           on_done=self.show_pipeline)

    def open_tab(self, name: str) -> QWidget:
        """Show a tab by name: pipeline, forecast or churn."""
        return show_tab(self.tabs, name, "a renewals view")

    def set_owner(self, owner: str | None) -> None:
        self.owner = owner
        self.refresh_calendar()
        self.refresh_list()

    def scoped(self) -> list[RenewalRow]:
        return [r for r in self.rows if self.owner is None or r.owner == self.owner]

    def show_pipeline(self, loaded: Loaded) -> None:
        self.rows, self.forecast = loaded.rows, loaded.forecast
        self.forecast_next = loaded.forecast_next
        self.refresh_calendar()
        self.refresh_list()
        # The forecast's and the churn's tables and charts are drawn again only when their
        # figures changed: most edits (a field, a contact, a task) change neither, and their
        # charts cost more than the whole pipeline's list.
        forecast = (loaded.forecast, loaded.accuracy, loaded.forecast_next)
        if forecast != self._forecast_shown:
            self.forecast_panel.show_data(*forecast)
            self._forecast_shown = forecast
        churn = (loaded.churn, loaded.reasons)
        if churn != self._churn_shown:
            self.churn_panel.show_data(*churn)
            self._churn_shown = churn
        self.loaded.emit()

    def edit_settings(self) -> bool:
        from csdesk.ui.renewal_settings import RenewalSettingsDialog

        dialog = RenewalSettingsDialog(self.db, self)
        if dialog.exec() != RenewalSettingsDialog.DialogCode.Accepted:
            return False
        self.reload()
        return True

    def months(self) -> list[tuple[int, int]]:
        if self.quarter_button.isChecked():
            first = (self.anchor.month - 1) // 3 * 3 + 1
            return [(self.anchor.year, first + i) for i in range(3)]
        return [(self.anchor.year, self.anchor.month)]

    def step(self, direction: int) -> None:
        months = 3 if self.quarter_button.isChecked() else 1
        index = self.anchor.year * 12 + self.anchor.month - 1 + direction * months
        self.anchor = date(index // 12, index % 12 + 1, 1)
        self.refresh_calendar()

    def go_today(self) -> None:
        self.anchor = self.today.replace(day=1)
        self.refresh_calendar()

    def refresh_calendar(self) -> None:
        months = self.months()
        if len(months) == 3:
            self.period.setText(f"Q{(months[0][1] - 1) // 3 + 1} {months[0][0]}")
        else:
            self.period.setText(f"{calendar.month_name[months[0][1]]} {months[0][0]}")
        self.grid.show_months(months, self.scoped(), self.today)
        if self.within.currentData() == CALENDAR:  # the list (and .ics) follow the calendar
            self.refresh_list()

    def listed(self) -> list[RenewalRow]:
        days, track = self.within.currentData(), self.track_filter.currentData()
        words = self.search.text().casefold().split()
        shown = set(self.months()) if days == CALENDAR else None
        if days in (THIS_QUARTER, NEXT_QUARTER):  # the calendar's quarter, its real days
            period = quarter_of(self.today) if days == THIS_QUARTER else \
                next_quarter(self.today)
            _s, _e, first, last = quarter_window(period, self.today)
        else:
            first, last = 0, days if isinstance(days, int) else None
        return [r for r in self.scoped()
                if (r.days_to_go >= first and (last is None or r.days_to_go <= last)
                    if shown is None else
                    (r.renewal_date.year, r.renewal_date.month) in shown)
                and (track is None or r.track == track)
                and all(w in f"{r.name} {r.owner or ''} {r.external_id}".casefold()
                        for w in words)]

    def refresh_list(self) -> None:
        rows = self.listed()
        self.pipeline_model.set_rows(rows)
        if rows and not self._sized:
            self.fit_columns()
            self._fit_calendar()
        parts = [] if rows else ["No renewals match the window and filters."]
        totals = track_totals(rows)
        base = rows[0].base_currency if rows else "USD"
        for track in sorted(TRACK_LABELS, key=TRACK_ORDER.__getitem__):  # as the groups
            if track in totals:
                n, arr_cents, expected_cents = totals[track]
                if arr_cents is None or expected_cents is None:
                    parts.append(f"{TRACK_LABELS[track]}: {n} · no total in {base} (a rate "
                                 "is missing)")
                    continue
                parts.append(f"{TRACK_LABELS[track]}: {n} · {format_money(arr_cents, base)} → "
                             f"{format_money(expected_cents, base)} expected")
        others = sorted({r.currency for r in rows} - {base})
        if others:  # said, as the command line says it: the rows' €/£ are converted
            parts.append(f"Totals in {base}, the base currency, at today's rates (some "
                         f"renewals are in {', '.join(others)})")
        for label, f in (("This quarter", self.forecast), ("Next quarter",
                                                           self.forecast_next)):
            if f is not None:  # the same sentence as ``csdesk renewals forecast``
                parts.append(f"{label}: {describe_forecast(f)}")
        self.totals.setText("\n".join(parts))

    def calendar_shown(self) -> bool:
        return not self.grid.isHidden()

    def show_calendar(self, shown: bool) -> None:
        self.calendar_button.setText("Hide calendar" if shown else "Show calendar")
        for w in (self.grid, self.legend, *self._calendar_tools):
            w.setVisible(shown)

    def _calendar_clicked(self, shown: bool) -> None:
        self.calendar_choice = shown
        self.show_calendar(shown)

    def set_calendar_choice(self, shown: bool) -> None:
        """The choice the CSM made in an earlier session (the main window keeps it)."""
        self.calendar_choice = shown
        self.show_calendar(shown)

    def _fit_calendar(self) -> None:
        """Until the CSM chooses, the calendar shows only when the pipeline's columns still
        fit beside it: a narrow window gives the pipeline the room instead."""
        if self.calendar_choice is not None or not self._sized or not self.isVisible():
            return
        header = self.table.horizontalHeader()
        # judged by the fitted widths: the calendar shows by itself only beside names whole
        widths = self._fitted or {c: header.sectionSize(c) for c in range(header.count())
                                  if c != CHECKPOINT}
        needed = sum(widths.values()) + self._checkpoint_room()
        room = self.table.viewport().width()  # the pipeline's room beside the calendar
        if not self.calendar_shown():
            room -= self._calendar_room()
        self.show_calendar(needed <= room)

    def _calendar_room(self) -> int:
        """What the calendar takes from the pipeline when shown: its width and the handle."""
        return self.grid.minimumSizeHint().width() + self.splitter.handleWidth()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_calendar()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        QTimer.singleShot(0, self._fit_calendar)  # once laid out at its shown size
        self._squeeze_soon.start()  # (its columns fitted while it was hidden: to its room)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # The pipeline's room changed (the window, the splitter, the calendar shown or
        # hidden, a scroll bar come or gone): its columns fit it again.
        if event.type() == QEvent.Type.Resize and watched is self.table.viewport():
            self._squeeze_soon.start()
        return super().eventFilter(watched, event)

    def fitted(self) -> bool:
        """Whether the columns have widths to remember (fitted, or restored)."""
        return self._sized

    def user_widths(self) -> bool:
        """Whether the column widths are the user's (dragged, or remembered as dragged):
        kept as they are, never fitted or narrowed."""
        return self._user_widths

    def restore_header(self, state: QByteArray, user: bool = True) -> bool:
        """The columns as the user left them (the main window keeps them): the sort, and
        the widths when the user set them (``user``; fitted widths are fitted again to the
        rows and the room of this session)."""
        self._quiet = True
        try:
            restored = self.table.horizontalHeader().restoreState(state)
        finally:
            self._quiet = False
        if restored and user:
            self._sized, self._fitted, self._user_widths = True, None, True
        return restored

    def _title_room(self, col: int, sorted_on: bool) -> int:
        """The least width that shows a column's title whole: the style's margins, the
        cells' padding and, on the column sorted on, the arrow's room."""
        text = self.pipeline_model.headerData(col, Qt.Orientation.Horizontal)
        return (self.table.horizontalHeader().fontMetrics().horizontalAdvance(text)
                + 2 * CELL_PADDING + 4 + (SORT_ARROW_ROOM if sorted_on else 0))

    def _checkpoint_room(self) -> int:
        """What the last column (it stretches) needs: its longest text, and its title."""
        sorted_on = self.table.horizontalHeader().sortIndicatorSection() == CHECKPOINT
        return max(self._cells.get(CHECKPOINT, 0), self._title_room(CHECKPOINT, sorted_on))

    def fit_columns(self) -> None:
        """Each column as wide as its longest text (names and amounts never clipped), and
        room beside the sort arrow in the header, then narrowed to the room there is
        (:meth:`squeeze_columns`); the user can resize them after."""
        self._sized, self._user_widths = True, False
        header = self.table.horizontalHeader()
        model = self.pipeline_model
        fitted: dict[int, int] = {}
        for col in range(model.columnCount()):
            # as wide as the widest cell measured by its delegate (padding included)
            self._cells[col] = max((self.table.sizeHintForIndex(model.index(row, col)).width()
                                    for row in model.widest_rows(col)), default=0) + 2
            if col == CHECKPOINT:
                continue  # the last one stretches
            # the title with room for the sort arrow, and what the style itself asks for the
            # header: its label, margins and arrow ("Track" was cut to "Trac")
            width = max(self._cells[col], self._title_room(col, True),
                        header.sectionSizeHint(col))
            if col == NAME:
                width = min(width, 280)  # a longer name elides; its tooltip has it whole
            fitted[col] = width
        self._fitted = fitted
        self.squeeze_columns()

    def squeeze_columns(self) -> None:
        """The fitted widths, narrowed when the pipeline's room is short (the calendar
        beside it, a small window): first the sort arrow's room beside the titles of the
        columns not sorted on, then owners and health notes elide, then long names down to
        170 px (their tooltips have them whole). Dates, days, tracks, amounts and
        percentages keep their whole text; widths the user set are left alone."""
        if self._fitted is None:
            return
        widths = dict(self._fitted)
        header = self.table.horizontalHeader()
        if self.table.isVisible():  # laid out: the room it has
            over = (sum(widths.values()) + self._checkpoint_room()
                    - self.table.viewport().width())
            sorted_on = header.sortIndicatorSection()

            def floor(col: int, least: int) -> int:  # never narrower than its title
                return max(least, self._title_room(col, col == sorted_on))

            stages = ({c: floor(c, self._cells[c]) for c in widths},  # every text whole
                      {c: floor(c, ELIDING[c]) for c in (OWNER, HEALTH)},  # owners, notes
                      {NAME: floor(NAME, ELIDING[NAME])})  # then long names
            for floors in stages:
                for col, least in floors.items():
                    cut = min(over, widths[col] - least)
                    if cut > 0:
                        widths[col] -= cut
                        over -= cut
        self._quiet = True
        try:
            for col, width in widths.items():
                if header.sectionSize(col) != width:
                    header.resizeSection(col, width)
            # the last column stretches over the rest, down to the size it was given (the
            # header's default, 100 px, unless set): down to its own text
            header.resizeSection(CHECKPOINT, self._checkpoint_room())
        finally:
            self._quiet = False

    def _section_resized(self, column: int, _old: int, _new: int) -> None:
        """A column the user drags (or double-clicks to fit): the widths are the user's
        from then on, kept and remembered."""
        if self._quiet or column == CHECKPOINT or self._fitted is None:
            return
        self._fitted, self._user_widths = None, True

    def export_ics(self, path: Path | None = None) -> Path | None:
        """Write the listed renewals as a calendar; off the GUI thread with a progress bar
        and Cancel when there is a runner (a whole large book takes a while)."""
        from csdesk.services.renewals.calendar import write_ics

        if path is None:
            chosen, _ = QFileDialog.getSaveFileName(self, "Export renewals as a calendar",
                                                    str(Path.home() / "renewals.ics"),
                                                    "Calendar files (*.ics)")
            if not chosen:
                return None
            path = Path(chosen)
        rows = self.listed()
        if self.runner is None:
            try:
                write_ics(path, rows, stamp=self.today, overwrite=True)  # the dialog asked
            except CsdeskError as exc:
                QMessageBox.warning(self, "Export .ics", str(exc))
                return None
            return path
        self.runner.run_with_dialog(
            self, f"Exporting {len(rows):,} renewals", write_ics, path, rows,
            stamp=self.today, overwrite=True,  # the save dialog asked
            on_done=lambda p: self.exported.emit(p),
            on_failed=lambda e: None if e.cancelled else QMessageBox.warning(
                self, "Export .ics", e.message))
        return path


@dataclass(frozen=True)
class Loaded:
    rows: list[RenewalRow]
    forecast: QuarterForecast
    forecast_next: QuarterForecast  # the next calendar quarter
    accuracy: list[ForecastAccuracy]  # the four quarters before the one in progress
    churn: ChurnAnalysis
    reasons: list[tuple[str, str, str]]


def _load_renewals(db: Database, today: date, since: date | None = None) -> Loaded:
    """Everything the renewals view shows, read in one go on the worker thread."""
    last = current_period(today)
    quarters = quarters_back(last, 4)
    rows = pipeline(db, today=today)
    this, following = quarter_forecasts(db, today=today, rows=rows)
    return Loaded(rows, this, following,
                  [forecast_accuracy(db, q) for q in quarters],
                  churn_analysis(db, since=since), churn_reasons(db))
