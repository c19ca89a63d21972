"""The success-plan editor: objective → milestone → task in a tree, edited in place.

Every edit is saved at once through the success-plan service as an undoable command on the
account page's undo stack (drag-and-drop moves, adds, deletes and bulk "mark done" too, the
latter as one macro). Nothing waits for a Save button, so closing the window loses nothing.
A value the service refuses (a target equal to the baseline, a due date before the plan
starts) is shown under the tree and the cell goes back to what is saved.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from PySide6.QtCore import QDate, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QDropEvent, QKeySequence, QShortcut, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from csdesk import clock
from csdesk.db import Database
from csdesk.errors import ConflictError, CsdeskError
from csdesk.services.plans import success_plans
from csdesk.ui.fields import date_edit
from csdesk.ui.plan_commands import (
    AddCommand,
    DeleteCommand,
    EditCommand,
    FirstValueCommand,
    MoveCommand,
)
from csdesk.ui.theme import error_label

KIND, ID, VERSION = Qt.ItemDataRole.UserRole, Qt.ItemDataRole.UserRole + 1, \
    Qt.ItemDataRole.UserRole + 2
COLUMNS = ("Plan item", "Owner", "Contact", "Baseline", "Current", "Target", "Due", "Status",
           "Progress")
TITLE, OWNER, CONTACT, BASELINE, CURRENT, TARGET, DUE, STATUS, PROGRESS = range(len(COLUMNS))
STATUSES = {
    "objective": ("not_started", "on_track", "at_risk", "achieved", "dropped"),
    "milestone": ("planned", "in_progress", "done", "blocked"),
    "task": ("open", "done"),
}
PARENT_KIND = {"objective": None, "milestone": "objective", "task": "milestone"}


def _nice(value: str) -> str:
    return value.replace("_", " ").capitalize()


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


class PlanDelegate(QStyledItemDelegate):
    """Date pickers for dates, lists for owner and status, text for the rest."""

    open_editor: QWidget | None = None  # the cell editor now open, to commit it on close

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem,
                     index: QModelIndex) -> QWidget:
        editor = self._editor_for(parent, option, index)
        self.open_editor = editor
        editor.destroyed.connect(self._forget)
        return editor

    def _forget(self) -> None:
        self.open_editor = None

    def destroyEditor(self, editor: QWidget, index: QModelIndex) -> None:
        if editor is self.open_editor:
            self.open_editor = None
        super().destroyEditor(editor, index)

    def _editor_for(self, parent: QWidget, option: QStyleOptionViewItem,
                    index: QModelIndex) -> QWidget:
        kind = index.siblingAtColumn(0).data(KIND)
        col = index.column()
        if col == DUE:
            return date_edit(parent=parent)
        if col in (OWNER, STATUS):
            box = QComboBox(parent)
            values = ("customer", "vendor") if col == OWNER else STATUSES[kind]
            for v in values:
                box.addItem(_nice(v), v)
            return box
        if col == CONTACT and kind == "objective":
            box = QComboBox(parent)
            box.addItem("—", None)
            for contact_id, name in self.parent().property("contacts") or []:
                box.addItem(name, contact_id)
            return box
        return super().createEditor(parent, option, index)

    def setEditorData(self, editor: QWidget, index: QModelIndex) -> None:
        value = index.data(Qt.ItemDataRole.EditRole)
        if isinstance(editor, QDateEdit):
            raw = index.data(Qt.ItemDataRole.UserRole + 3)
            editor.setDate(QDate(raw) if isinstance(raw, date) else QDate(clock.today()))
        elif isinstance(editor, QComboBox):
            editor.setCurrentIndex(max(0, editor.findData(index.data(
                Qt.ItemDataRole.UserRole + 3))))
        else:
            super().setEditorData(editor, index)
            _ = value

    def setModelData(self, editor: QWidget, model: Any, index: QModelIndex) -> None:
        if isinstance(editor, QDateEdit):
            model.setData(index, editor.date().toPython(), Qt.ItemDataRole.UserRole + 3)
            model.setData(index, editor.date().toString("dd MMM yyyy"))
        elif isinstance(editor, QComboBox):
            model.setData(index, editor.currentData(), Qt.ItemDataRole.UserRole + 3)
            model.setData(index, editor.currentText())
        else:
            super().setModelData(editor, model, index)


class PlanTree(QTreeWidget):
    """A tree whose drops are turned into service moves (the tree itself never re-parents)."""

    move_requested = Signal(str, int, int, int)

    def dropEvent(self, event: QDropEvent) -> None:
        dragged = self.currentItem()
        target = self.itemAt(event.position().toPoint())
        event.ignore()
        if dragged is None or target is None or dragged is target:
            return
        kind = dragged.data(0, KIND)
        t_kind = target.data(0, KIND)
        where = self.dropIndicatorPosition()
        on_item = QAbstractItemView.DropIndicatorPosition.OnItem
        if t_kind == PARENT_KIND[kind]:
            parent, position = target, target.childCount()
        elif (t_kind == kind and target.parent() is not None) or (t_kind == kind == "objective"):
            parent = target.parent()
            siblings = parent if parent is not None else self.invisibleRootItem()
            position = siblings.indexOfChild(target)
            if where == QAbstractItemView.DropIndicatorPosition.BelowItem or where == on_item:
                position += 1
            if siblings.indexOfChild(dragged) != -1 and siblings.indexOfChild(dragged) < position:
                position -= 1
        else:
            return
        parent_id = parent.data(0, ID) if parent is not None else self.property("plan_id")
        self.move_requested.emit(kind, int(dragged.data(0, ID)), int(parent_id), position)


class NewPlanDialog(QDialog):
    def __init__(self, parent: QWidget, templates: list[tuple[str, str, str | None]]) -> None:
        super().__init__(parent)
        self.setWindowTitle("New success plan")
        self.title = QLineEdit("Onboarding plan")
        self.start = date_edit()
        self.template = QComboBox()
        self.template.addItem("Blank plan", None)
        for key, name, _segment in templates:
            self.template.addItem(name, key)
        if templates:
            self.template.setCurrentIndex(1)
        form = QFormLayout(self)
        form.addRow("Title", self.title)
        form.addRow("Starts", self.start)
        form.addRow("From template", self.template)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok |
                                   QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)


class PlanEditor(QWidget):
    """The "Success plan" tab of an account page."""

    changed = Signal()
    objective_achieved = Signal(int)

    def __init__(self, db: Database, account_id: int, segment: str, undo_stack: QUndoStack,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db, self.account_id, self.segment = db, account_id, segment
        self.undo_stack = undo_stack
        self.versions: dict[tuple[str, int], int] = {}
        self._pending: list[tuple[str, int, int]] = []
        self.plan: success_plans.PlanView | None = None
        self.plans = QComboBox()
        self.plans.currentIndexChanged.connect(lambda _i: self.reload())
        new = QPushButton("New plan…")
        new.clicked.connect(self.new_plan)
        self.add_objective = QPushButton("Add objective")
        self.add_objective.clicked.connect(lambda: self.add("objective"))
        self.add_child = QPushButton("Add step")
        self.add_child.setToolTip("A milestone under the selected objective, or a task under "
                                  "the selected milestone (Insert)")
        self.add_child.clicked.connect(self.add_under_selection)
        self.first_value = QPushButton("First value milestone")
        self.first_value.clicked.connect(self.mark_first_value)
        self.done_button = QPushButton("Mark done")
        self.done_button.clicked.connect(self.mark_done)
        self.delete_button = QPushButton("Delete")
        self.delete_button.clicked.connect(self.delete_selected)
        bar = QHBoxLayout()
        for w in (self.plans, new, self.add_objective, self.add_child, self.first_value,
                  self.done_button, self.delete_button):
            bar.addWidget(w)
        bar.addStretch(1)
        self.summary = QLabel()
        self.summary.setTextFormat(Qt.TextFormat.PlainText)  # names may hold < and &
        self.summary.setWordWrap(True)
        self.problem = error_label()
        self.problem.setTextFormat(Qt.TextFormat.PlainText)  # names may hold < and &
        self.problem.setWordWrap(True)

        self.stakeholders_button = QPushButton("Stakeholders…")
        self.stakeholders_button.clicked.connect(self.edit_stakeholders)
        self.template_button = QPushButton("Save as template…")
        self.template_button.clicked.connect(self.save_as_template)
        bar.insertWidget(bar.count() - 1, self.stakeholders_button)
        bar.insertWidget(bar.count() - 1, self.template_button)
        self.tree = PlanTree()
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels(list(COLUMNS))
        self.delegate = PlanDelegate(self.tree)
        self.tree.setItemDelegate(self.delegate)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked |
                                  QAbstractItemView.EditTrigger.EditKeyPressed |
                                  QAbstractItemView.EditTrigger.SelectedClicked)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.tree.setAlternatingRowColors(True)
        self.tree.setColumnWidth(TITLE, 360)
        self.tree.setColumnWidth(TITLE, 320)
        for col, width in ((OWNER, 80), (CONTACT, 130), (BASELINE, 70), (CURRENT, 70),
                           (TARGET, 70), (DUE, 105), (STATUS, 95)):
            self.tree.setColumnWidth(col, width)
        self.tree.itemChanged.connect(self._edited)
        self.tree.move_requested.connect(self._move)
        QShortcut(QKeySequence(Qt.Key.Key_Insert), self.tree, activated=self.add_under_selection)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.tree,
                  activated=self.delete_selected)
        QShortcut(QKeySequence("Ctrl+Up"), self.tree, activated=lambda: self.shift(-1))
        QShortcut(QKeySequence("Ctrl+Down"), self.tree, activated=lambda: self.shift(1))

        col = QVBoxLayout(self)
        col.addLayout(bar)
        col.addWidget(self.summary)
        col.addWidget(self.tree, 1)
        col.addWidget(self.problem)
        self.refresh_plans()

    # -- loading ----------------------------------------------------------------------------

    def refresh_plans(self, select: int | None = None) -> None:
        self.plans.blockSignals(True)
        self.plans.clear()
        for plan_id, title, status, start in success_plans.plans_of(self.db, self.account_id):
            self.plans.addItem(f"{title} ({status}, from {start:%d %b %Y})", plan_id)
        if select is not None:
            self.plans.setCurrentIndex(max(0, self.plans.findData(select)))
        self.plans.blockSignals(False)
        self.reload()

    def reload(self, select: tuple[str, int | None] | None = None) -> None:
        plan_id = self.plans.currentData()
        has_plan = plan_id is not None
        contacts = [(c.id, c.name) for c in svc_contacts(self.db, self.account_id)
                    if not c.left_company]
        self.tree.setProperty("contacts", contacts)
        for w in (self.add_objective, self.add_child, self.first_value, self.done_button,
                  self.delete_button, self.tree, self.stakeholders_button,
                  self.template_button):
            w.setEnabled(has_plan)
        self.tree.blockSignals(True)
        expanded = self._expanded()
        self.tree.clear()
        self.versions.clear()
        if not has_plan:
            self.plan = None
            self.summary.setText("No success plan yet: start one from a template with "
                                 "“New plan…”, or turn the handoff's success criteria into "
                                 "objectives on the Handoff tab.")
            self.tree.blockSignals(False)
            return
        self.plan = plan = success_plans.plan_view(self.db, plan_id)
        self.tree.setProperty("plan_id", plan.id)
        for o in plan.objectives:
            oi = self._item(None, "objective", o.id, o.version, o.title, o.owner_side,
                            o.due_date, o.status, o.overdue)
            for col, value in ((BASELINE, o.baseline), (CURRENT, o.current),
                               (TARGET, o.target)):
                oi.setText(col, _num(value))
            oi.setText(CONTACT, o.owner_contact or "")
            oi.setData(CONTACT, Qt.ItemDataRole.UserRole + 3, o.owner_contact_id)
            unit = f" {o.kpi_unit}" if o.kpi_unit else ""
            oi.setToolTip(TITLE, f"KPI: {o.kpi_name or '—'}{unit}")
            oi.setText(PROGRESS, "" if o.progress is None else f"{o.progress:.0%}")
            if o.status_overridden:  # the CSM's call against the numbers, shown as one
                oi.setText(STATUS, f"{_nice(o.status)} ✎")
                oi.setToolTip(STATUS, f"Set by you. The numbers say {_nice(o.computed_status)}"
                                      f" ({o.status_reason}); choose that to let them "
                                      "decide again.")
            else:
                oi.setToolTip(STATUS, f"From the numbers: {o.status_reason}.")
            for m in o.milestones:
                title = ("★ " if m.is_first_value else "") + m.title
                mi = self._item(oi, "milestone", m.id, m.version, title, m.owner_side,
                                m.due_date, m.status, m.overdue)
                if m.is_first_value:
                    mi.setToolTip(TITLE, "The first value milestone: reaching it sets the "
                                         "account's first-value date")
                if m.done_date:
                    mi.setText(PROGRESS, f"done {m.done_date:%d %b}")
                for t in m.tasks:
                    self._item(mi, "task", t.id, t.version, t.title, t.assignee_side,
                               t.due_date, "done" if t.done else "open", t.overdue)
        self.tree.expandAll() if not expanded else self._restore_expanded(expanded)
        self.tree.blockSignals(False)
        parts = [f"{len(plan.objectives)} objectives"]
        if plan.outcome_progress is not None:
            parts.append(f"outcomes {plan.outcome_progress:.0%} of the way to target")
        if plan.completion is not None:
            parts.append(f"milestones {plan.completion:.0%} done")
        parts.append(f"{plan.overdue} overdue" if plan.overdue else "nothing overdue")
        if plan.stakeholders:
            parts.append("with " + ", ".join(plan.stakeholders))
        if plan.days_to_first_value is not None:
            parts.append(f"first value reached in {plan.days_to_first_value} days")
        elif plan.first_value_milestone:
            parts.append(f"first value: “{plan.first_value_milestone}” not reached yet")
        else:
            parts.append("no first value milestone chosen")
        self.summary.setText(" · ".join(parts) + ".")
        if select and select[1] is not None:
            found = self._find(*select)
            if found is not None:
                self.tree.setCurrentItem(found)
        self.changed.emit()

    def _item(self, parent: QTreeWidgetItem | None, kind: str, node_id: int, version: int,
              title: str, owner: str, due: date | None, status: str,
              overdue: bool) -> QTreeWidgetItem:
        item = QTreeWidgetItem(parent or self.tree.invisibleRootItem())
        item.setData(0, KIND, kind)
        item.setData(0, ID, node_id)
        item.setText(TITLE, title)
        item.setText(OWNER, _nice(owner))
        item.setData(OWNER, Qt.ItemDataRole.UserRole + 3, owner)
        item.setText(DUE, "" if due is None else f"{due:%d %b %Y}")
        item.setData(DUE, Qt.ItemDataRole.UserRole + 3, due)
        item.setText(STATUS, _nice(status))
        item.setData(STATUS, Qt.ItemDataRole.UserRole + 3, status)
        flags = item.flags() | Qt.ItemFlag.ItemIsEditable | Qt.ItemFlag.ItemIsDragEnabled | \
            Qt.ItemFlag.ItemIsDropEnabled
        item.setFlags(flags)
        if overdue:
            item.setForeground(DUE, Qt.GlobalColor.red)
            item.setToolTip(DUE, "overdue")
        if kind == "objective":
            font = item.font(TITLE)
            font.setBold(True)
            item.setFont(TITLE, font)
        self.versions[(kind, node_id)] = version
        return item

    def _expanded(self) -> set[tuple[str, int]]:
        out = set()
        it = self.tree.invisibleRootItem()
        stack = [it.child(i) for i in range(it.childCount())]
        while stack:
            item = stack.pop()
            if item.isExpanded():
                out.add((item.data(0, KIND), item.data(0, ID)))
            stack += [item.child(i) for i in range(item.childCount())]
        return out

    def _restore_expanded(self, keys: set[tuple[str, int]]) -> None:
        self.tree.expandAll()
        for kind, node_id in [(k, i) for k, i in self._all_keys() if (k, i) not in keys]:
            item = self._find(kind, node_id)
            if item is not None and item.childCount():
                item.setExpanded(False)

    def _all_keys(self) -> list[tuple[str, int]]:
        return list(self.versions)

    def _find(self, kind: str, node_id: int) -> QTreeWidgetItem | None:
        it = self.tree.invisibleRootItem()
        stack = [it.child(i) for i in range(it.childCount())]
        while stack:
            item = stack.pop()
            if item.data(0, KIND) == kind and item.data(0, ID) == node_id:
                return item
            stack += [item.child(i) for i in range(item.childCount())]
        return None

    def seen(self, kind: str, node_id: int) -> dict[str, Any]:
        """The node's editable fields as this editor last read them."""
        from dataclasses import asdict

        if self.plan is None:
            return {}
        for o in self.plan.objectives:
            nodes = [("objective", o)] + [("milestone", m) for m in o.milestones] + [
                ("task", t) for m in o.milestones for t in m.tasks]
            for k, node in nodes:
                if k == kind and node.id == node_id:
                    return {f: v for f, v in asdict(node).items()
                            if f in success_plans._FIELDS[kind]}
        return {}

    def resolve_conflict(self, kind: str, node_id: int, mine: dict[str, Any],
                         exc: ConflictError) -> dict[str, Any]:
        """Someone saved this node first: ask theirs / mine / field by field, then save the
        choice on top of their version. Returns what was saved of mine."""
        from csdesk.ui.conflict_dialog import ConflictDialog

        if exc.current is None or exc.version is None:  # deleted, or no detail: just say so
            self.set_problem(str(exc))
            return {}
        dialog = ConflictDialog(kind, self.seen(kind, node_id), mine, exc.current, self)
        chosen = dialog.resolution() if dialog.exec() else {}
        if not chosen:
            self.set_problem(f"Kept the {kind} as the other person saved it.")
            return {}
        try:
            success_plans.update_node(self.db, kind, node_id, chosen, exc.version)
        except CsdeskError as again:
            self.set_problem(str(again))
            return {}
        self.set_problem("")
        return chosen

    def keep_for_later(self, kind: str, node_id: int, changes: dict[str, Any],
                       version: int) -> None:
        """The server is unreachable: keep the edit and save it when the server is back."""
        from csdesk.ui.pending import pending_for

        what = ", ".join(f"{k.replace('_', ' ')} → {v}" for k, v in changes.items())
        db = self.db
        pending_for(db).add(f"{kind} {what}",
                            lambda: success_plans.update_node(db, kind, node_id, changes, version))
        self.set_problem("The server cannot be reached: this edit is kept and will be saved "
                         "when it is back.")

    def set_problem(self, text: str) -> None:
        self.problem.setText(text)

    # -- editing ----------------------------------------------------------------------------

    def _edited(self, item: QTreeWidgetItem, column: int) -> None:
        # An editor sets a cell's value and its text as two changes: handle the edit once
        # both are in, before the tree is rebuilt from the saved plan.
        key = (item.data(0, KIND), int(item.data(0, ID)), column)
        if key not in self._pending:
            self._pending.append(key)
            QTimer.singleShot(0, self._flush_edits)

    def commit_open_edits(self) -> None:
        """Save the cell being edited and any queued edit now (the window or tab is closing)."""
        editor = self.delegate.open_editor
        if editor is not None:
            self.tree.commitData(editor)
            self.tree.closeEditor(editor, QAbstractItemDelegate.EndEditHint.NoHint)
        self._flush_edits()

    def _flush_edits(self) -> None:
        pending, self._pending = self._pending, []
        for kind, node_id, column in pending:
            item = self._find(kind, node_id)
            if item is not None:
                self._save_edit(item, column)

    def _save_edit(self, item: QTreeWidgetItem, column: int) -> None:
        kind, node_id = item.data(0, KIND), int(item.data(0, ID))
        view = self._node(kind, node_id)
        if view is None:
            return
        if column == TITLE:
            field, new = "title", item.text(TITLE).removeprefix("★ ").strip()
            old = view.title
        elif column == OWNER:
            field = "assignee_side" if kind == "task" else "owner_side"
            new = item.data(OWNER, Qt.ItemDataRole.UserRole + 3)
            old = view.assignee_side if kind == "task" else view.owner_side
        elif column == DUE:
            field, new, old = "due_date", item.data(DUE, Qt.ItemDataRole.UserRole + 3), \
                view.due_date
        elif column == STATUS:
            field, new = "status", item.data(STATUS, Qt.ItemDataRole.UserRole + 3)
            old = ("done" if view.done else "open") if kind == "task" else view.status
        elif column == CONTACT and kind == "objective":
            field, new = "owner_contact_id", item.data(CONTACT, Qt.ItemDataRole.UserRole + 3)
            old = view.owner_contact_id
        elif column in (BASELINE, CURRENT, TARGET) and kind == "objective":
            field = {BASELINE: "baseline", CURRENT: "current", TARGET: "target"}[column]
            text = item.text(column).strip().replace(",", "")
            try:
                new = float(text) if text else None
            except ValueError:
                self.set_problem(f"{text!r} is not a number")
                self.reload()
                return
            old = getattr(view, field)
        else:
            self.reload()
            return
        if new == old:
            return
        was = view.status if kind == "objective" else None
        self.undo_stack.push(EditCommand(self, kind, node_id, field, old, new))
        now = self._node(kind, node_id)
        # Achieved by the CSM's word or by the numbers reaching the target: offer to log it.
        if kind == "objective" and was != "achieved" and now is not None and \
                now.status == "achieved" and not self.problem.text():
            self.objective_achieved.emit(node_id)

    def _node(self, kind: str, node_id: int) -> Any:
        if self.plan is None:
            return None
        for o in self.plan.objectives:
            if kind == "objective" and o.id == node_id:
                return o
            for m in o.milestones:
                if kind == "milestone" and m.id == node_id:
                    return m
                for t in m.tasks:
                    if kind == "task" and t.id == node_id:
                        return t
        return None

    def _move(self, kind: str, node_id: int, parent_id: int, position: int) -> None:
        self.undo_stack.push(MoveCommand(self, kind, node_id, parent_id, position))

    def shift(self, step: int) -> None:
        """Move the selected item up or down among its siblings (Ctrl+Up / Ctrl+Down)."""
        item = self.tree.currentItem()
        if item is None or self.plan is None:
            return
        parent = item.parent()
        siblings = parent if parent is not None else self.tree.invisibleRootItem()
        position = siblings.indexOfChild(item) + step
        if not 0 <= position < siblings.childCount():
            return
        parent_id = parent.data(0, ID) if parent is not None else self.plan.id
        self._move(item.data(0, KIND), int(item.data(0, ID)), int(parent_id), position)

    def add(self, kind: str, parent_id: int | None = None, title: str | None = None) -> None:
        if self.plan is None:
            return
        parent_id = parent_id if parent_id is not None else self.plan.id
        fields: dict[str, Any] = {}
        if kind == "objective":
            fields["owner_side"] = success_plans.OwnerSide.CUSTOMER
        title = title or {"objective": "New objective", "milestone": "New milestone",
                          "task": "New task"}[kind]
        self.undo_stack.push(AddCommand(self, kind, parent_id, title, fields))

    def add_under_selection(self) -> None:
        item = self.tree.currentItem()
        if item is None:
            self.add("objective")
            return
        kind = item.data(0, KIND)
        if kind == "objective":
            self.add("milestone", int(item.data(0, ID)))
        elif kind == "milestone":
            self.add("task", int(item.data(0, ID)))
        else:
            self.add("task", int(item.parent().data(0, ID)))

    def delete_selected(self) -> None:
        items = self.tree.selectedItems()
        if not items or self.plan is None:
            return
        self.undo_stack.beginMacro(f"delete {len(items)} items")
        for item in items:
            kind = item.data(0, KIND)
            parent = item.parent()
            parent_id = parent.data(0, ID) if parent is not None else self.plan.id
            if self._find(kind, int(item.data(0, ID))) is not None:
                self.undo_stack.push(DeleteCommand(self, kind, int(item.data(0, ID)),
                                                   int(parent_id)))
        self.undo_stack.endMacro()

    def mark_done(self) -> None:
        """Every selected milestone and task done, as one undoable step."""
        items = [i for i in self.tree.selectedItems() if i.data(0, KIND) != "objective"]
        if not items:
            return
        self.undo_stack.beginMacro(f"mark {len(items)} items done")
        for item in items:
            kind, node_id = item.data(0, KIND), int(item.data(0, ID))
            view = self._node(kind, node_id)
            old = ("done" if view.done else "open") if kind == "task" else view.status
            if old != "done":
                self.undo_stack.push(EditCommand(self, kind, node_id, "status", old, "done"))
        self.undo_stack.endMacro()

    def mark_first_value(self) -> None:
        item = self.tree.currentItem()
        if item is None or item.data(0, KIND) != "milestone" or self.plan is None:
            self.set_problem("Select a milestone to make it the first value milestone.")
            return
        previous = success_plans.first_value_milestone_id(self.db, self.plan.id)
        self.undo_stack.push(FirstValueCommand(self, int(item.data(0, ID)), previous))

    def edit_stakeholders(self, chosen: list[int] | None = None) -> None:
        if self.plan is None:
            return
        if chosen is None:
            dialog = StakeholdersDialog(self, self.tree.property("contacts") or [],
                                        success_plans.stakeholder_ids(self.db, self.plan.id))
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            chosen = dialog.chosen()
        success_plans.set_stakeholders(self.db, self.plan.id, chosen)
        self.reload()

    def save_as_template(self, name: str | None = None) -> None:
        """Save this plan's structure as a new template, or over an existing one (to edit it)."""
        if self.plan is None:
            return
        existing = {n.casefold(): (k, seg) for k, n, seg in success_plans.templates(self.db)}
        if name is None:
            names = [n for _k, n, _s in success_plans.templates(self.db, self.segment)]
            name, ok = QInputDialog.getItem(
                self, "Save as template",
                "Template name (pick an existing one to replace it):",
                [self.plan.title, *names], 0, True)
            if not ok or not name.strip():
                return
            if name.strip().casefold() in existing and QMessageBox.question(
                    self, "Replace template",
                    f"Replace the template “{name.strip()}” with this plan's structure?"
                    ) != QMessageBox.StandardButton.Yes:
                return
        name = name.strip()
        key, segment = existing.get(name.casefold(), (None, self.segment))
        if key is None:
            key = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "template"
            while key in {k for k, _seg in existing.values()}:
                key += "-2"
        success_plans.plan_to_template(self.db, self.plan.id, key, name, segment)
        self.set_problem("")
        self.summary.setText(self.summary.text() + f"  Saved as the template “{name}”.")

    def new_plan(self) -> None:
        dialog = NewPlanDialog(self, success_plans.templates(self.db, self.segment))
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self.create_plan(dialog.title.text(), dialog.start.date().toPython(),
                         dialog.template.currentData())

    def create_plan(self, title: str, start: date, template: str | None) -> int | None:
        try:
            plan_id = success_plans.create_plan(self.db, self.account_id, title, start,
                                                template=template)
        except CsdeskError as exc:
            QMessageBox.warning(self, "New plan", str(exc))
            return None
        self.refresh_plans(select=plan_id)
        return plan_id


class StakeholdersDialog(QDialog):
    """Tick the customer's people involved in the plan."""

    def __init__(self, parent: QWidget, contacts: list[tuple[int, str]],
                 chosen: list[int]) -> None:
        super().__init__(parent)
        self.setWindowTitle("Plan stakeholders")
        self.list = QListWidget()
        for contact_id, name in contacts:
            item = QListWidgetItem(name)
            item.setData(Qt.ItemDataRole.UserRole, contact_id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if contact_id in chosen
                               else Qt.CheckState.Unchecked)
            self.list.addItem(item)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save |
                                   QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        col = QVBoxLayout(self)
        col.addWidget(self.list)
        col.addWidget(buttons)

    def chosen(self) -> list[int]:
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole)
                for i in range(self.list.count())
                if self.list.item(i).checkState() == Qt.CheckState.Checked]


def svc_contacts(db: Database, account_id: int) -> list[Any]:
    from csdesk.services.book.account_detail import contacts

    return contacts(db, account_id)
