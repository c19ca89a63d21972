"""Renewal settings: when the renewal process starts per segment, the churn reasons with
their categories, and the plan limits of key features that expansion signals watch.

All three are the book's settings (shared by everyone who opens the book); the services
validate them, and a refused value is shown next to the list it belongs to.
"""

from __future__ import annotations

import re
from collections.abc import Callable

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
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from csdesk.db import Database
from csdesk.errors import CsdeskError, ValidationError
from csdesk.services.formatting import SEGMENT_LABELS
from csdesk.services.renewals.expansion import known_features
from csdesk.services.settings import churn_reasons, feature_limits, process_start, save_settings
from csdesk.ui.theme import error_label

SEGMENTS = SEGMENT_LABELS
CATEGORIES = ("controllable", "uncontrollable")


def _slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", label.casefold()).strip("_")


def _editable_list(box: QGroupBox, explanation: str, table: QTableWidget, add_label: str,
                   add: Callable[[], None]) -> QLabel:
    """Lay out ``box``: the explanation, the table, Add and Remove, and the label (returned)
    where a refused value is explained."""
    explain = QLabel(explanation)
    explain.setWordWrap(True)
    add_button, remove = QPushButton(add_label), QPushButton("Remove")
    add_button.clicked.connect(add)
    remove.clicked.connect(lambda: table.removeRow(max(table.currentRow(), 0))
                           if table.rowCount() else None)
    problem = error_label()
    problem.setWordWrap(True)
    buttons = QHBoxLayout()
    buttons.addWidget(add_button)
    buttons.addWidget(remove)
    buttons.addStretch(1)
    layout = QVBoxLayout(box)
    layout.addWidget(explain)
    layout.addWidget(table, 1)
    layout.addLayout(buttons)
    layout.addWidget(problem)
    return problem


class RenewalSettingsDialog(QDialog):
    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.setWindowTitle("Renewal settings")
        self.setMinimumWidth(560)

        starts = process_start(db)
        self.starts: dict[str, QSpinBox] = {}
        start_box = QGroupBox("Renewal process starts")
        form = QFormLayout(start_box)
        for key, label in SEGMENTS.items():
            spin = QSpinBox()
            spin.setRange(30, 365)
            spin.setSuffix(" days before renewal")
            spin.setValue(starts[key])
            spin.setMaximumWidth(240)
            self.starts[key] = spin
            form.addRow(label, spin)
        form.addRow(QLabel("Checkpoints follow at 120, 90, 60 and 30 days, inside the process."))

        reason_box = QGroupBox("Churn reasons")
        self.reasons = QTableWidget(0, 3)
        self.reasons.setHorizontalHeaderLabels(["Reason", "Code", "Category"])
        header = self.reasons.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.reasons.verticalHeader().hide()
        self.reasons.setMinimumHeight(200)
        self.reasons.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        for code, label, category in churn_reasons(db):
            self._add_reason(label, code, category)
        self.reason_problem = _editable_list(
            reason_box, "Controllable: the team could have prevented it (a product gap, a "
            "service failure…). Churn already logged keeps its code.", self.reasons,
            "Add reason", lambda: self._add_reason("", "", "controllable", edit=True))

        limit_box = QGroupBox("Plan limits of key features (uses per 30 days)")
        self.limits = QTableWidget(0, 2)
        self.limits.setHorizontalHeaderLabels(["Feature", "Plan limit"])
        self.limits.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.limits.verticalHeader().hide()
        self.features = known_features(db)
        for feature, limit in feature_limits(db).items():
            self._add_limit(feature, limit)
        self.limit_problem = _editable_list(
            limit_box, "A plan limit is how many uses per 30 days a plan allows. A feature "
            "used at 80 % of its limit is an expansion signal. Add the features your plans "
            "cap.", self.limits, "Add limit", lambda: self._add_limit("", 1000))

        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                               | QDialogButtonBox.StandardButton.Cancel)
        box.accepted.connect(self.save)
        box.rejected.connect(self.reject)
        self.problem = error_label()
        self.tabs = QTabWidget()  # tabs: the dialog fits a small laptop screen
        for i, (page, title) in enumerate(((start_box, "&Process start"),
                                           (reason_box, "&Churn reasons"),
                                           (limit_box, "Plan &limits"))):
            page.setTitle("")
            page.setFlat(True)
            self.tabs.addTab(page, title)
            self.tabs.setTabToolTip(i, title.replace("&", ""))
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.problem)
        layout.addWidget(box)

    # -- rows ---------------------------------------------------------------------------

    def _add_reason(self, label: str, code: str, category: str, edit: bool = False) -> None:
        row = self.reasons.rowCount()
        self.reasons.insertRow(row)
        self.reasons.setItem(row, 0, QTableWidgetItem(label))
        self.reasons.setItem(row, 1, QTableWidgetItem(code))
        combo = QComboBox()
        combo.addItems(CATEGORIES)
        combo.setCurrentText(category)
        self.reasons.setCellWidget(row, 2, combo)
        if edit:
            self.reasons.setCurrentCell(row, 0)
            self.reasons.editItem(self.reasons.item(row, 0))

    def _add_limit(self, feature: str, limit: int) -> None:
        row = self.limits.rowCount()
        self.limits.insertRow(row)
        combo = QComboBox()
        combo.setEditable(True)
        combo.addItems(self.features)
        combo.setCurrentText(feature)
        self.limits.setCellWidget(row, 0, combo)
        spin = QSpinBox()
        spin.setRange(1, 10_000_000)
        spin.setGroupSeparatorShown(True)
        spin.setValue(limit)
        self.limits.setCellWidget(row, 1, spin)

    def reason_rows(self) -> list[tuple[str, str, str]]:
        rows = []
        for r in range(self.reasons.rowCount()):
            label = (self.reasons.item(r, 0).text() if self.reasons.item(r, 0) else "").strip()
            code = (self.reasons.item(r, 1).text() if self.reasons.item(r, 1) else "").strip()
            combo = self.reasons.cellWidget(r, 2)
            assert isinstance(combo, QComboBox)
            # A label in any script gets a code: its ASCII slug, or else its row.
            rows.append((code or _slug(label) or (f"reason_{r + 1}" if label else ""), label,
                         combo.currentText()))
        return rows

    def limit_rows(self) -> dict[str, int]:
        limits = {}
        for r in range(self.limits.rowCount()):
            combo, spin = self.limits.cellWidget(r, 0), self.limits.cellWidget(r, 1)
            assert isinstance(combo, QComboBox) and isinstance(spin, QSpinBox)
            limits[combo.currentText().strip()] = spin.value()
        return limits

    # -- save ---------------------------------------------------------------------------

    def save(self) -> bool:
        """Save all three lists together; a refused value is shown beside its list and
        nothing is written."""
        for label in (self.reason_problem, self.limit_problem, self.problem):
            label.clear()
        limits = self.limit_rows()
        if "" in limits:
            self.limit_problem.setText("Choose a feature for every plan limit.")
            self.tabs.setCurrentIndex(2)
            return False
        try:
            save_settings(self.db, starts={k: s.value() for k, s in self.starts.items()},
                          reasons=self.reason_rows(), limits=limits)
        except ValidationError as exc:
            where = {"reasons": self.reason_problem, "limits": self.limit_problem}
            where.get(exc.field, self.problem).setText(str(exc))
            self.tabs.setCurrentIndex({"reasons": 1, "limits": 2}.get(exc.field, 0))
            return False
        except CsdeskError as exc:  # read-only book, server away, a conflict: say so
            self.problem.setText(str(exc))
            return False
        self.accept()
        return True
