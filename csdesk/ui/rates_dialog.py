"""Currencies and exchange rates: the book's base currency (every total is in it) and the
dated rates that convert the other currencies to it.

A rate typed here is the CSM's: an imported rates file never replaces it. Changing the base
re-expresses the rates and places the accounts in their segment bands again, on the worker
thread (a large book takes a moment).
"""

from __future__ import annotations

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from csdesk import clock
from csdesk.db import Database
from csdesk.errors import CsdeskError
from csdesk.services.book.segments import add_rate, change_base_currency
from csdesk.services.formatting import format_date
from csdesk.services.money import code_of, currency_state
from csdesk.ui.tasks import TaskError, TaskRunner
from csdesk.ui.theme import error_label

COMMON = ("USD", "EUR", "GBP", "CHF", "CAD", "AUD", "JPY", "SEK", "NOK", "DKK", "INR")


class RatesDialog(QDialog):
    """The base currency and the rate table; ``changed`` after a rate or the base changed."""

    changed = Signal()

    def __init__(self, db: Database, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db, self.runner = db, runner
        self.setWindowTitle("Currencies and exchange rates")
        self.setMinimumSize(640, 600)

        base_box = QGroupBox("Base currency")
        self.base = QComboBox()
        self.base.setObjectName("base")
        self.make_base = QPushButton("Make base")
        self.make_base.clicked.connect(self._change_base)
        self.base_explain = QLabel()
        self.base_explain.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.base)
        row.addWidget(self.make_base)
        row.addStretch(1)
        base_layout = QVBoxLayout(base_box)
        base_layout.addWidget(self.base_explain)
        base_layout.addLayout(row)

        rates_box = QGroupBox("Exchange rates")
        self.missing = QLabel()
        self.missing.setWordWrap(True)
        self.missing.setObjectName("missing")
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Currency", "From", "Worth in the base",
                                              "Source"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.currency = QLineEdit()
        self.currency.setObjectName("currency")
        self.currency.setPlaceholderText("EUR")
        self.currency.setMaxLength(3)
        self.currency.setFixedWidth(64)
        self.day = QDateEdit(QDate(clock.today()))
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("dd MMM yyyy")
        self.rate = QDoubleSpinBox()
        self.rate.setObjectName("rate")
        self.rate.setDecimals(6)
        self.rate.setRange(0.000001, 1_000_000)
        self.rate.setValue(1.0)
        self.add = QPushButton("Add rate")
        self.add.clicked.connect(self._add_rate)
        add_row = QHBoxLayout()
        add_row.addWidget(QLabel("1"))
        add_row.addWidget(self.currency)
        add_row.addWidget(QLabel("from"))
        add_row.addWidget(self.day)
        add_row.addWidget(QLabel("="))
        add_row.addWidget(self.rate)
        self.rate_unit = QLabel()
        add_row.addWidget(self.rate_unit)
        add_row.addWidget(self.add)
        add_row.addStretch(1)
        hint = QLabel("A rate holds from its day until the currency's next rate. Rates typed "
                      "here are never replaced by an imported rates file (File ▸ Import, "
                      "Exchange rates).")
        hint.setWordWrap(True)
        hint.setStyleSheet("color: palette(mid);")
        rates_layout = QVBoxLayout(rates_box)
        rates_layout.addWidget(self.missing)
        rates_layout.addWidget(self.table, 1)
        rates_layout.addLayout(add_row)
        rates_layout.addWidget(hint)

        self.problem = error_label()
        self.problem.setWordWrap(True)
        self.status = QLabel()
        self.status.setObjectName("status")
        self.status.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(base_box)
        layout.addWidget(rates_box, 1)
        layout.addWidget(self.problem)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        writable = not db.readonly
        for w in (self.make_base, self.add):
            w.setEnabled(writable)
        self.reload()

    def reload(self) -> None:
        state = currency_state(self.db)
        self.currencies = state
        codes = sorted(set(COMMON) | set(state.in_book) | {r.currency for r in state.rates}
                       | {state.base})
        self.base.blockSignals(True)
        self.base.clear()
        for code in codes:
            self.base.addItem(code, code)
        self.base.setCurrentIndex(self.base.findData(state.base))
        self.base.blockSignals(False)
        held = ", ".join(f"{c} {n:,}" for c, n in sorted(
            state.in_book.items(), key=lambda kv: -kv[1])) or "none yet"
        self.base_explain.setText(
            f"Every total — the book's ARR, retention, the forecast, value delivered — is in "
            f"<b>{state.base}</b>. Contracts, renewals, opportunities and value entries by "
            f"currency: {held}. Changing the "
            "base re-expresses the rates against it and places each account in its segment "
            "band again.")
        self.missing.setVisible(bool(state.without_rate))
        self.missing.setText(
            f"⚠ No rate yet for {', '.join(state.without_rate)}: a total that includes "
            f"{'its' if len(state.without_rate) == 1 else 'their'} amounts is refused (never "
            "summed in the wrong currency) until a rate is added below."
            if state.without_rate else "")
        self.rate_unit.setText(state.base)
        # each currency's latest rate first: the one today's figures use
        listed = sorted(state.rates, key=lambda r: (r.currency, -r.day.toordinal()))
        self.table.setRowCount(len(listed))
        for i, r in enumerate(listed):
            for c, text in enumerate((r.currency, format_date(r.day),
                                      f"1 {r.currency} = {r.rate_to_base:g} {state.base}",
                                      "typed" if r.source == "typed" else "imported")):
                item = QTableWidgetItem(text)
                if c == 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(i, c, item)
        self.table.resizeColumnToContents(0)
        self.table.resizeColumnToContents(1)

    def _add_rate(self) -> None:
        self.problem.setText("")
        try:
            moved = add_rate(self.db, self.currency.text(), self.day.date().toPython(),
                             self.rate.value())
        except CsdeskError as exc:
            self.problem.setText(str(exc))
            return
        self.status.setText(f"Added: 1 {code_of(self.currency.text())} = {self.rate.value():g} "
                            f"{self.currencies.base} from {format_date(self.day.date().toPython())}"
                            + (f"; {moved:,} accounts changed segment." if moved else "."))
        self.currency.clear()
        self.reload()
        self.changed.emit()

    def _change_base(self) -> None:
        code = self.base.currentData()
        if code == self.currencies.base:
            return
        self.problem.setText("")
        self.make_base.setEnabled(False)
        self.runner.run_with_dialog(self, f"Making {code} the base currency",
                                    change_base_currency, self.db, code,
                                    on_done=self._based, on_failed=self._failed)

    def _based(self, moved: object) -> None:
        self.make_base.setEnabled(True)
        self.reload()
        self.status.setText(f"Totals are now in {self.currencies.base}; {moved:,} accounts "
                            "changed segment.")
        self.changed.emit()

    def _failed(self, error: TaskError) -> None:
        self.make_base.setEnabled(True)
        self.problem.setText(error.message)
