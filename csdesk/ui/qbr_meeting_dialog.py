"""QBRs held with an account: the past ones with their commitments (done, done late, open,
late), a commitment marked done, and a new QBR recorded — all through the QBR meetings
service, never the database.

A commitment recorded while the account has an active success plan joins the plan (the
service does it); completing it here completes the plan's milestone too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from csdesk import clock
from csdesk.db import Database
from csdesk.errors import CsdeskError
from csdesk.services.formatting import counted, format_date
from csdesk.services.plans import qbr_meetings as qm
from csdesk.ui.fields import date_edit
from csdesk.ui.theme import BAND_COLOURS, error_label

COMMIT_COLUMNS = ("Who", "Side", "What", "By")
STATE_COLOURS = {"late": "red", "done_late": "yellow"}


def _split(text: str) -> list[str]:
    """Names typed one per line or separated by commas."""
    return [p.strip() for line in text.splitlines() for p in line.split(",") if p.strip()]


class QbrMeetingDialog(QDialog):
    """Past QBRs above, a new one below: day, attendees, decisions, commitments."""

    recorded = Signal()  # a QBR was recorded or deleted, or a commitment completed

    def __init__(self, parent: QWidget | None, db: Database, account_id: int,
                 account_name: str, owner: str | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.account_id = account_id
        self.setWindowTitle(f"QBRs — {account_name}")
        self.resize(900, 800)

        self.history_tree = QTreeWidget()
        self.history_tree.setHeaderLabels(["QBR · what", "Who", "By", "State"])
        self.history_tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.history_tree.setWordWrap(True)
        header = self.history_tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.history_tree.itemSelectionChanged.connect(self._selection_changed)
        self.empty_label = QLabel("No QBR recorded yet: record the first one below.")
        self.empty_label.setStyleSheet("color: palette(mid);")
        self.done_button = QPushButton("Mark commitment done")
        self.done_button.setToolTip("Done today; its success plan milestone is done too")
        self.done_button.setEnabled(False)
        self.done_button.clicked.connect(self.complete_selected)
        past = QGroupBox("Past QBRs")
        past_col = QVBoxLayout(past)
        past_col.addWidget(self.empty_label)
        past_col.addWidget(self.history_tree, 1)
        self.delete_button = QPushButton("Delete QBR…")
        self.delete_button.setToolTip("Remove a QBR recorded by mistake, with its commitments")
        self.delete_button.setEnabled(False)
        self.delete_button.clicked.connect(self.delete_selected)
        done_row = QHBoxLayout()
        done_row.addWidget(self.delete_button)
        done_row.addStretch(1)
        done_row.addWidget(self.done_button)
        past_col.addLayout(done_row)

        self.day_edit = date_edit()
        self.day_edit.setMaximumDate(QDate(clock.today()))
        self.day_edit.setMinimumWidth(self.fontMetrics().horizontalAdvance("00 Mmm 0000") + 48)
        day_row = QHBoxLayout()
        day_row.addWidget(self.day_edit)
        day_row.addStretch(1)
        self.attendees_edit = QLineEdit()
        self.attendees_edit.setPlaceholderText("Names, separated by commas (a contact's name "
                                               "is linked to the contact)")
        self.ours_edit = QLineEdit(owner or "")
        self.ours_edit.setPlaceholderText("Names, separated by commas")
        self.decisions_edit = QPlainTextEdit()
        self.decisions_edit.setPlaceholderText("One decision per line")
        self.decisions_edit.setFixedHeight(self.fontMetrics().lineSpacing() * 4)
        self.commit_table = QTableWidget(0, len(COMMIT_COLUMNS))
        self.commit_table.setHorizontalHeaderLabels(list(COMMIT_COLUMNS))
        self.commit_table.verticalHeader().setVisible(False)
        heads = self.commit_table.horizontalHeader()
        heads.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        heads.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        heads.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        heads.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        self.commit_table.setColumnWidth(0, 160)
        # room for four commitments; the list of past QBRs above takes the rest
        self.commit_table.setFixedHeight(self.fontMetrics().lineSpacing() * 9)
        self.add_row_button = QPushButton("Add commitment")
        self.add_row_button.clicked.connect(self.add_commitment_row)
        self.remove_row_button = QPushButton("Remove")
        self.remove_row_button.clicked.connect(self._remove_row)
        rows = QHBoxLayout()
        rows.addWidget(self.add_row_button)
        rows.addWidget(self.remove_row_button)
        rows.addStretch(1)
        commit_col = QVBoxLayout()
        commit_col.setContentsMargins(0, 0, 0, 0)
        commit_col.addWidget(self.commit_table)
        commit_col.addLayout(rows)
        self.next_check = QCheckBox("Agreed for")
        self.next_edit = date_edit(QDate(clock.today()).addDays(91))
        self.next_edit.setEnabled(False)
        self.next_check.toggled.connect(self.next_edit.setEnabled)
        next_row = QHBoxLayout()
        next_row.addWidget(self.next_check)
        next_row.addWidget(self.next_edit)
        next_row.addStretch(1)
        self.problem = error_label()
        self.problem.setWordWrap(True)
        new = QGroupBox("Record a QBR")
        form = QFormLayout(new)
        form.addRow("Held on", day_row)
        form.addRow("Their side", self.attendees_edit)
        form.addRow("Our side", self.ours_edit)
        form.addRow("Decisions", self.decisions_edit)
        form.addRow("Commitments", commit_col)
        form.addRow("Next QBR", next_row)
        form.addRow(self.problem)

        buttons = QDialogButtonBox()
        self.save_button = buttons.addButton("Save QBR", QDialogButtonBox.ButtonRole.ApplyRole)
        self.save_button.clicked.connect(self.save_qbr)
        buttons.addButton(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        col = QVBoxLayout(self)
        col.addWidget(past, 1)
        col.addWidget(new)
        col.addWidget(buttons)
        self.add_commitment_row()
        self.reload()

    # -- the past -----------------------------------------------------------------------

    def reload(self) -> None:
        meetings = qm.qbr_meetings(self.db, self.account_id)
        self.history_tree.clear()
        self.empty_label.setVisible(not meetings)
        self.history_tree.setVisible(bool(meetings))
        for m in meetings:
            head = QTreeWidgetItem([f"{m.quarter} · held {format_date(m.held_on)}"
                                    + (f" · next {format_date(m.next_qbr_on)}"
                                       if m.next_qbr_on else "")
                                    + f" · {counted(len(m.commitments), 'commitment')}"])
            font = head.font(0)
            font.setBold(True)
            head.setFont(0, font)
            head.setData(2, Qt.ItemDataRole.UserRole, (m.id, m.held_on, len(m.commitments)))
            self.history_tree.addTopLevelItem(head)
            people = [*m.attendees, *(f"{n} (us)" for n in m.our_attendees)]
            if people:
                head.addChild(QTreeWidgetItem([f"Attendees: {', '.join(people)}"]))
            for d in m.decisions:
                head.addChild(QTreeWidgetItem([f"Decision: {d}"]))
            if m.documents:
                names = ", ".join(f"{Path(path).name} ({kind})" for kind, path in m.documents)
                item = QTreeWidgetItem([f"Documents: {names}"])
                item.setToolTip(0, "\n".join(path for _kind, path in m.documents))
                head.addChild(item)
            for c in m.commitments:
                side = "customer" if c.side == "customer" else "us"
                state = c.state_label + (f" {format_date(c.done_on)}" if c.done_on else "")
                item = QTreeWidgetItem([c.what, f"{c.who} ({side})", format_date(c.due_on),
                                        state])
                item.setData(0, Qt.ItemDataRole.UserRole, c.id)
                item.setData(1, Qt.ItemDataRole.UserRole, c.done_on is None)
                item.setToolTip(0, c.what)
                colour = STATE_COLOURS.get(c.state)
                if colour:
                    item.setForeground(3, BAND_COLOURS[colour])
                head.addChild(item)
            head.setExpanded(True)
        self._selection_changed()

    def selected_commitment(self) -> int | None:
        """The open commitment selected in the list (None: none, or one already done)."""
        items = self.history_tree.selectedItems()
        if not items or not items[0].data(1, Qt.ItemDataRole.UserRole):
            return None
        value = items[0].data(0, Qt.ItemDataRole.UserRole)
        return int(value) if value is not None else None

    def selected_meeting(self) -> tuple[int, Any, int] | None:
        """The QBR whose heading is selected: (id, day held, commitments)."""
        items = self.history_tree.selectedItems()
        return items[0].data(2, Qt.ItemDataRole.UserRole) if items else None

    def _selection_changed(self) -> None:
        self.done_button.setEnabled(self.selected_commitment() is not None)
        self.delete_button.setEnabled(self.selected_meeting() is not None)

    def delete_selected(self) -> bool:
        """Ask, then delete the selected QBR; True when it was deleted."""
        chosen = self.selected_meeting()
        if chosen is None:
            return False
        meeting_id, held_on, commitments = chosen
        also = (f" and its {counted(commitments, 'commitment')} (their open steps leave the "
                "success plan)" if commitments else "")
        if QMessageBox.question(self, "Delete QBR",
                                f"Delete the QBR held on {format_date(held_on)}{also}?"
                                ) != QMessageBox.StandardButton.Yes:
            return False
        qm.delete_qbr(self.db, meeting_id)
        self.recorded.emit()
        self.reload()
        return True

    def complete_selected(self) -> None:
        commitment_id = self.selected_commitment()
        if commitment_id is None:
            return
        try:
            qm.complete_commitment(self.db, commitment_id)
        except CsdeskError as exc:
            self.problem.setText(str(exc))
            return
        self.reload()
        self.recorded.emit()

    # -- a new one ----------------------------------------------------------------------

    def add_commitment_row(self) -> int:
        row = self.commit_table.rowCount()
        self.commit_table.insertRow(row)
        self.commit_table.setItem(row, 0, QTableWidgetItem(""))
        side = QComboBox()
        side.addItem("Customer", "customer")
        side.addItem("Us", "vendor")
        self.commit_table.setCellWidget(row, 1, side)
        self.commit_table.setItem(row, 2, QTableWidgetItem(""))
        self.commit_table.setCellWidget(row, 3, date_edit(QDate(clock.today()).addDays(30)))
        return row

    def _remove_row(self) -> None:
        row = self.commit_table.currentRow()
        if row >= 0:
            self.commit_table.removeRow(row)

    def typed_commitments(self) -> list[qm.NewCommitment]:
        """The commitment rows with something typed (an empty row is ignored)."""
        out = []
        for row in range(self.commit_table.rowCount()):
            who_item, what_item = self.commit_table.item(row, 0), self.commit_table.item(row, 2)
            who = who_item.text().strip() if who_item else ""
            what = what_item.text().strip() if what_item else ""
            if not who and not what:
                continue
            side = self.commit_table.cellWidget(row, 1)
            due = self.commit_table.cellWidget(row, 3)
            assert isinstance(side, QComboBox) and hasattr(due, "date")
            out.append(qm.NewCommitment(who, str(side.currentData()), what,
                                        due.date().toPython()))
        return out

    def save_qbr(self) -> None:
        self.commit_table.setCurrentCell(-1, -1)  # a cell still being typed in is kept
        try:
            qm.record_qbr(
                self.db, self.account_id, self.day_edit.date().toPython(),
                attendees=_split(self.attendees_edit.text()),
                our_attendees=_split(self.ours_edit.text()),
                decisions=[d.strip() for d in self.decisions_edit.toPlainText().splitlines()],
                commitments=self.typed_commitments(),
                next_qbr_on=self.next_edit.date().toPython()
                if self.next_check.isChecked() else None)
        except CsdeskError as exc:
            self.problem.setText(str(exc))
            return
        self.problem.setText("")
        self.attendees_edit.clear()
        self.decisions_edit.clear()
        self.commit_table.setRowCount(0)
        self.add_commitment_row()
        self.next_check.setChecked(False)
        self.reload()
        self.recorded.emit()
