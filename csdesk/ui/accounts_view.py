"""The Accounts view: the whole book in one sortable, filterable table."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from csdesk.services.accounts import AccountTable
from csdesk.ui.accounts_model import ARR, COLUMNS, DAYS, HEALTH, NAME, TASKS, AccountsModel


class AccountsView(QWidget):
    """Filter box, count and the table; emits ``account_activated`` with an account id."""

    account_activated = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = AccountsModel(self)
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter by name, external id or owner")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self._on_filter)
        self.count_label = QLabel()

        top = QHBoxLayout()
        top.addWidget(self.filter_edit, 1)
        top.addSpacing(12)
        top.addWidget(self.count_label)

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(NAME, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(28)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        widths = {NAME: 300, HEALTH: 80, ARR: 110, DAYS: 120, TASKS: 90}
        for col in range(len(COLUMNS)):
            self.table.setColumnWidth(col, widths.get(col, 120))
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(
            lambda idx: self.account_activated.emit(self.model.account_id(idx.row())))

        col = QVBoxLayout(self)
        col.setContentsMargins(12, 12, 12, 12)
        col.addLayout(top)
        col.addWidget(self.table, 1)

    def set_table(self, table: AccountTable) -> None:
        self.model.set_table(table)
        self._update_count()

    def _on_filter(self, text: str) -> None:
        self.model.set_text_filter(text)
        self._update_count()

    def _update_count(self) -> None:
        shown, total = self.model.rowCount(), self.model.total_count()
        noun = "account" if total == 1 else "accounts"
        self.count_label.setText(
            f"{total:,} {noun}" if shown == total else f"{shown:,} of {total:,} {noun}")
