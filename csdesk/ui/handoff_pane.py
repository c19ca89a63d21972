"""The sales handoff of an account: what was sold and promised, and the success criteria
that become the first plan's objectives."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from csdesk.db import Database
from csdesk.errors import ConflictError, CsdeskError
from csdesk.services.book import account_detail
from csdesk.services.plans import handoff
from csdesk.ui.fields import date_edit

NO_DATE = QDate(2000, 1, 1)


class HandoffPane(QWidget):
    saved = Signal()

    def __init__(self, db: Database, account_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db, self.account_id = db, account_id
        self.status = QLabel()
        self.status.setTextFormat(Qt.TextFormat.PlainText)  # names may hold < and &
        self.status.setWordWrap(True)
        self.products = QLineEdit()
        self.seats = QSpinBox()
        self.seats.setRange(0, 1_000_000)
        self.term = QSpinBox()
        self.term.setRange(0, 120)
        self.term.setSuffix(" months")
        self.promises = QPlainTextEdit()
        self.commitments = QPlainTextEdit()
        self.criteria = QPlainTextEdit()
        self.criteria.setPlaceholderText("One per line, in the customer's words")
        self.risks = QPlainTextEdit()
        for box in (self.promises, self.commitments, self.risks, self.criteria):
            box.setMaximumHeight(70)
        self.people = {key: QComboBox() for key in ("economic_buyer_id", "champion_id",
                                                    "sponsor_id")}
        self.dates = {}
        for key in ("go_live_date", "first_value_date"):
            edit = date_edit()
            edit.setMinimumDate(NO_DATE)
            edit.setSpecialValueText("not set")
            self.dates[key] = edit
        save = QPushButton("Save handoff")
        save.clicked.connect(self.save)
        to_plan = QPushButton("Make the criteria plan objectives")
        to_plan.clicked.connect(self.criteria_to_plan)
        form = QFormLayout()
        form.addRow("What was sold", self.products)
        form.addRow("Seats", self.seats)
        form.addRow("Term", self.term)
        form.addRow("Promised in the sale", self.promises)
        form.addRow("Custom commitments", self.commitments)
        form.addRow("Success criteria", self.criteria)
        form.addRow("Economic buyer", self.people["economic_buyer_id"])
        form.addRow("Champion", self.people["champion_id"])
        form.addRow("Executive sponsor", self.people["sponsor_id"])
        form.addRow("Planned go-live", self.dates["go_live_date"])
        form.addRow("Planned first value", self.dates["first_value_date"])
        form.addRow("Known risks", self.risks)
        buttons = QHBoxLayout()
        buttons.addWidget(save)
        buttons.addWidget(to_plan)
        buttons.addStretch(1)
        body = QWidget()
        body.setMaximumWidth(900)
        inner = QVBoxLayout(body)
        inner.addWidget(self.status)
        inner.addLayout(form)
        inner.addLayout(buttons)
        inner.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        QVBoxLayout(self).addWidget(scroll)
        self.reload()

    def reload(self) -> None:
        self.view = view = handoff.get_handoff(self.db, self.account_id)
        v = view.values
        contacts = [c for c in account_detail.contacts(self.db, self.account_id)
                    if not c.left_company]
        for key, box in self.people.items():
            box.clear()
            box.addItem("—", None)
            for c in contacts:
                box.addItem(c.name, c.id)
            box.setCurrentIndex(max(0, box.findData(v.get(key))))
        self.products.setText(v.get("products") or "")
        self.seats.setValue(int(v.get("seats") or 0))
        self.term.setValue(int(v.get("term_months") or 0))
        self.promises.setPlainText(v.get("promises") or "")
        self.commitments.setPlainText(v.get("commitments") or "")
        self.criteria.setPlainText("\n".join(v.get("success_criteria") or []))
        self.risks.setPlainText(v.get("risks") or "")
        for key, edit in self.dates.items():
            edit.setDate(QDate(v[key]) if v.get(key) else NO_DATE)
        self._saved_values = self.values()
        if not view.exists:
            self.status.setText("⚠ No handoff recorded from sales yet.")
        elif view.missing:
            self.status.setText("⚠ The handoff is incomplete: missing "
                                + ", ".join(view.missing) + ".")
        else:
            self.status.setText("✓ The handoff is complete.")

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "products": self.products.text().strip() or None,
            "seats": self.seats.value() or None, "term_months": self.term.value() or None,
            "promises": self.promises.toPlainText().strip() or None,
            "commitments": self.commitments.toPlainText().strip() or None,
            "success_criteria": self.criteria.toPlainText().splitlines(),
            "risks": self.risks.toPlainText().strip() or None}
        for key, box in self.people.items():
            out[key] = box.currentData()
        for key, edit in self.dates.items():
            out[key] = None if edit.date() == NO_DATE else edit.date().toPython()
        return out

    def has_unsaved_changes(self) -> bool:
        return self.values() != self._saved_values

    def save(self) -> None:
        try:
            handoff.save_handoff(self.db, self.account_id, self.values(), self.view.version)
        except ConflictError as exc:
            self._resolve(exc)
        except CsdeskError as exc:
            QMessageBox.warning(self, "Handoff", str(exc))
        self.reload()
        self.saved.emit()

    def _resolve(self, exc: ConflictError) -> None:
        """Someone saved the handoff first (this also runs when the window closes): show
        theirs beside mine — keep mine, keep theirs, choose per field, or copy my text —
        so nothing typed is lost without the user's say."""
        from csdesk.ui.conflict_dialog import ConflictDialog

        if exc.current is None or exc.version is None:
            QMessageBox.warning(self, "Handoff", str(exc))
            return
        values = self.values()
        mine = {k: v for k, v in values.items() if v != self._saved_values.get(k)}
        dialog = ConflictDialog("handoff", self._saved_values, mine, exc.current, self)
        chosen = dialog.resolution() if dialog.exec() else {}
        if chosen:
            try:
                handoff.save_handoff(self.db, self.account_id, {**exc.current, **chosen},
                                     exc.version)
            except CsdeskError as again:
                QMessageBox.warning(self, "Handoff", str(again))

    def criteria_to_plan(self) -> int:
        self.save()
        added = handoff.criteria_to_objectives(self.db, self.account_id)
        self.status.setText(self.status.text() + f"  {added} objectives added to the plan.")
        self.saved.emit()
        return added
