"""The value-delivered log of an account: totals against ARR, the entries, and adding one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
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

from csdesk.db import Database
from csdesk.errors import CsdeskError
from csdesk.services.formatting import format_money, format_money_both, money_prefix
from csdesk.services.plans import success_plans, value
from csdesk.ui.fields import date_edit
from csdesk.ui.theme import error_label


class ValueDialog(QDialog):
    """A value outcome: what, when, measured how, worth what, proven by what, confirmed by
    whom."""

    def __init__(self, parent: QWidget, objectives: list[tuple[int, str]],
                 draft: dict[str, Any] | None = None, *, currency: str = "USD") -> None:
        super().__init__(parent)
        draft = draft or {}
        self.currency = currency  # the customer's: what "worth" is typed in
        self.setWindowTitle("Log value delivered")
        self.title = QLineEdit(draft.get("title", ""))
        self.when = date_edit(QDate(draft["occurred_on"]) if draft.get("occurred_on") else None)
        self.objective = QComboBox()
        self.objective.addItem("No objective", None)
        for oid, title in objectives:
            self.objective.addItem(title, oid)
        self.objective.setCurrentIndex(max(0, self.objective.findData(draft.get("objective_id"))))
        self.metric_name = QLineEdit(draft.get("metric_name") or "")
        self.unit = QLineEdit(draft.get("metric_unit") or "")
        self.before = QLineEdit("" if draft.get("metric_before") is None
                                else f"{draft['metric_before']:g}")
        self.after = QLineEdit("" if draft.get("metric_after") is None
                               else f"{draft['metric_after']:g}")
        self.money = QDoubleSpinBox()
        self.money.setRange(0, 1e12)
        self.money.setDecimals(0)
        self.money.setPrefix(money_prefix(currency))
        self.method = QLineEdit()
        self.method.setPlaceholderText("How the money value was worked out")
        self.evidence = QLineEdit()
        self.evidence.setPlaceholderText("What proves it")
        self.link = QLineEdit()
        self.link.setPlaceholderText("https://…")
        self.file: Path | None = None
        self.file_button = QPushButton("Attach a file…")
        self.file_button.clicked.connect(self._pick)
        self.confirmed_by = QLineEdit()
        self.confirmed_by.setPlaceholderText("Who at the customer confirmed it")
        self.confirmed_on = date_edit()
        self.problem = error_label()
        self.problem.setTextFormat(Qt.TextFormat.PlainText)  # names may hold < and &
        metric = QHBoxLayout()
        for label, w in (("", self.metric_name), ("unit", self.unit), ("before", self.before),
                         ("after", self.after)):
            if label:
                metric.addWidget(QLabel(label))
            metric.addWidget(w)
        form = QFormLayout(self)
        form.addRow("What", self.title)
        form.addRow("When", self.when)
        form.addRow("Objective", self.objective)
        form.addRow("Metric", metric)
        form.addRow("Worth", self.money)
        form.addRow("Worked out as", self.method)
        form.addRow("Evidence", self.evidence)
        form.addRow("Link", self.link)
        form.addRow("File", self.file_button)
        confirm = QHBoxLayout()
        confirm.addWidget(self.confirmed_by, 1)
        confirm.addWidget(QLabel("on"))
        confirm.addWidget(self.confirmed_on)
        form.addRow("Confirmed by", confirm)
        form.addRow(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save |
                                   QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.resize(620, 0)

    def _pick(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Evidence file")
        if path:
            self.file = Path(path)
            self.file_button.setText(self.file.name)

    @staticmethod
    def _number(text: str) -> float | None:
        text = text.strip().replace(",", "")
        return float(text) if text else None

    def data(self) -> dict[str, Any]:
        confirmed = self.confirmed_by.text().strip() or None
        return {"title": self.title.text(), "occurred_on": self.when.date().toPython(),
                "objective_id": self.objective.currentData(),
                "metric_name": self.metric_name.text() or None,
                "metric_unit": self.unit.text() or None,
                "metric_before": self._number(self.before.text()),
                "metric_after": self._number(self.after.text()),
                "value_cents": int(self.money.value() * 100) if self.money.value() else None,
                "currency": self.currency,
                "value_method": self.method.text() or None,
                "evidence": self.evidence.text() or None, "evidence_url": self.link.text() or None,
                "confirmed_by": confirmed,
                "confirmed_on": self.confirmed_on.date().toPython() if confirmed else None}

    def _check(self) -> None:
        try:
            data = self.data()
        except ValueError:
            self.problem.setText("Before and after must be numbers.")
            return
        if not data["title"].strip():
            self.problem.setText("Say what value was delivered.")
            self.title.setFocus()
            return
        self.accept()


class ValuePane(QWidget):
    def __init__(self, db: Database, account_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db, self.account_id = db, account_id
        self.currency = "USD"  # the customer's, read with the totals
        self.totals = QLabel()
        self.totals.setTextFormat(Qt.TextFormat.PlainText)  # names may hold < and &
        self.totals.setStyleSheet("font-weight: 600;")
        add = QPushButton("Log value…")
        add.clicked.connect(lambda: self.log())
        delete = QPushButton("Delete")
        delete.clicked.connect(self.delete_selected)
        bar = QHBoxLayout()
        bar.addWidget(self.totals, 1)
        bar.addWidget(add)
        bar.addWidget(delete)
        self.table = QTableWidget(0, 6)
        self.table.setHorizontalHeaderLabels(["Date", "Value delivered", "Metric", "Worth",
                                              "Evidence", "Confirmed by"])
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for col, width in ((0, 100), (2, 220), (3, 100), (4, 220), (5, 160)):
            self.table.setColumnWidth(col, width)
        col = QVBoxLayout(self)
        col.addLayout(bar)
        col.addWidget(self.table, 1)
        self.reload()

    def reload(self) -> None:
        t = value.totals(self.db, self.account_id)
        roi = "—" if t.roi is None else f"{t.roi:.1f}× ARR"
        cur = self.currency = t.currency
        self.totals.setText(
            f"This quarter {format_money(t.quarter_cents, cur)} · year to date "
            f"{format_money(t.year_cents, cur)} · to date "
            f"{format_money_both(t.to_date_cents, cur, t.to_date_base_cents, t.base_currency)}"
            f" · {roi}" + (f"\n{t.note.capitalize()}." if t.note else ""))
        self.entries = value.entries(self.db, self.account_id)
        self.table.setRowCount(len(self.entries))
        for r, e in enumerate(self.entries):
            metric = ""
            if e.metric_name:
                unit = f" {e.metric_unit}" if e.metric_unit else ""
                metric = (f"{e.metric_name}: {e.metric_before:g} → {e.metric_after:g}{unit}"
                          if e.metric_before is not None and e.metric_after is not None
                          else e.metric_name)
            evidence = e.evidence or e.evidence_url or (Path(e.evidence_file).name
                                                        if e.evidence_file else "")
            confirmed = "" if not e.confirmed_by else \
                f"{e.confirmed_by}" + (f", {e.confirmed_on:%d %b %Y}" if e.confirmed_on else "")
            for c, text in enumerate((f"{e.occurred_on:%d %b %Y}", e.title, metric,
                                      format_money(e.value_cents, e.currency)
                                      if e.value_cents else "", evidence, confirmed)):
                item = QTableWidgetItem(text)
                if c == 3:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight |
                                          Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)

    def _objectives(self) -> list[tuple[int, str]]:
        plan_id = success_plans.active_plan_id(self.db, self.account_id)
        if plan_id is None:
            return []
        return [(o.id, o.title) for o in success_plans.plan_view(self.db, plan_id).objectives]

    def log(self, draft: dict[str, Any] | None = None, *,
            dialog: ValueDialog | None = None) -> value.ValueEntry | None:
        dialog = dialog or ValueDialog(self, self._objectives(), draft, currency=self.currency)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        try:
            entry = value.add_entry(self.db, self.account_id, dialog.data(), dialog.file)
        except CsdeskError as exc:
            dialog.problem.setText(str(exc))
            return None
        self.reload()
        return entry

    def delete_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        for index in rows:
            value.delete_entry(self.db, self.entries[index.row()].id)
        self.reload()
