"""The Accounts view: the whole book in one table, with filter chips and bulk actions."""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from csdesk.models.enums import Segment
from csdesk.services.book.table import AccountTable
from csdesk.services.formatting import counted
from csdesk.ui.accounts_model import (
    ARR,
    COLUMNS,
    DAYS,
    HEALTH,
    ID_ROLE,
    NAME,
    NOT_ENOUGH,
    TASKS,
    AccountsModel,
)


class AccountsView(QWidget):
    """Filter chips, type-to-filter, count and the table.

    Emits ``account_activated`` (an account id) on double-click or Enter, and
    ``export_requested`` / ``owner_change_requested`` with the selected ids.
    """

    account_activated = Signal(int)
    export_requested = Signal(list)
    owner_change_requested = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table_model = AccountsModel(self)
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter by name, external id or owner")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self.table_model.set_text_filter)
        self.filter_edit.textChanged.connect(self._update_count)

        self.segment = self._chip("All segments", [(s.label, s.value) for s in Segment])
        self.band = self._chip("All health", [("Green", "green"), ("Yellow", "yellow"),
                                              ("Red", "red"),
                                              ("Not enough data", NOT_ENOUGH)])
        self.renewal = self._chip("Any renewal", [("Renews in 30 days", 30),
                                                  ("Renews in 90 days", 90),
                                                  ("Renews in 180 days", 180)])
        self.owner = self._chip("All owners", [])
        self.attention = QToolButton()
        self.attention.setText("Needs attention")
        self.attention.setCheckable(True)
        self.attention.setToolTip("Red health, a fall of 10 points or more, or an at-risk "
                                  "renewal within 90 days")
        self.attention.toggled.connect(self._apply_filters)
        self.handoff = QToolButton()
        self.handoff.setText("Handoff incomplete")
        self.handoff.setCheckable(True)
        self.handoff.setToolTip("Accounts in onboarding whose sales handoff is missing or "
                                "incomplete")
        self.handoff.toggled.connect(self._apply_filters)
        self.incomplete_handoffs: set[int] = set()
        # Churned accounts are history: hidden until asked for (a drill-down shows them).
        self.churned = QToolButton()
        self.churned.setText("Churned")
        self.churned.setCheckable(True)
        self.churned.toggled.connect(self._apply_filters)
        self.clear_button = QToolButton()
        self.clear_button.setText("✕")
        self.clear_button.setToolTip("Clear every filter")
        self.clear_button.setAutoRaise(True)
        self.clear_button.clicked.connect(self.clear_filters)
        self.count_label = QLabel()

        chips = QHBoxLayout()
        for w in (self.segment, self.band, self.renewal, self.owner):
            chips.addWidget(w)
        chips.addWidget(self.attention)
        chips.addWidget(self.handoff)
        chips.addWidget(self.clear_button)
        chips.addStretch(1)
        search_row = QHBoxLayout()
        search_row.addWidget(self.filter_edit, 1)
        search_row.addWidget(self.count_label)
        search_row.addWidget(self.churned)  # beside the count it changes

        self.table = QTableView()
        self.table.setModel(self.table_model)
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
        # Fits 1,200 pixels without a horizontal scroll bar; widths are remembered.
        widths = {NAME: 230, 1: 100, HEALTH: 125, ARR: 100, 4: 100, DAYS: 110, 6: 100, 7: 130,
                  8: 100, TASKS: 80}
        for col in range(len(COLUMNS)):
            self.table.setColumnWidth(col, widths.get(col, 110))
        header.setStretchLastSection(True)
        self.table.doubleClicked.connect(
            lambda idx: self.account_activated.emit(self.table_model.account_id(idx.row())))
        self.table.activated.connect(
            lambda idx: self.account_activated.emit(self.table_model.account_id(idx.row())))
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._menu)

        col = QVBoxLayout(self)
        col.setContentsMargins(12, 12, 12, 12)
        col.addLayout(search_row)
        col.addLayout(chips)
        col.addWidget(self.table, 1)

    def _chip(self, everything: str, items: list[tuple[str, object]]) -> QComboBox:
        box = QComboBox()
        box.addItem(everything, None)
        for label, value in items:
            box.addItem(label, value)
        # Full labels when there is room; an explicit minimum lets narrow screens shrink it.
        box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        box.setMinimumWidth(84)
        box.currentIndexChanged.connect(self._apply_filters)
        return box

    def set_table(self, table: AccountTable) -> None:
        keep = self.owner.currentData()
        picked = set(self.selected_ids())  # kept across the reload, where still shown
        current = self.table.currentIndex()
        current_id = current.data(ID_ROLE) if current.isValid() else None
        self.table_model.set_table(table)
        self.owner.blockSignals(True)
        self.owner.clear()
        self.owner.addItem("All owners", None)
        for name in self.table_model.owners():
            self.owner.addItem(name, name)
        self.owner.setCurrentIndex(max(0, self.owner.findData(keep)))
        self.owner.blockSignals(False)
        churned = self.table_model.churned_count()
        self.churned.setText(f"Churned ({churned:,})" if churned else "Churned")
        self.churned.setToolTip(f"Show the {counted(churned, 'churned account')} too" if churned
                                else "No account has churned")
        self._apply_filters()
        if picked:
            self.select_ids(picked, current_id)

    def select_ids(self, ids: set[int], current: int | None = None) -> None:
        """Select the rows of these accounts (those the filters show); ``current`` gets the
        focus and is scrolled to."""
        selection = QItemSelection()
        model = self.table_model
        last = model.columnCount() - 1
        focus = None
        for row in model.rows_of(ids):
            selection.select(model.index(row, 0), model.index(row, last))
            if model.account_id(row) == current or focus is None:
                focus = model.index(row, 0)
        flags = QItemSelectionModel.SelectionFlag
        self.table.selectionModel().select(selection, flags.ClearAndSelect | flags.Rows)
        if focus is not None:
            self.table.selectionModel().setCurrentIndex(focus, flags.NoUpdate)
            self.table.scrollTo(focus)

    def _apply_filters(self, *_args: object) -> None:
        self.table_model.set_filters(segment=self.segment.currentData(),
                               band=self.band.currentData(),
                               renewal_within=self.renewal.currentData(),
                               owner=self.owner.currentData(),
                               attention=self.attention.isChecked(),
                               churned=self.churned.isChecked(),
                               ids=getattr(self, "_ids", None),
                               handoff=self.incomplete_handoffs if self.handoff.isChecked()
                               else None)
        self._update_count()

    def show_only(self, ids: set[int] | None, label: str = "") -> None:
        """Drill-down from elsewhere: limit the table to these accounts (None: all)."""
        self._ids = ids
        self._ids_label = label
        self._apply_filters()

    def clear_filters(self) -> None:
        for box in (self.segment, self.band, self.renewal, self.owner):
            box.blockSignals(True)
            box.setCurrentIndex(0)
            box.blockSignals(False)
        for button in (self.attention, self.handoff, self.churned):
            button.blockSignals(True)
            button.setChecked(False)
            button.blockSignals(False)
        self.filter_edit.clear()
        self.show_only(None)

    def selected_ids(self) -> list[int]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return self.table_model.row_ids(rows)

    def _menu(self, pos: QPoint) -> None:
        ids = self.selected_ids()
        if not ids:
            return
        menu = QMenu(self)
        noun = "account" if len(ids) == 1 else f"{len(ids)} accounts"
        if len(ids) == 1:
            menu.addAction("Open", lambda: self.account_activated.emit(ids[0]))
        menu.addAction(f"Export {noun} to CSV…", lambda: self.export_requested.emit(ids))
        menu.addAction(f"Change owner of {noun}…", lambda: self.owner_change_requested.emit(ids))
        menu.popup(self.table.viewport().mapToGlobal(pos))

    def _update_count(self, *_args: object) -> None:
        shown, total = self.table_model.rowCount(), self.table_model.total_count()
        if not self.churned.isChecked() and getattr(self, "_ids", None) is None:
            total -= self.table_model.churned_count()  # hidden: "194 accounts", "Churned (56)"
        noun = "account" if total == 1 else "accounts"
        extra = f" — {self._ids_label}" if getattr(self, "_ids", None) is not None and \
            getattr(self, "_ids_label", "") else ""
        self.count_label.setText(
            (f"{total:,} {noun}" if shown == total else f"{shown:,} of {total:,} {noun}")
            + extra)
