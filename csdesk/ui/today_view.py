"""Today: the worklist the playbook rules fill, grouped into overdue, due today, this week and
later, most urgent first (priority, then the account's ARR). The selected task shows why it
exists, its checklist and the actions: done (optionally logging a proactive touch on the
account's timeline), snooze until a day, reassign, open the account.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from csdesk import clock
from csdesk.db import Database
from csdesk.errors import CsdeskError, ServerUnreachable
from csdesk.services.formatting import counted, format_date, format_money
from csdesk.services.worklist.today import TaskRow, group_of, open_tasks
from csdesk.ui.fields import date_edit
from csdesk.ui.tasks import TaskRunner
from csdesk.ui.theme import error_label

PRIORITY_COLOURS = {"critical": QColor("#b91c1c"), "high": QColor("#dc2626"),
                    "medium": QColor("#d97706"), "low": QColor("#6b7280")}
GROUP_COLOURS = {"Overdue": QColor("#dc2626"), "Due today": QColor("#d97706")}
EVERYONE = "Everyone"


class TodayView(QWidget):
    account_clicked = Signal(int)
    count_changed = Signal(int)  # overdue + due today: the navigation badge
    loaded = Signal()
    rules_requested = Signal()
    run_requested = Signal()

    def __init__(self, db: Database, runner: TaskRunner | None = None,
                 parent: QWidget | None = None, today: date | None = None) -> None:
        super().__init__(parent)
        self.db, self.runner = db, runner
        self.today = today or clock.today()
        self.tasks: list[TaskRow] = []
        self.scope_owner: str | None = None
        title = QLabel("Today")
        title.setStyleSheet("font-size: 18pt; font-weight: 600;")
        self.subtitle = QLabel()
        self.subtitle.setStyleSheet("color: palette(placeholder-text);")
        self.owner = QComboBox()
        self.owner.addItem(EVERYONE)
        self.owner.setToolTip("Whose tasks to show")
        self.owner.currentIndexChanged.connect(lambda _i: self.show_tasks(self.tasks))
        self.run_button = QPushButton("Run playbooks now")
        self.run_button.setToolTip("Evaluate the enabled rules on the book as of today and "
                                   "add the tasks that are new (they also run at start-up and "
                                   "after every import or health recalculation)")
        self.run_button.clicked.connect(self.run_requested)
        self.rules_button = QPushButton("Playbook rules…")
        self.rules_button.clicked.connect(self.rules_requested)
        head = QHBoxLayout()
        texts = QVBoxLayout()
        texts.addWidget(title)
        texts.addWidget(self.subtitle)
        head.addLayout(texts, 1)
        head.addWidget(QLabel("Owner"))
        head.addWidget(self.owner)
        head.addWidget(self.run_button)
        head.addWidget(self.rules_button)

        self.tree = QTreeWidget()
        self.tree.setColumnCount(4)
        self.tree.setHeaderLabels(["Task", "Account", "Due", "Priority"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setIndentation(8)
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(1, 200)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.setStyleSheet("QTreeWidget::item { padding: 3px 2px; }")
        header.setStretchLastSection(False)
        self.tree.currentItemChanged.connect(lambda _c, _p: self.show_selected())
        self.tree.itemDoubleClicked.connect(lambda item, _c: self._open(item))

        self.detail = self._build_detail()
        self.empty = QLabel()
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.stack = QStackedWidget()
        split = QSplitter()
        split.addWidget(self.tree)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        self.stack.addWidget(split)
        self.stack.addWidget(self.empty)
        if db.readonly:  # the worklist can be read, not changed
            for button in (self.run_button, self.rules_button, self.done_button,
                           self.snooze_button, self.reassign_button):
                button.setEnabled(False)
                button.setToolTip("The book is open read-only")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addLayout(head)
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
        self.log.toggled.connect(self.kind.setEnabled)
        self.log.toggled.connect(self.summary.setEnabled)
        self.done_button = QPushButton("Mark done")
        self.done_button.clicked.connect(lambda: self.complete())
        dl = QFormLayout(done_box)
        dl.addRow(self.log)
        row = QHBoxLayout()
        row.addWidget(self.kind)
        row.addWidget(self.summary, 1)
        dl.addRow(row)
        dl.addRow(self.done_button)

        later = QGroupBox("Not now")
        self.until = date_edit()
        self.snooze_button = QPushButton("Snooze")
        self.snooze_button.clicked.connect(lambda: self.snooze())
        self.new_owner = QLineEdit()
        self.new_owner.setPlaceholderText("Who takes it over")
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
        top = QHBoxLayout()
        top.addWidget(self.task_title, 1)
        top.addWidget(self.open_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(8, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.facts)
        layout.addWidget(self.reason)
        layout.addWidget(QLabel("Checklist"))
        layout.addWidget(self.checklist)
        layout.addWidget(done_box)
        layout.addWidget(later)
        layout.addWidget(self.problem)
        layout.addStretch(1)
        return panel

    # -- data ---------------------------------------------------------------------------

    def reload(self) -> None:
        """Read the open tasks off the GUI thread (or here, without a runner)."""
        if self.runner is None:
            self.show_tasks(open_tasks(self.db, self.today))
            return
        self.runner.submit("Loading the worklist", open_tasks, self.db, self.today,
                           on_done=self.show_tasks)

    def show_tasks(self, tasks: list[TaskRow]) -> None:
        keep = self.current()
        self.tasks = tasks
        owners = sorted({t.owner for t in tasks if t.owner} | (
            {self.scope_owner} if self.scope_owner else set()))
        chosen = self.owner.currentText()
        self.owner.blockSignals(True)
        self.owner.clear()
        self.owner.addItems([EVERYONE, *owners])
        self.owner.setCurrentText(chosen if chosen in owners else EVERYONE)
        self.owner.blockSignals(False)
        shown = self.visible()
        self.tree.clear()
        groups: dict[str, QTreeWidgetItem] = {}
        for t in shown:
            name = group_of(t, self.today)[1]
            if name not in groups:
                head = QTreeWidgetItem([name])
                head.setFlags(Qt.ItemFlag.ItemIsEnabled)
                font = head.font(0)
                font.setBold(True)
                head.setFont(0, font)
                if name in GROUP_COLOURS:
                    head.setForeground(0, GROUP_COLOURS[name])
                head.setFirstColumnSpanned(True)
                self.tree.addTopLevelItem(head)
                groups[name] = head
            item = QTreeWidgetItem([t.title, t.account or "—", _due(t.due, self.today),
                                    t.priority.capitalize()])
            item.setData(0, Qt.ItemDataRole.UserRole, t.id)
            item.setToolTip(0, t.reason or t.title)
            item.setForeground(3, PRIORITY_COLOURS.get(t.priority, QColor("#6b7280")))
            groups[name].addChild(item)
        for name, head in groups.items():
            head.setText(0, f"{name} ({head.childCount()})")
        self.tree.expandAll()
        due = sum(1 for t in shown if group_of(t, self.today)[0] <= 1)
        overdue = sum(1 for t in shown if group_of(t, self.today)[0] == 0)
        self.subtitle.setText(
            f"{self.today:%A} {format_date(self.today)} · {counted(len(shown), 'open task')}, "
            f"{overdue} overdue, {due - overdue} due today")
        self.empty.setText(
            "Nothing on the worklist. The playbook rules found nothing that needs you, or "
            "they are switched off: see Playbook rules… to preview and switch them on."
            if not tasks else "No open tasks for this owner.")
        self.stack.setCurrentIndex(0 if shown else 1)
        self.count_changed.emit(due)  # of the tasks shown: mine in "My book"
        self.select(keep.id if keep else None)
        self.loaded.emit()

    def set_owner(self, owner: str | None) -> None:
        """The window's scope: "My book" shows this CSM's tasks, the team's book everyone's."""
        self.scope_owner = owner
        if owner and self.owner.findText(owner) < 0:
            self.owner.addItem(owner)
        self.owner.setCurrentText(owner or EVERYONE)

    def visible(self) -> list[TaskRow]:
        owner = self.owner.currentText()
        return [t for t in self.tasks if owner in (EVERYONE, "") or t.owner == owner]

    def select(self, task_id: int | None) -> None:
        """Select that task (or the first one) so its detail shows."""
        first = None
        for g in range(self.tree.topLevelItemCount()):
            head = self.tree.topLevelItem(g)
            for i in range(head.childCount()):
                item = head.child(i)
                first = first or item
                if item.data(0, Qt.ItemDataRole.UserRole) == task_id:
                    self.tree.setCurrentItem(item)
                    return
        if first is not None:
            self.tree.setCurrentItem(first)
        else:
            self.show_selected()

    def current(self) -> TaskRow | None:
        item = self.tree.currentItem()
        if item is None:
            return None
        tid = item.data(0, Qt.ItemDataRole.UserRole)
        return next((t for t in self.tasks if t.id == tid), None)

    def show_selected(self) -> None:
        t = self.current()
        self.detail.setEnabled(t is not None)
        self.problem.clear()
        if t is None:
            for label in (self.task_title, self.facts, self.reason):
                label.clear()
            self.checklist.clear()
            return
        self.task_title.setText(t.title)
        arr = f" · ARR {format_money(t.arr_cents, t.arr_currency)}" if t.arr_cents else ""
        snoozed = (f" · was snoozed until {format_date(t.snoozed_until)}"
                   if t.snoozed_until else "")
        self.facts.setText(
            f"<b>{_escape(t.account or 'No account')}</b>{arr} · due "
            f"{_due(t.due, self.today)} · {t.priority} priority · "
            f"{_escape(t.owner or 'no owner')} · "
            f"{'rule: ' + _escape(t.rule) if t.rule else 'added by hand'}{snoozed}")
        self.reason.setText(t.reason or "No reason recorded.")
        self.open_button.setEnabled(t.account_id is not None)
        self.checklist.blockSignals(True)
        self.checklist.clear()
        for text, done in t.checklist:
            item = QListWidgetItem(text)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if done else Qt.CheckState.Unchecked)
            self.checklist.addItem(item)
        if not t.checklist:
            item = QListWidgetItem("No checklist for this task.")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.checklist.addItem(item)
        self.checklist.blockSignals(False)
        self.until.setDate(QDate(self.today + timedelta(days=7)))
        self.new_owner.setText("")
        self.summary.setText("")

    # -- actions ------------------------------------------------------------------------

    def _act(self, fn: Any, *args: Any, **kwargs: Any) -> bool:
        t = self.current()
        if t is None:
            return False
        try:
            fn(self.db, t.id, t.version, *args, **kwargs)
        except ServerUnreachable:
            from csdesk.ui.pending import pending_for

            db, version = self.db, t.version
            pending_for(db).add(f"task “{t.title}” ({fn.__name__.replace('_task', '')})",
                                lambda: fn(db, t.id, version, *args, **kwargs))
            self.problem.setText("The server cannot be reached: this is kept and will be "
                                 "saved when it is back.")
            return False
        except CsdeskError as exc:
            self.problem.setText(str(exc))
            return False
        self.reload()
        return True

    def complete(self) -> bool:
        from csdesk.services.worklist.today import complete_task

        activity = self.summary.text() if self.log.isChecked() else None
        return self._act(complete_task, activity=activity, kind=self.kind.currentData(),
                         on=self.today)

    def snooze(self, until: date | None = None) -> bool:
        from csdesk.services.worklist.today import snooze_task

        chosen = until or self.until.date().toPython()
        return self._act(snooze_task, chosen, today=self.today)

    def reassign(self, owner: str | None = None) -> bool:
        from csdesk.services.worklist.today import reassign_task

        return self._act(reassign_task, owner if owner is not None else self.new_owner.text())

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
        saved = replace(saved, arr_cents=t.arr_cents, arr_currency=t.arr_currency)
        self.tasks = [saved if x.id == t.id else x for x in self.tasks]

    def _open(self, item: QTreeWidgetItem | None) -> None:
        t = self.current() if item is not None else None
        if t is not None and t.account_id is not None:
            self.account_clicked.emit(t.account_id)


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
    return format_date(due)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
