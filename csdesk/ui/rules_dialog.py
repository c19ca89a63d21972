"""Playbook rules: switch each on or off, edit its parameters, the task it creates (title,
due offset, priority, checklist), and preview what it would do today before saving.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from csdesk import clock
from csdesk.db import Database
from csdesk.errors import CsdeskError
from csdesk.services.formatting import counted, format_date
from csdesk.services.worklist.rules import Preview, RuleView, preview, rules, save_rule
from csdesk.ui.tasks import TaskRunner
from csdesk.ui.theme import error_label

PARAM_LABELS = {
    "drop_points": "Drop of at least (points)", "window_days": "Within (days)",
    "day": "First value by day", "until_day": "Onboarding at most (days)",
    "checkpoints": "Checkpoints (days before renewal)",
    "high_touch": "High-touch: every (days)", "mid_touch": "Mid-touch: every (days)",
    "tech_touch": "Tech-touch: every (days)", "community_touch": "Community: every (days)",
    "sponsor_quiet_days": "Sponsor quiet for (days)",
    "champion_left_within_days": "Champion left within (days)",
    "flat_days": "Breadth flat for (days)", "max_score": "NPS at most",
    "min_score": "NPS at least", "within_days": "Answered within (days)",
    "high_touch_months": "High-touch: a QBR every (months; 0: none)",
    "mid_touch_months": "Mid-touch: a QBR every (months; 0: none)",
    "tech_touch_months": "Tech-touch: a QBR every (months; 0: none)",
}


class RulesDialog(QDialog):
    saved = Signal()

    def __init__(self, db: Database, runner: TaskRunner | None = None,
                 parent: QWidget | None = None, today: date | None = None) -> None:
        super().__init__(parent)
        self.db, self.runner = db, runner
        self.today = today or clock.today()
        self.setWindowTitle("Playbook rules")
        self.resize(980, 640)
        self.rules = rules(db)
        self.list = QListWidget()
        self.list.setMaximumWidth(240)
        self.list.setStyleSheet("QListWidget::item { padding: 5px 4px; }")
        for r in self.rules:
            item = QListWidgetItem()
            item.setData(Qt.ItemDataRole.UserRole, r.id)
            self.list.addItem(item)
            self._label(item, r)
        self.list.currentRowChanged.connect(self.show_rule)

        self.description = QLabel()
        self.description.setWordWrap(True)
        self.enabled = QCheckBox("Switched on: runs at start-up, after imports and health "
                                 "recalculations")
        self.title = QLineEdit()
        self.priority = QComboBox()
        for p in ("critical", "high", "medium", "low"):
            self.priority.addItem(p.capitalize(), p)
        self.due = QSpinBox()
        self.due.setRange(0, 365)
        self.due.setSuffix(" days after it fires")
        self.checklist = QPlainTextEdit()
        self.checklist.setPlaceholderText("One step per line")
        self.checklist.setMaximumHeight(64)
        self.params_form = QFormLayout()
        self.param_fields: dict[str, QWidget] = {}
        form = QFormLayout()
        form.addRow("Task title", self.title)
        form.addRow("Priority", self.priority)
        form.addRow("Due", self.due)
        form.addRow("Checklist", self.checklist)

        self.preview_button = QPushButton("Preview today")
        self.preview_button.clicked.connect(lambda: self.run_preview())
        self.save_button = QPushButton("Save rule")
        self.save_button.clicked.connect(lambda: self.save())
        if db.readonly:
            self.save_button.setEnabled(False)
            self.save_button.setToolTip("The book is open read-only")
        self.verdict = QLabel()
        self.verdict.setWordWrap(True)
        self.problem = error_label()
        self.problem.setWordWrap(True)
        self.found = QTableWidget(0, 3)
        self.found.setHorizontalHeaderLabels(["Account", "Why", "Due"])
        self.found.verticalHeader().hide()
        self.found.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.found.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.found.setWordWrap(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.preview_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)

        right = QWidget()
        rl = QVBoxLayout(right)
        rl.addWidget(self.description)
        rl.addWidget(self.enabled)
        params_title = QLabel("<b>When it fires</b>")
        rl.addWidget(params_title)
        rl.addLayout(self.params_form)
        rl.addWidget(QLabel("<b>The task it creates</b>"))
        rl.addLayout(form)
        rl.addLayout(buttons)
        rl.addWidget(self.problem)
        rl.addWidget(self.verdict)
        rl.addWidget(self.found, 1)
        split = QSplitter()
        split.addWidget(self.list)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(split, 1)
        layout.addWidget(close)
        self.list.setCurrentRow(0)

    @staticmethod
    def _label(item: QListWidgetItem, rule: RuleView) -> None:
        item.setText(f"{rule.name}{'' if rule.enabled else '  (off)'}")
        item.setToolTip(rule.description)

    def rule(self) -> RuleView:
        return self.rules[self.list.currentRow()]

    def show_rule(self, row: int) -> None:
        if row < 0:
            return
        r = self.rules[row]
        self.description.setText(r.description)
        self.enabled.setChecked(r.enabled)
        self.title.setText(r.task_title)
        self.priority.setCurrentIndex(self.priority.findData(r.priority))
        self.due.setValue(r.due_offset_days)
        self.checklist.setPlainText("\n".join(r.checklist))
        while self.params_form.rowCount():
            self.params_form.removeRow(0)
        self.param_fields = {}
        for name, value in r.params.items():
            field: QWidget
            if isinstance(value, list):
                field = QLineEdit(", ".join(str(v) for v in value))
                field.setPlaceholderText("e.g. 180, 120, 90, 60, 30")
            else:
                field = QSpinBox()
                field.setRange(0, 3650)
                field.setValue(int(value))
            self.param_fields[name] = field
            self.params_form.addRow(PARAM_LABELS.get(name, name.replace("_", " ")), field)
        if not r.params:
            self.params_form.addRow(QLabel("No parameters: it fires on every expansion signal "
                                           "of an account that has reached first value."))
        self.problem.clear()
        self.verdict.clear()
        self.found.setRowCount(0)

    def edited(self) -> RuleView:
        """The rule as the form has it now; a list that is not numbers raises CsdeskError."""
        params: dict[str, Any] = {}
        for name, field in self.param_fields.items():
            if isinstance(field, QSpinBox):
                params[name] = field.value()
            else:
                assert isinstance(field, QLineEdit)
                try:
                    params[name] = [int(v) for v in field.text().replace(";", ",").split(",")
                                    if v.strip()]
                except ValueError:
                    raise CsdeskError(f"{PARAM_LABELS.get(name, name)}: whole numbers separated "
                                      "by commas") from None
        return replace(self.rule(), enabled=self.enabled.isChecked(),
                       task_title=self.title.text(), priority=self.priority.currentData(),
                       due_offset_days=self.due.value(), params=params,
                       checklist=tuple(self.checklist.toPlainText().splitlines()))

    def run_preview(self) -> bool:
        self.problem.clear()
        try:
            rule = self.edited()
        except CsdeskError as exc:
            self.problem.setText(str(exc))
            return False
        if self.runner is None:
            try:
                self.show_preview(preview(self.db, rule, self.today))
            except CsdeskError as exc:
                self.problem.setText(str(exc))
                return False
            return True
        self.verdict.setText("Evaluating the book…")
        self.runner.submit("Previewing a rule", preview, self.db, rule, self.today,
                           on_done=self.show_preview,
                           on_failed=lambda e: (self.verdict.clear(),
                                                self.problem.setText(e.message)))
        return True

    def show_preview(self, result: Preview) -> None:
        new = len(result.new)
        already = len(result.firings) - new
        state = "" if result.rule.enabled else " if it were switched on"
        self.verdict.setText(
            f"<b>This rule would create {counted(new, 'task')} today{state}</b>"
            + (f" ({already} more already have a task, open, done or snoozed)" if already
               else "") + ".")
        self.found.setRowCount(len(result.new))
        for i, f in enumerate(result.new):
            for c, text in enumerate((f.account, f.reason, format_date(f.due))):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.found.setItem(i, c, item)
        self.found.resizeColumnToContents(0)

    def save(self) -> bool:
        self.problem.clear()
        try:
            saved = save_rule(self.db, self.edited())
        except CsdeskError as exc:
            self.problem.setText(str(exc))
            return False
        self.rules[self.list.currentRow()] = saved
        self._label(self.list.currentItem(), saved)
        self.verdict.setText(f"Saved. {'It is on.' if saved.enabled else 'It is off.'}")
        self.saved.emit()
        return True
