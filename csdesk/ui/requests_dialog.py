"""Product feedback in the window: an account's asks (log one, see each with its product
status) and the book's ranked list by ARR at stake, exported for the product team.

Everything goes through ``services.plans.requests``; the export runs on the task runner.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
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
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from csdesk import clock
from csdesk.db import Database
from csdesk.errors import CsdeskError
from csdesk.models.enums import ProductStatus, RequestKind
from csdesk.services.book.account_detail import contacts
from csdesk.services.formatting import format_date, format_money
from csdesk.services.plans.requests import (
    RankedRequests,
    Request,
    account_requests,
    delete_request,
    items,
    log_request,
    ranked_requests,
    set_status,
)
from csdesk.ui.fields import date_edit
from csdesk.ui.tasks import TaskError, TaskRunner
from csdesk.ui.theme import error_label

NEW_ITEM = "A new product item (or the one of the same title)"


def _table(headers: list[str], stretch: int) -> QTableWidget:
    t = QTableWidget(0, len(headers))
    t.setHorizontalHeaderLabels(headers)
    t.verticalHeader().hide()
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.setWordWrap(False)
    header = t.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return t


def _fill(t: QTableWidget, rows: list[tuple[str, ...]], right: tuple[int, ...] = ()) -> None:
    t.setRowCount(len(rows))
    for r, cells in enumerate(rows):
        for c, text in enumerate(cells):
            cell = QTableWidgetItem(text)
            cell.setToolTip(text)
            if c in right:
                cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            t.setItem(r, c, cell)
    t.setCurrentCell(-1, -1)  # no cell looks picked before the user picks one


class RequestsDialog(QDialog):
    """An account's feature requests and product gaps: the list with each one's product
    status, and a form that logs a new one."""

    def __init__(self, parent: QWidget | None, db: Database, account_id: int,
                 account_name: str) -> None:
        super().__init__(parent)
        self.db, self.account_id = db, account_id
        self.logged: list[Request] = []
        self.setWindowTitle(f"Requests — {account_name}")
        self.setMinimumSize(820, 560)

        self.asks = _table(["Asked", "Request", "Kind", "Asked by", "Product status",
                            "Shipped"], 1)
        self.empty_note = QLabel("No requests logged for this account yet.")
        self.empty_note.setStyleSheet("color: palette(mid);")

        form_box = QGroupBox("Log a request")
        self.title_edit = QLineEdit()
        self.title_edit.setPlaceholderText("What they asked for, in a few words")
        self.detail_edit = QLineEdit()
        self.detail_edit.setPlaceholderText("More about the ask (optional)")
        self.kind_box = QComboBox()
        for kind in RequestKind:
            self.kind_box.addItem(kind.label, kind.value)
        self.by_box = QComboBox()
        self.by_box.setEditable(True)
        self.by_box.addItem("")
        for c in contacts(db, account_id):
            self.by_box.addItem(c.name)
        self.by_box.lineEdit().setPlaceholderText("A contact, or any name (optional)")
        self.same_box = QComboBox()
        self.same_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.same_box.setMinimumContentsLength(40)
        self.day_edit = date_edit()
        self.day_edit.setMaximumDate(QDate(clock.today()))
        self.problem = error_label()
        self.problem.setWordWrap(True)
        self.log_button = QPushButton("Log request")
        self.log_button.setDefault(True)
        self.log_button.setEnabled(not db.readonly)
        self.log_button.clicked.connect(self.log_ask)
        form = QFormLayout(form_box)
        form.addRow("Request", self.title_edit)
        form.addRow("Detail", self.detail_edit)
        row = QHBoxLayout()
        row.addWidget(self.kind_box)
        row.addSpacing(12)
        row.addWidget(QLabel("Asked on"))
        row.addWidget(self.day_edit)
        row.addStretch(1)
        form.addRow("Kind", row)
        form.addRow("Asked by", self.by_box)
        form.addRow("Same as", self.same_box)
        buttons_row = QHBoxLayout()
        buttons_row.addWidget(self.problem, 1)
        buttons_row.addWidget(self.log_button)
        form.addRow(buttons_row)

        self.delete_button = QPushButton("Delete request…")
        self.delete_button.setToolTip("Remove an ask logged by mistake")
        self.delete_button.setEnabled(False)
        self.delete_button.clicked.connect(self.delete_selected)
        self.asks.itemSelectionChanged.connect(
            lambda: self.delete_button.setEnabled(not db.readonly
                                                  and self.selected_request() is not None))
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        col = QVBoxLayout(self)
        col.addWidget(self.asks, 1)
        delete_row = QHBoxLayout()
        delete_row.addWidget(self.delete_button)
        delete_row.addStretch(1)
        col.addLayout(delete_row)
        col.addWidget(self.empty_note)
        col.addWidget(form_box)
        col.addWidget(close)
        self.reload()

    def reload(self) -> None:
        listed = account_requests(self.db, self.account_id)
        self.listed = listed
        _fill(self.asks, [(format_date(r.asked_on), r.title, r.kind_label, r.asked_by or "—",
                           r.item.status_label, format_date(r.item.shipped_on))
                          for r in listed])
        self.empty_note.setVisible(not listed)
        self.same_box.clear()
        self.same_box.addItem(NEW_ITEM, None)
        for item in items(self.db):
            self.same_box.addItem(f"{item.title} ({item.status_label.lower()})", item.id)

    def selected_request(self) -> Request | None:
        rows = {i.row() for i in self.asks.selectedIndexes()}
        return self.listed[min(rows)] if rows and min(rows) < len(self.listed) else None

    def delete_selected(self) -> bool:
        """Ask, then delete the selected request; True when it was deleted."""
        chosen = self.selected_request()
        if chosen is None or QMessageBox.question(
                self, "Delete request", f"Delete the request “{chosen.title}” asked on "
                f"{format_date(chosen.asked_on)}?") != QMessageBox.StandardButton.Yes:
            return False
        try:
            delete_request(self.db, chosen.id)
        except CsdeskError as exc:
            self.problem.setText(str(exc))
            return False
        self.logged.append(chosen)  # the account's asks changed
        self.reload()
        return True

    def log_ask(self) -> None:
        try:
            done = log_request(
                self.db, self.account_id, self.title_edit.text(),
                detail=self.detail_edit.text(), kind=str(self.kind_box.currentData()),
                asked_by=self.by_box.currentText(), asked_on=self.day_edit.date().toPython(),
                same_as=self.same_box.currentData())
        except CsdeskError as exc:
            self.problem.setText(str(exc))
            return
        self.logged.append(done)
        self.problem.clear()
        self.title_edit.clear()
        self.detail_edit.clear()
        self.by_box.setCurrentIndex(0)
        self.reload()


class BookRequestsDialog(QDialog):
    """The book's asks, one row per product item, ranked by the ARR at stake; Export…
    writes it for the product team (CSV, or Excel with the asks by account)."""

    def __init__(self, db: Database, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db, self.runner = db, runner
        self.ranked: RankedRequests | None = None
        self.exported: Path | None = None
        self.setWindowTitle("Feature requests by ARR at stake")
        self.setMinimumSize(900, 520)
        self.rule_label = QLabel()
        self.rule_label.setWordWrap(True)
        self.ranking = _table(["#", "Product item", "Status", "Accounts", "ARR at stake",
                               "First asked", "Shipped", "Asked by"], 1)
        self.ranking.horizontalHeader().setSectionResizeMode(
            7, QHeaderView.ResizeMode.Interactive)
        self.ranking.setColumnWidth(7, 240)
        self.ranking.itemSelectionChanged.connect(self._picked)
        # The product team's status of the item picked above, typed here (or imported from
        # their CSV: csdesk requests import)
        self.status_box = QComboBox()
        for status in ProductStatus:
            self.status_box.addItem(status.label, status.value)
        self.status_box.currentIndexChanged.connect(self._status_chosen)
        self.shipped_edit = date_edit()
        self.shipped_edit.setMaximumDate(QDate(clock.today()))
        self.status_button = QPushButton("Set status")
        self.status_button.clicked.connect(self.apply_status)
        self.status_row = QWidget()
        row = QHBoxLayout(self.status_row)
        row.setContentsMargins(0, 0, 0, 0)
        self.picked_label = QLabel()
        row.addWidget(self.picked_label, 1)
        row.addWidget(QLabel("Status"))
        row.addWidget(self.status_box)
        row.addWidget(QLabel("Shipped on"))
        row.addWidget(self.shipped_edit)
        row.addWidget(self.status_button)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("For the product team: a CSV file, or an Excel workbook "
                                      "with a second sheet of the asks by account")
        self.export_button.clicked.connect(lambda: self.export_to())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.export_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        col = QVBoxLayout(self)
        col.addWidget(self.rule_label)
        col.addWidget(self.ranking, 1)
        col.addWidget(self.status_row)
        col.addWidget(self.note)
        col.addWidget(buttons)
        self.reload()

    def reload(self) -> None:
        ranked = self.ranked = ranked_requests(self.db)
        self.rule_label.setText(ranked.rule)
        rows = []
        for n, r in enumerate(ranked.items, start=1):
            churned = r.account_count - r.live_count
            arr = (format_money(r.arr_at_stake_cents, ranked.base_currency)
                   if r.arr_at_stake_cents is not None else f"no {'/'.join(r.missing)} rate")
            rows.append((str(n), r.item.title, r.item.status_label,
                         f"{r.live_count}" + (f" + {churned} churned" if churned else ""),
                         arr, format_date(r.first_asked), format_date(r.item.shipped_on),
                         ", ".join(a.name for a in r.accounts)))
        _fill(self.ranking, rows, right=(0, 3, 4))
        self.export_button.setEnabled(bool(rows))
        self._picked()
        self.note.setText("" if rows else "No requests logged yet: log one from an account's "
                                          "Requests… button.")
        self.note.setVisible(not rows)

    def picked_item(self) -> int | None:
        rows = self.ranking.selectionModel().selectedRows()
        if not rows or self.ranked is None:
            return None
        return self.ranked.items[rows[0].row()].item.id

    def _picked(self) -> None:
        ranked, item_id = self.ranked, self.picked_item()
        self.status_row.setEnabled(item_id is not None and not self.db.readonly)
        if ranked is None or item_id is None:
            self.picked_label.setText("Pick an item to set the product team's status.")
            self.shipped_edit.setEnabled(False)
            return
        item = next(r.item for r in ranked.items if r.item.id == item_id)
        self.picked_label.setText(item.title)
        self.status_box.setCurrentIndex(self.status_box.findData(item.status))
        if item.shipped_on is not None:
            self.shipped_edit.setDate(QDate(item.shipped_on))
        self._status_chosen()

    def _status_chosen(self) -> None:
        self.shipped_edit.setEnabled(self.status_box.currentData() == ProductStatus.SHIPPED)

    def apply_status(self) -> None:
        item_id = self.picked_item()
        if item_id is None:
            return
        status = str(self.status_box.currentData())
        shipped = (self.shipped_edit.date().toPython() if status == ProductStatus.SHIPPED
                   else None)
        try:
            done = set_status(self.db, item_id, status, shipped)
        except CsdeskError as exc:
            self.note.setVisible(True)
            self.note.setText(str(exc))
            return
        self.reload()
        at = next(n for n, r in enumerate(self.ranked.items if self.ranked else ())
                  if r.item.id == done.id)
        self.ranking.selectRow(at)
        self.note.setVisible(True)
        self.note.setText(f"“{done.title}” is now {done.status_label.lower()}.")

    def export_to(self, path: Path | None = None) -> None:
        if path is None:
            from csdesk.ui.window_actions import EXCEL_FILTER, _save_as

            path = _save_as(self, "Export feature requests", "feature-requests",
                            [("CSV files (*.csv)", ".csv"), (EXCEL_FILTER, ".xlsx")])
            if path is None:
                return
        from csdesk.services.plans.requests_io import export_requests

        # the save dialog asked before replacing a file
        self.runner.run_with_dialog(self, "Exporting feature requests", export_requests,
                                    self.db, path, overwrite=True,
                                    on_done=self._exported, on_failed=self._failed)

    def _exported(self, done: object) -> None:
        self.exported = getattr(done, "path", None)
        self.note.setVisible(True)
        self.note.setText(f"Exported {getattr(done, 'rows', 0):,} product items to "
                          f"{self.exported}")

    def _failed(self, error: TaskError) -> None:
        self.note.setVisible(True)
        self.note.setText(error.message)
