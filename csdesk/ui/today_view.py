"""Today: the worklist the playbook rules fill, one row per account with its tasks beneath,
highest rank first (ARR at stake × risk × urgency, each task saying why), no more a day than
the book's daily capacity (the rest planned on later days). Filters by when, rule, owner and
segment; done, snooze and reassign act on every task selected, on the task runner (they
plan the owners' days again), one at a time, a line saying what was done, and the selection
stays in place after. The done form logs a proactive touch with the contacts ticked; the selected
task shows why it exists and its checklist.

The tree is filled in batches from the event loop, so a worklist of a 100,000-account book
never freezes the window; the tasks themselves are read on the task runner.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from functools import partial
from typing import Any

from PySide6.QtCore import (
    QDate,
    QEvent,
    QObject,
    QRect,
    QSize,
    QStringListModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QCompleter,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from csdesk import clock
from csdesk.db import Database
from csdesk.errors import CsdeskError, ServerUnreachable
from csdesk.models.enums import Segment
from csdesk.services.formatting import counted, format_date
from csdesk.services.worklist.plan import over_capacity, planned_today
from csdesk.services.worklist.today import (
    TaskRow,
    day_name,
    open_tasks,
    tasks_said,
)
from csdesk.ui.fields import date_edit
from csdesk.ui.tasks import TaskError, TaskRunner
from csdesk.ui.theme import CELL_PADDING, error_label

PRIORITY_COLOURS = {"critical": QColor("#b91c1c"), "high": QColor("#dc2626"),
                    "medium": QColor("#d97706"), "low": QColor("#6b7280")}
LATE_COLOUR = QColor("#dc2626")
EVERYONE = "Everyone"
ALL_RULES, BY_HAND = "All rules", "Added by hand"
ALL_SEGMENTS = "All segments"
WHEN = (("Due by today", 0), ("This week", 7), ("All open", None))
BATCH = 300  # accounts added to the tree per turn of the event loop
# The most accounts the tree lists at once: a worklist of 70,000 tasks is not read
# row by row (and a tree that size takes minutes to build); the filters narrow it.
MOST_ACCOUNTS = 2000
ROLE = Qt.ItemDataRole.UserRole
OWNER = 4  # the tree's Owner column
TEXT_MARGINS = 12  # Fusion's margins each side of a cell's text, and a little to spare


def load_worklist(db: Database, today: date
                  ) -> tuple[list[TaskRow], int, dict[str | None, int]]:
    """The open tasks, the book's daily capacity and the tasks done today by owner (they
    took places of today's capacity): read together, off the GUI thread."""
    from csdesk.services.settings import daily_capacity
    from csdesk.services.worklist.plan import done_on

    return open_tasks(db, today), daily_capacity(db), done_on(db, today)


class TodayView(QWidget):
    account_clicked = Signal(int)
    count_changed = Signal(int)  # overdue + due today: the navigation badge
    loaded = Signal()
    rules_requested = Signal()
    run_requested = Signal()
    spread_requested = Signal()  # a new book's first touches, spread at the capacity

    def __init__(self, db: Database, runner: TaskRunner | None = None,
                 parent: QWidget | None = None, today: date | None = None) -> None:
        super().__init__(parent)
        self.db, self.runner = db, runner
        self.today = today or clock.today()
        self.tasks: list[TaskRow] = []
        self.shown: list[TaskRow] = []
        self.capacity_value = 15
        self.done_today: dict[str | None, int] = {}  # owner → tasks done today
        self.scope_owner: str | None = None
        self._keep: tuple[int | None, int] = (None, 0)  # (task id, position) to select after
        self._pending: list[tuple[int | None, list[TaskRow]]] = []
        self._listed: tuple[Any, ...] | None = None  # the worklist the tree lists, as read
        self._loads = 0  # reloads asked for: only the latest one's result is shown
        self.acting = False  # an action (done, snooze, reassign) is running
        title = QLabel("Today")
        title.setStyleSheet("font-size: 18pt; font-weight: 600;")
        self.subtitle = QLabel()
        self.subtitle.setStyleSheet("color: palette(placeholder-text);")
        self.subtitle.setWordWrap(True)  # a long day (a team's, a filter's note) wraps: the
        # header never sets the window's least width
        # Today over the capacity (renewal steps cannot wait): said in one plain line.
        self.over = QLabel()
        self.over.setObjectName("overCapacity")
        self.over.setWordWrap(True)
        self.over.setStyleSheet(f"#overCapacity {{ color: {LATE_COLOUR.name()}; }}")
        self.over.hide()
        self.run_button = QPushButton("Run playbooks now")
        self.run_button.setToolTip("Evaluate the enabled rules on the book as of today and "
                                   "add the tasks that are new (they also run at start-up and "
                                   "after every import or health recalculation)")
        self.run_button.clicked.connect(self.run_requested)
        self.rules_button = QPushButton("Playbook rules…")
        self.rules_button.clicked.connect(self.rules_requested)
        self.capacity = QSpinBox()
        self.capacity.setRange(1, 200)
        self.capacity.setValue(self.capacity_value)
        self.capacity.setToolTip("How many tasks a day the worklist plans; the rest are "
                                 "scheduled on the following work days, highest rank first")
        self._capacity_timer = QTimer(self, singleShot=True, interval=700)
        self._capacity_timer.timeout.connect(lambda: self.set_capacity(self.capacity.value()))
        self.capacity.valueChanged.connect(lambda _v: self._capacity_timer.start())
        head = QHBoxLayout()
        head.addWidget(title, 1)
        head.addWidget(QLabel("Tasks a day"))
        head.addWidget(self.capacity)
        head.addSpacing(12)
        head.addWidget(self.run_button)
        head.addWidget(self.rules_button)

        self.when = QComboBox()
        for label, days in WHEN:
            self.when.addItem(label, days)
        self.when.setToolTip("Which days' tasks to list: the capacity plans today's")
        self.rule = QComboBox()
        self.owner = QComboBox()
        self.owner.setToolTip("Whose tasks to show")
        self.segment = QComboBox()
        filters = QHBoxLayout()
        for label, combo, first in (("Show", self.when, None), ("Rule", self.rule, ALL_RULES),
                                    ("Owner", self.owner, EVERYONE),
                                    ("Segment", self.segment, ALL_SEGMENTS)):
            if first is not None:
                combo.addItem(first)
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            combo.currentIndexChanged.connect(
                lambda _i: self._refilter(keep=self._position()))
            filters.addWidget(QLabel(label))
            filters.addWidget(combo)
            filters.addSpacing(8)
        filters.addStretch(1)

        self.banner = QFrame()
        self.banner.setObjectName("firstRun")
        self.banner.setStyleSheet("#firstRun { background: palette(alternate-base); "
                                  "border: 1px solid palette(mid); border-radius: 6px; }")
        self.banner_text = QLabel()
        self.banner_text.setWordWrap(True)
        self.spread_button = QPushButton("Spread first touches")
        self.spread_button.clicked.connect(self._spread_clicked)
        self.dismiss_button = QPushButton("OK")
        self.dismiss_button.setToolTip("Hide this message")
        self.dismiss_button.clicked.connect(self.banner.hide)
        self.dismiss_button.hide()
        bl = QHBoxLayout(self.banner)
        bl.setContentsMargins(10, 8, 10, 8)
        bl.addWidget(self.banner_text, 1)
        bl.addWidget(self.spread_button, 0, Qt.AlignmentFlag.AlignVCenter)
        bl.addWidget(self.dismiss_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.banner.hide()
        self._asking = False  # the banner asks to spread first touches (not a notice)

        self.tree = QTreeWidget()
        self.tree.setColumnCount(5)
        # Owner: shown for everyone's tasks, hidden when the list is one owner's
        self.tree.setHeaderLabels(["Account · task", "Why", "Due", "Priority", "Owner"])
        # A long title wraps in its column (rows then differ in height); the why stays one
        # line, elided, whole in its tooltip and in the task's panel.
        self.tree.setWordWrap(True)
        self.tree.setItemDelegateForColumn(0, _Wrapped(self.tree))
        self.tree.setItemDelegateForColumn(1, _OneLine(self.tree))
        self.tree.setIndentation(16)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(0, 250)
        # The title column takes the larger share of the room (a renewal step's title is
        # long: "Renewal step (30 days): close: get the renewal signed"), until the CSM
        # drags it; what still does not fit is elided, whole in its tooltip.
        self._columns_dragged = self._fitting = False
        header.sectionResized.connect(self._column_dragged)
        self.tree.viewport().installEventFilter(self)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(OWNER, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        self.tree.setStyleSheet("QTreeWidget::item { padding: 3px 2px; }")
        self.tree.currentItemChanged.connect(lambda _c, _p: self.show_selected())
        self.tree.itemSelectionChanged.connect(self._selection_changed)
        self.tree.itemDoubleClicked.connect(lambda item, _c: self._open(item))

        self.detail = self._build_detail()
        self._result_to_show = False  # an action's result line: scrolled to once reloaded
        # Nothing to list: a line saying why, and what to do next (run the playbooks).
        self.empty = QWidget()
        self.empty_text = QLabel()
        self.empty_text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_text.setWordWrap(True)
        self.empty_run = QPushButton("Run playbooks now")
        self.empty_run.setToolTip(self.run_button.toolTip())
        self.empty_run.clicked.connect(self.run_requested)
        empty = QVBoxLayout(self.empty)
        empty.addStretch(1)
        empty.addWidget(self.empty_text)
        empty.addWidget(self.empty_run, 0, Qt.AlignmentFlag.AlignHCenter)
        empty.addStretch(2)
        self.stack = QStackedWidget()
        split = QSplitter()
        split.addWidget(self.tree)
        # The task's panel scrolls rather than setting the window's least height (a small
        # screen, or the first-run banner above, must not push the window off it).
        detail = QScrollArea()
        detail.setWidgetResizable(True)
        detail.setFrameShape(QFrame.Shape.NoFrame)
        detail.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        detail.setWidget(self.detail)
        self.detail_scroll = detail
        split.addWidget(detail)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 0)
        self.detail.setMinimumWidth(340)
        detail.setMinimumWidth(360)
        detail.setMaximumWidth(560)  # the list gets the room: its "why" is the point
        self.stack.addWidget(split)
        self.stack.addWidget(self.empty)
        if db.readonly:  # the worklist can be read, not changed
            for button in (self.run_button, self.empty_run, self.rules_button, self.done_button,
                           self.snooze_button, self.reassign_button, self.spread_button):
                button.setEnabled(False)
                button.setToolTip("The book is open read-only")
            self.capacity.setEnabled(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addLayout(head)
        # The day's line spans the view under the title and its buttons: at 1200 px it
        # has the whole width, so it reads in one line.
        layout.addWidget(self.subtitle)
        layout.addWidget(self.over)
        layout.addLayout(filters)
        layout.addWidget(self.banner)
        layout.addWidget(self.stack, 1)

    def _build_detail(self) -> QWidget:
        panel = QWidget()
        self.task_title = QLabel()
        self.task_title.setWordWrap(True)
        self.task_title.setTextFormat(Qt.TextFormat.PlainText)
        font = QFont(self.task_title.font())
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setWeight(QFont.Weight.DemiBold)
        self.task_title.setFont(font)
        self.open_button = QPushButton("Open account")
        self.open_button.clicked.connect(lambda: self._open(self.tree.currentItem()))
        self.facts = QLabel()
        self.facts.setWordWrap(True)
        self.reason = QLabel()
        self.reason.setWordWrap(True)
        self.reason.setTextFormat(Qt.TextFormat.PlainText)  # comments are the customer's words
        self.reason.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reason.setStyleSheet("padding: 8px; border-radius: 4px;"
                                  "background: palette(alternate-base);")
        self.checklist = QListWidget()
        self.checklist.setMaximumHeight(96)
        self.checklist.itemChanged.connect(self._step_changed)

        done_box = QGroupBox("Done")
        self.log = QCheckBox("Log it on the timeline as a proactive touch")
        self.log.setChecked(True)
        self.kind = QComboBox()
        for kind in ("call", "meeting", "email", "note", "qbr", "onsite"):
            self.kind.addItem(kind.upper() if kind == "qbr" else kind.capitalize(), kind)
        self.summary = QLineEdit()
        self.summary.setPlaceholderText("What was done, e.g. Called Dana: agreed a recovery plan")
        self.contacts = QListWidget()
        self.contacts.setMaximumHeight(92)
        self.contacts.setToolTip("Who you spoke to: the touch is logged with them, so the "
                                 "rules that watch contacts (a quiet sponsor) see it")
        self.contacts_label = QLabel("Contacts touched")
        for box in (self.checklist, self.contacts):
            box.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            box.setTextElideMode(Qt.TextElideMode.ElideRight)
        for w in (self.kind, self.summary, self.contacts):
            self.log.toggled.connect(w.setEnabled)
        self.done_button = QPushButton("Mark done")
        self.done_button.clicked.connect(lambda: self.complete())
        dl = QFormLayout(done_box)
        dl.addRow(self.log)
        row = QHBoxLayout()
        row.addWidget(self.kind)
        row.addWidget(self.summary, 1)
        dl.addRow(row)
        dl.addRow(self.contacts_label)
        dl.addRow(self.contacts)
        dl.addRow(self.done_button)

        later = QGroupBox("Not now")
        self.until = date_edit()
        self.snooze_button = QPushButton("Snooze")
        self.snooze_button.clicked.connect(lambda: self.snooze())
        self.new_owner = QLineEdit()
        self.new_owner.setPlaceholderText("Who takes it over")
        self.new_owner.setToolTip("The book's owners are offered as you type")
        self._owners_model = QStringListModel(self)
        completer = QCompleter(self._owners_model, self.new_owner)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.new_owner.setCompleter(completer)
        self.reassign_button = QPushButton("Reassign")
        self.reassign_button.clicked.connect(lambda: self.reassign())
        ll = QFormLayout(later)
        snooze_row = QHBoxLayout()
        snooze_row.addWidget(self.until, 1)
        snooze_row.addWidget(self.snooze_button)
        ll.addRow("Until", snooze_row)
        owner_row = QHBoxLayout()
        owner_row.addWidget(self.new_owner, 1)
        owner_row.addWidget(self.reassign_button)
        ll.addRow("Owner", owner_row)

        self.problem = error_label()
        self.problem.setWordWrap(True)
        # What the last action did ("Marked Acme — Call done"), or what it is doing.
        self.result_line = QLabel()
        self.result_line.setObjectName("actionResult")
        self.result_line.setWordWrap(True)
        self.result_line.setTextFormat(Qt.TextFormat.PlainText)
        top = QHBoxLayout()
        top.addWidget(self.task_title, 1)
        top.addWidget(self.open_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(8, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.facts)
        layout.addWidget(self.reason)
        self.checklist_label = QLabel("Checklist")
        layout.addWidget(self.checklist_label)
        layout.addWidget(self.checklist)
        layout.addWidget(done_box)
        layout.addWidget(later)
        layout.addWidget(self.result_line)
        layout.addWidget(self.problem)
        layout.addStretch(1)
        return panel

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.tree.viewport() and event.type() == QEvent.Type.Resize:
            self._fit_columns()
            self.tree.scheduleDelayedItemsLayout()  # the accounts' lines wrap anew
        return super().eventFilter(watched, event)

    def _column_dragged(self, index: int, _old: int, _new: int) -> None:
        if index == 0 and not self._fitting:
            self._columns_dragged = True
        if index == 0:  # the titles wrap anew
            self.tree.scheduleDelayedItemsLayout()

    def _fit_columns(self) -> None:
        """The title column: three fifths of what the due, priority and owner columns
        leave (the why has the rest), at least 220 px."""
        if self._columns_dragged:
            return
        header = self.tree.header()
        rest = sum(header.sectionSize(c) for c in range(2, self.tree.columnCount())
                   if not self.tree.isColumnHidden(c))
        self._fitting = True
        header.resizeSection(0, max(220, (self.tree.viewport().width() - rest) * 3 // 5))
        self._fitting = False

    # -- data ---------------------------------------------------------------------------

    def reload(self) -> None:
        """Read the open tasks off the GUI thread (or here, without a runner)."""
        self._loads += 1
        if self.runner is None:
            self._loaded(load_worklist(self.db, self.today), self._loads)
            return
        self.runner.submit("Loading the worklist", load_worklist, self.db, self.today,
                           on_done=lambda result, n=self._loads: self._loaded(result, n))

    def _loaded(self, result: tuple[list[TaskRow], int, dict[str | None, int]],
                n: int) -> None:
        if n != self._loads:  # an older read, overtaken by one asked for since: not shown
            return
        tasks, capacity, self.done_today = result
        self.capacity_value = capacity
        if not self._capacity_timer.isActive():
            self.capacity.blockSignals(True)
            self.capacity.setValue(capacity)
            self.capacity.blockSignals(False)
        # The same worklist as the one listed (an edit that changed no task, its account's
        # rank or today's count): the tree already shows it; not rebuilt.
        listed = (self.today, tasks, capacity, dict(self.done_today))
        if listed == self._listed and self._keep == (None, 0) and not self._pending:
            self._reveal_result()
            self.loaded.emit()
            return
        self.show_tasks(tasks)
        self._listed = listed
        self._reveal_result()

    def _reveal_result(self) -> None:
        """After an action, its result line is scrolled into view once the next task's
        panel is laid out (below the Done and Not now boxes it was under the fold)."""
        if self._result_to_show:
            self._result_to_show = False
            QTimer.singleShot(0, lambda: self.detail_scroll.ensureWidgetVisible(
                self.result_line, 0, 8))

    def show_tasks(self, tasks: list[TaskRow]) -> None:
        self._listed = None
        if self._keep == (None, 0):
            self._keep = self._position()
        self.tasks = tasks
        self._fill_combo(self.owner, EVERYONE, {t.owner for t in tasks if t.owner} | (
            {self.scope_owner} if self.scope_owner else set()))
        # The owner field offers the worklist's owners (checked against the book's on use).
        self._owners_model.setStringList(sorted({t.owner for t in tasks if t.owner},
                                                key=str.casefold))
        self._fill_combo(self.rule, ALL_RULES, {t.rule or BY_HAND for t in tasks})
        self._fill_combo(self.segment, ALL_SEGMENTS, {_segment(t.segment) for t in tasks
                                                      if t.segment})
        self._refilter(keep=self._keep)

    def _fill_combo(self, combo: QComboBox, first: str, values: set[str]) -> None:
        chosen = combo.currentText()
        combo.blockSignals(True)
        combo.clear()
        combo.addItems([first, *sorted(values)])
        combo.setCurrentText(chosen if chosen in values else first)
        combo.blockSignals(False)

    def _refilter(self, keep: tuple[int | None, int] | None = None) -> None:
        """Rebuild the tree from the tasks that pass the filters: accounts in the order of
        their best task's rank, each with its tasks beneath; added in batches."""
        self._keep = keep if keep is not None else (None, 0)
        self.shown = self.visible()
        groups: dict[int | None, list[TaskRow]] = {}
        for t in self.shown:  # already in rank order: the first task of an account is its best
            groups.setdefault(t.account_id, []).append(t)
        self._pending = list(groups.items())[:MOST_ACCOUNTS]
        self.tree.clear()
        owner = self.owner.currentText()
        self.tree.setColumnHidden(OWNER, owner not in (EVERYONE, ""))
        scoped = [t for t in self.tasks if owner in (EVERYONE, "") or t.owner == owner]
        today = sum(1 for t in scoped if t.due is None or t.due <= self.today)
        over = over_capacity(scoped, self.today, self.capacity_value)
        self.over.setText(over)
        self.over.setVisible(bool(over))
        late = sum(1 for t in scoped if t.due is not None and t.due < self.today)
        done = sum(n for o, n in self.done_today.items() if owner in (EVERYONE, "") or o == owner)
        self.subtitle.setText(
            f"{self.today:%A} {format_date(self.today)} · "
            f"{planned_today(today, self.capacity_value, len({t.owner for t in scoped}), done)}"
            f"{f', {late} late' if late else ''} · "
            f"{counted(len(scoped) - today, 'task')} planned on later days")
        if len(groups) > MOST_ACCOUNTS:
            self.subtitle.setText(
                f"{self.subtitle.text()} · listing the {MOST_ACCOUNTS:,} highest-ranked of "
                f"{len(groups):,} accounts: filter by owner, rule or segment for the rest")
        later, rule = len(scoped) - today, self.rule.currentText()
        self.empty_text.setText(
            "Nothing is planned yet. Run the playbooks to find the accounts that need you "
            "today; if they find nothing, see Playbook rules… to preview and switch more on."
            if not self.tasks else
            f"Nothing planned for today: {counted(later, 'task')} planned on later days "
            "(Show: All open lists them)."
            if self.when.currentData() == 0 and later and rule in (ALL_RULES, "")
            and self.segment.currentText() in (ALL_SEGMENTS, "")
            else "No task matches these filters.")
        self.empty_run.setVisible(not self.tasks)
        self.stack.setCurrentIndex(0 if self.shown else 1)
        self.count_changed.emit(sum(1 for t in self.shown
                                    if t.due is None or t.due <= self.today))
        self._add_batch()

    def _add_batch(self) -> None:
        batch, self._pending = self._pending[:BATCH], self._pending[BATCH:]
        items = [self._account_item(group) for _aid, group in batch]
        self.tree.addTopLevelItems(items)
        for item in items:  # spanning takes effect only once the item is in the tree
            item.setFirstColumnSpanned(True)
        self.tree.expandAll()  # once a batch: item by item, each relays out the whole tree
        self._fit_columns()  # the due, priority and owner columns fit what was added
        if self._pending:
            QTimer.singleShot(0, self._add_batch)
            return
        task_id, position = self._keep
        self._keep = (None, 0)
        self.select(task_id, position)
        self.loaded.emit()

    def _account_item(self, group: list[TaskRow]) -> QTreeWidgetItem:
        first = group[0]
        # The account's line spans the row: its name and what ranks it (ARR · health ·
        # renewal), the same for each of its tasks, which then have room for their reasons.
        # Its rank (its best task's: ARR × risk × urgency) leads, so the order between two
        # accounts reads from their lines.
        head = QTreeWidgetItem([f"{first.account or 'No account'} ({len(group)}) · rank "
                                f"{first.score:,.0f} · {first.account_why}", "", "", "", ""])
        head.setToolTip(0, f"{head.text(0)}\n{counted(len(group), 'task')} on this account; "
                           "its rank is its best task's: ARR × risk × urgency")
        font = head.font(0)
        font.setBold(True)
        head.setFont(0, font)
        head.setData(0, ROLE, None)
        for t in group:
            item = QTreeWidgetItem([t.title, _first_line(t.reason) or "Added by hand",
                                    _due(t.due, self.today), t.priority.capitalize(),
                                    t.owner or "—"])
            item.setData(0, ROLE, t.id)
            item.setToolTip(0, t.title)
            item.setToolTip(1, f"{t.reason or 'Added by hand'}\nRank {t.score:,.0f} = "
                               f"ARR × risk × urgency: {t.why}")
            item.setForeground(3, PRIORITY_COLOURS.get(t.priority, QColor("#6b7280")))
            if t.due is not None and t.due < self.today:
                item.setForeground(2, LATE_COLOUR)
            head.addChild(item)
        return head

    def set_owner(self, owner: str | None) -> None:
        """The window's scope: "My book" shows this CSM's tasks, the team's book everyone's."""
        self.scope_owner = owner
        if owner and self.owner.findText(owner) < 0:
            self.owner.addItem(owner)
        self.owner.setCurrentText(owner or EVERYONE)

    def visible(self) -> list[TaskRow]:
        owner, rule, segment = (self.owner.currentText(), self.rule.currentText(),
                                self.segment.currentText())
        days = self.when.currentData()
        last = self.today + timedelta(days=days) if days is not None else date.max
        return [t for t in self.tasks
                if owner in (EVERYONE, "") or t.owner == owner
                if rule in (ALL_RULES, "") or (t.rule or BY_HAND) == rule
                if segment in (ALL_SEGMENTS, "") or _segment(t.segment) == segment
                if t.due is None or t.due <= last]

    def tasks_by_id(self) -> dict[int, TaskRow]:
        return {t.id: t for t in self.tasks}

    def task_items(self) -> list[QTreeWidgetItem]:
        """The task rows, top to bottom (the accounts' rows left out)."""
        out = []
        for g in range(self.tree.topLevelItemCount()):
            head = self.tree.topLevelItem(g)
            out.extend(head.child(i) for i in range(head.childCount()))
        return out

    def select(self, task_id: int | None, position: int = 0) -> None:
        """Select that task or, gone (done, snoozed), the one now in its place, so the CSM
        carries on where they were; with neither, the first."""
        items = self.task_items()
        chosen = next((i for i in items if i.data(0, ROLE) == task_id), None)
        if chosen is None and items:
            chosen = items[min(position, len(items) - 1)]
        if chosen is not None:
            self.tree.setCurrentItem(chosen)
            self.tree.scrollToItem(chosen)
        else:
            self.show_selected()

    def _position(self) -> tuple[int | None, int]:
        item = self.tree.currentItem()
        if item is None or item.data(0, ROLE) is None:
            return None, 0
        items = self.task_items()
        return item.data(0, ROLE), items.index(item) if item in items else 0

    def current(self) -> TaskRow | None:
        item = self.tree.currentItem()
        if item is None:
            return None
        tid = item.data(0, ROLE)
        if tid is None and item.childCount():  # an account's row: its first task
            tid = item.child(0).data(0, ROLE)
        return next((t for t in self.tasks if t.id == tid), None)

    def selected(self) -> list[TaskRow]:
        """The tasks selected (an account's row selects all its tasks), or the current one."""
        ids: list[int] = []
        for item in self.tree.selectedItems():
            children = [item.child(i) for i in range(item.childCount())] or [item]
            ids.extend(c.data(0, ROLE) for c in children if c.data(0, ROLE) not in ids)
        by_id = {t.id: t for t in self.tasks}
        chosen = [by_id[i] for i in ids if i in by_id]
        if not chosen and (t := self.current()) is not None:
            chosen = [t]
        return chosen

    def _selection_changed(self) -> None:
        n = len(self.selected())
        suffix = f" ({n} tasks)" if n > 1 else ""
        self.done_button.setText(f"Mark done{suffix}")
        self.snooze_button.setText(f"Snooze{suffix}")
        self.reassign_button.setText(f"Reassign{suffix}")
        self._show_contacts()

    def show_selected(self) -> None:
        t = self.current()
        self.detail.setEnabled(t is not None)
        self.problem.clear()
        if t is None:
            for label in (self.task_title, self.facts, self.reason):
                label.clear()
            self.checklist.clear()
            self.contacts.clear()
            return
        self.task_title.setText(t.title)
        snoozed = (f" · was snoozed until {format_date(t.snoozed_until)}"
                   if t.snoozed_until else "")
        self.facts.setText(
            f"<b>{_escape(t.account or 'No account')}</b> · due {_due(t.due, self.today)} · "
            f"{_escape(t.owner or 'no owner')} · "
            f"{'rule: ' + _escape(t.rule) if t.rule else 'added by hand'}{snoozed}<br>"
            f"<span style='color: palette(placeholder-text)'>Ranked by {_escape(t.why)}"
            f"</span>")
        self.reason.setText(t.reason or "No reason recorded.")
        self.open_button.setEnabled(t.account_id is not None)
        self.checklist.blockSignals(True)
        self.checklist.clear()
        for text, done in t.checklist:
            item = QListWidgetItem(text)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if done else Qt.CheckState.Unchecked)
            self.checklist.addItem(item)
        self.checklist_label.setVisible(bool(t.checklist))
        self.checklist.setVisible(bool(t.checklist))
        _fit_rows(self.checklist, 96)
        self.checklist.blockSignals(False)
        self.until.setDate(QDate(self.today + timedelta(days=7)))
        self.new_owner.setText("")
        self.summary.setText("")
        self._selection_changed()

    def _show_contacts(self) -> None:
        """The contacts of the selected tasks' account, to tick who was touched."""
        from csdesk.services.book.account_detail import contacts

        accounts = {t.account_id for t in self.selected()}
        self.contacts.clear()
        if len(accounts) != 1 or None in accounts:
            self.contacts_label.setText("Contacts touched (select one account's tasks)")
            self.contacts.setEnabled(False)
            return
        people = [c for c in contacts(self.db, next(iter(accounts))) if not c.left_company]
        self.contacts_label.setText("Contacts touched" if people else
                                    "Contacts touched: none on record for this account")
        self.contacts.setEnabled(bool(people) and self.log.isChecked())
        for c in people:
            roles = [r for r, on in (("champion", c.is_champion),
                                     ("executive sponsor", c.is_executive_sponsor),
                                     ("economic buyer", c.is_economic_buyer)) if on]
            item = QListWidgetItem(f"{c.name}{' — ' + c.title if c.title else ''}"
                                   f"{' (' + ', '.join(roles) + ')' if roles else ''}")
            item.setData(ROLE, c.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.contacts.addItem(item)
        _fit_rows(self.contacts, 92)

    def ticked_contacts(self) -> list[int]:
        return [self.contacts.item(i).data(ROLE) for i in range(self.contacts.count())
                if self.contacts.item(i).checkState() == Qt.CheckState.Checked]

    # -- the first run and the capacity ---------------------------------------------------

    def show_first_run(self, text: str) -> None:
        """More first touches than a day's work wait (a new book's first run, or a later
        one): say how many, and offer to spread them. An empty text takes the question
        down (a notice of what was created stays until dismissed)."""
        if not text and not self._asking:
            return
        self._asking = bool(text)
        self.banner_text.setText(text)
        self.banner.setVisible(bool(text))
        self.spread_button.show()
        self.dismiss_button.hide()
        self.spread_button.setEnabled(bool(text) and not self.db.readonly)

    def show_created(self, text: str) -> None:
        """What spreading the first touches did: "Created 37 first-touch tasks, planned
        over the next 3 work days", until dismissed."""
        self._asking = False
        self.banner_text.setText(text or "No first touch was left to create.")
        self.spread_button.hide()
        self.dismiss_button.show()
        self.banner.show()

    def _spread_clicked(self) -> None:
        self.spread_button.setEnabled(False)
        self.banner_text.setText("Spreading the first touches over the coming weeks…")
        self.spread_requested.emit()

    def set_capacity(self, n: int) -> bool:
        """Save the book's tasks a day and plan the worklist anew with it (one service
        call: more a day brings the top-ranked waiting tasks back to today, fewer moves
        the lowest ranked to later days)."""
        from csdesk.errors import ValidationError
        from csdesk.services.settings import check_capacity
        from csdesk.services.worklist.plan import set_capacity

        self._capacity_timer.stop()
        try:
            check_capacity(n)
        except ValidationError as exc:
            self.problem.setText(str(exc))
            return False
        self.capacity_value = n
        if self.runner is None:
            try:
                set_capacity(self.db, n, self.today)
            except CsdeskError as exc:
                self.problem.setText(str(exc))
                return False
            self.reload()
        else:
            self.runner.submit("Planning the worklist", set_capacity, self.db, n, self.today,
                               on_done=lambda _moved: self.reload())
        return True

    # -- actions ------------------------------------------------------------------------

    def _act(self, fn: Any, said: Any, *args: Any, check: Any = None, **kwargs: Any) -> bool:
        """Do ``fn`` (done, snooze, reassign) to the tasks selected. With a runner it runs
        there (the owners' days are planned again: a fraction of a second on a large book),
        the actions wait meanwhile, and its result line shows when it is done; after the
        reload the selection is in the same place. ``check()`` refuses what the service
        would (a ValidationError), at once."""
        chosen = self.selected()
        if not chosen or self.acting:
            return False
        try:
            if check is not None:
                check()
        except CsdeskError as exc:
            self.problem.setText(str(exc))
            return False
        pairs = [(t.id, t.version) for t in chosen]
        # After the reload, the same place: the task itself if it is still listed,
        # else the one that took its place (the next task, not the top).
        items = self.task_items()
        ids = {t.id for t in chosen}
        places = [i for i, item in enumerate(items) if item.data(0, ROLE) in ids]
        current = self.current()
        keep = (current.id if current else None, places[0] if places else 0)
        self.problem.clear()
        if self.runner is None:
            try:
                rows = fn(self.db, pairs, *args, **kwargs)
            except ServerUnreachable:
                self._keep_for_later(fn, chosen, pairs, args, kwargs)
                return False
            except CsdeskError as exc:
                self.problem.setText(str(exc))
                return False
            self._acted(rows, said, keep)
            return True
        self._set_acting(True)
        self.result_line.setText(f"{said(chosen, self.today, done=False)}…")

        def failed(error: TaskError) -> None:
            self._set_acting(False)
            self.result_line.clear()
            if error.offline:
                self._keep_for_later(fn, chosen, pairs, args, kwargs)
            else:
                self.problem.setText(error.message)

        self.runner.submit(said(chosen, self.today, done=False), fn, self.db, pairs, *args,
                           on_done=lambda rows: self._acted(rows, said, keep),
                           on_failed=failed, **kwargs)
        return True

    def _acted(self, rows: list[TaskRow], said: Any, keep: tuple[int | None, int]) -> None:
        self._set_acting(False)
        self.result_line.setText(said(rows, self.today))
        self._result_to_show = True
        self._keep = keep
        self.reload()

    def _set_acting(self, on: bool) -> None:
        """While an action runs, no other starts (its tasks' versions would be stale)."""
        self.acting = on
        for button in (self.done_button, self.snooze_button, self.reassign_button):
            button.setEnabled(not on and not self.db.readonly)

    def _keep_for_later(self, fn: Any, chosen: list[TaskRow], pairs: list[tuple[int, int]],
                        args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        from csdesk.ui.pending import pending_for

        db = self.db
        what = chosen[0].title if len(chosen) == 1 else counted(len(chosen), "task")
        pending_for(db).add(f"task “{what}” ({fn.__name__.replace('_tasks', '')})",
                            lambda: fn(db, pairs, *args, **kwargs))
        self.problem.setText("The server cannot be reached: this is kept and will be "
                             "saved when it is back.")

    def complete(self) -> bool:
        from csdesk.services.worklist.today import check_activity, complete_tasks

        activity = self.summary.text() if self.log.isChecked() else None
        return self._act(complete_tasks, _said_done, check=lambda: check_activity(activity),
                         activity=activity,
                         kind=self.kind.currentData(), on=self.today,
                         contacts=self.ticked_contacts() if activity else None)

    def snooze(self, until: date | None = None) -> bool:
        from csdesk.services.worklist.today import check_snooze, snooze_tasks

        chosen = until or self.until.date().toPython()
        return self._act(snooze_tasks, partial(_said_snoozed, chosen), chosen,
                         check=lambda: check_snooze(chosen, self.today), today=self.today)

    def known_owners(self) -> list[str]:
        """Everyone who owns an account or a task in the book, for the owner field."""
        from csdesk.services.book.account_detail import owners

        return sorted(set(owners(self.db)) | {t.owner for t in self.tasks if t.owner},
                      key=str.casefold)

    def reassign(self, owner: str | None = None) -> bool:
        """Give the chosen tasks to ``owner`` (or the name typed): a known owner in any case
        is written as the book spells it; a name nobody in the book has is asked about
        first, so a typo does not make a new owner."""
        from csdesk.services.worklist.today import check_owner, reassign_tasks

        if owner is None:
            typed = self.new_owner.text().strip()
            known = {o.casefold(): o for o in self.known_owners()}
            owner = known.get(typed.casefold(), typed)
            if typed and typed.casefold() not in known:
                answer = QMessageBox.question(
                    self, "A new owner?",
                    f"Nobody called “{typed}” owns an account or a task in this book yet. "
                    f"Reassign to {typed} all the same?")
                if answer != QMessageBox.StandardButton.Yes:
                    return False
        return self._act(reassign_tasks, partial(_said_reassigned, owner), owner,
                         check=lambda: check_owner(owner or ""), today=self.today)

    def _step_changed(self, item: QListWidgetItem) -> None:
        from csdesk.services.worklist.today import set_step

        t = self.current()
        if t is None or not t.checklist:
            return
        index = self.checklist.row(item)
        try:
            saved = set_step(self.db, t.id, t.version, index,
                             item.checkState() == Qt.CheckState.Checked)
        except CsdeskError as exc:
            self.problem.setText(str(exc))
            return
        saved = replace(t, checklist=saved.checklist, version=saved.version)
        self.tasks = [saved if x.id == t.id else x for x in self.tasks]

    def _open(self, item: QTreeWidgetItem | None) -> None:
        t = self.current() if item is not None else None
        if t is not None and t.account_id is not None:
            self.account_clicked.emit(t.account_id)


class _Wrapped(QStyledItemDelegate):
    """The title column: a title (or an account's line, which spans the row) longer than
    its room wraps onto a second line, as tall as it needs (the tree asks each row's height
    of its delegates, and re-asks when the column is resized)."""

    def __init__(self, tree: QTreeWidget) -> None:
        super().__init__(tree)
        self.tree = tree

    def sizeHint(self, option: QStyleOptionViewItem, index: Any) -> QSize:
        size = super().sizeHint(option, index)
        top = not index.parent().isValid()
        indent = self.tree.indentation() * (1 if top else 2)
        room = (self.tree.viewport().width() if top else
                self.tree.header().sectionSize(0)) - indent - 4 * CELL_PADDING - TEXT_MARGINS
        text = index.data(Qt.ItemDataRole.DisplayRole) or ""
        font = index.data(Qt.ItemDataRole.FontRole) or option.font
        metrics = QFontMetrics(font)
        if room <= 0 or metrics.horizontalAdvance(text) <= room:
            return size
        high = metrics.boundingRect(QRect(0, 0, room, 10 * size.height()),
                                    int(Qt.TextFlag.TextWordWrap), text).height()
        return QSize(size.width(), max(size.height(), size.height() - metrics.height() + high))


class _OneLine(QStyledItemDelegate):
    """A column whose text never wraps (the tree wraps its titles): elided instead."""

    def initStyleOption(self, option: QStyleOptionViewItem, index: Any) -> None:
        super().initStyleOption(option, index)
        option.features &= ~QStyleOptionViewItem.ViewItemFeature.WrapText


def _said_done(rows: list[TaskRow], today: date, *, done: bool = True) -> str:
    """The result line of Mark done ("Marking … done" while it runs)."""
    return f"Marked {tasks_said(rows, ' done', ids=False)}" if done else \
        f"Marking {counted(len(rows), 'task')} done"


def _said_snoozed(until: date, rows: list[TaskRow], today: date, *, done: bool = True) -> str:
    if not done:
        return f"Snoozing {counted(len(rows), 'task')}"
    moved = any(r.due != until for r in rows)  # that day full: a later one
    return "Snoozed " + tasks_said(rows, f" until {day_name(until)}",
                                   today if moved else None, ids=False)


def _said_reassigned(owner: str, rows: list[TaskRow], today: date, *,
                     done: bool = True) -> str:
    if not done:
        return f"Reassigning {counted(len(rows), 'task')} to {owner}"
    return f"Reassigned {tasks_said(rows, f' to {owner.strip()}', today, ids=False)}"


def _segment(value: str | None) -> str:
    """A segment as the book table names it ("SMB", "Mid-Market")."""
    try:
        return Segment(value or "unsegmented").label
    except ValueError:  # a segment this csdesk does not know: as it is
        return (value or "unsegmented").replace("_", "-").capitalize()


def _fit_rows(box: QListWidget, most: int) -> None:
    """A list as tall as its rows, up to ``most`` px (then it scrolls): three checklist
    steps leave no blank box pushing the task's buttons below the window."""
    rows = sum(box.sizeHintForRow(i) for i in range(box.count())) or box.fontMetrics().height()
    box.setFixedHeight(min(most, rows + 2 * box.frameWidth() + 2))


def _first_line(text: str | None) -> str:
    return (text or "").strip().split("\n", 1)[0]


def _due(due: date | None, today: date) -> str:
    if due is None:
        return "—"
    days = (due - today).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days < 0:
        return f"{format_date(due)} ({-days} d late)"
    return day_name(due)  # a later day by its name: "Wed 25 Nov 2026"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
