"""The field history of one account: every change an import or a hand edit made."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from csdesk.db import Database
from csdesk.services.history import account_changes

COLUMNS = ("Day", "Field", "Before", "After", "How")


class HistoryDialog(QDialog):
    """A small table of an account's changes, newest first."""

    def __init__(self, db: Database, account_id: int, name: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"History of {name}")
        self.changes = account_changes(db, account_id)
        self.table = QTableWidget(len(self.changes), len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        for r, c in enumerate(self.changes):
            created = c.field == "*created*"
            cells = (f"{c.day:%d %b %Y}", c.label, "" if created else c.shown(c.old),
                     "" if created else c.shown(c.new), c.how)
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(r, col, item)
        header = self.table.horizontalHeader()
        for col in range(len(COLUMNS) - 1):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.empty = QLabel("No change of this account has been recorded yet: the history "
                            "starts with the first import or edit that changes a field.")
        self.empty.setWordWrap(True)
        self.empty.setVisible(not self.changes)
        self.table.setVisible(bool(self.changes))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        col = QVBoxLayout(self)
        col.addWidget(self.empty)
        col.addWidget(self.table, 1)
        col.addWidget(buttons)
        self.resize(760, 380)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
