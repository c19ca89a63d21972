"""Health settings: inputs, weights and bands per segment, checked against calibration.

Saving never edits a model in place: it adds a new version, then the book is rescored in
the background.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from csdesk.db import Database
from csdesk.models.enums import Segment
from csdesk.services.defaults import ensure_defaults
from csdesk.services.health.calibration import CalibrationReport, calibrate
from csdesk.services.health.inputs import LABELS_INPUT
from csdesk.services.health.scoring import model_for_segment, recompute, save_model_version
from csdesk.ui.tasks import TaskError, TaskRunner


def _model_config(db: Database, segment: str | None) -> tuple[str, int, dict[str, Any]]:
    model = model_for_segment(db, segment)
    return model.name, model.version, model.config


class HealthSettingsDialog(QDialog):
    calibrated = Signal(object)
    saved = Signal(int)

    def __init__(self, db: Database, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db, self.runner = db, runner
        ensure_defaults(db)
        self.setWindowTitle("Health score settings")
        self.resize(900, 620)
        self.segment = QComboBox()
        self.segment.addItem("Every segment (default model)", None)
        for s in Segment:
            self.segment.addItem(s.label, s.value)
        self.segment.currentIndexChanged.connect(self.load)
        self.model_label = QLabel()
        self.table = QTableWidget(0, 6)
        self.table.setHorizontalHeaderLabels(["Input", "On", "Weight", "AUC alone", "p-value",
                                              "Suggested"])
        self.table.verticalHeader().hide()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.green = QSpinBox()
        self.yellow = QSpinBox()
        for spin in (self.green, self.yellow):
            spin.setRange(1, 99)
        self.report_label = QLabel("Run calibration to see which inputs predict churn in "
                                   "this book.")
        self.report_label.setWordWrap(True)
        self.calibrate_button = QPushButton("Run calibration")
        self.calibrate_button.clicked.connect(self.run_calibration)
        self.suggest_button = QPushButton("Use suggested weights")
        self.suggest_button.setEnabled(False)
        self.suggest_button.clicked.connect(self.use_suggestion)
        self.save_button = QPushButton("Save as new version")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        form = QFormLayout()
        form.addRow("Model for", self.segment)
        form.addRow("", self.model_label)
        bands = QHBoxLayout()
        bands.addWidget(QLabel("Green from"))
        bands.addWidget(self.green)
        bands.addWidget(QLabel("Yellow from"))
        bands.addWidget(self.yellow)
        bands.addWidget(QLabel("(red below)"))
        bands.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.calibrate_button)
        buttons.addWidget(self.suggest_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(close)
        col = QVBoxLayout(self)
        col.addLayout(form)
        col.addWidget(self.table, 1)
        col.addLayout(bands)
        col.addWidget(self.report_label)
        col.addLayout(buttons)
        self.report: CalibrationReport | None = None
        self.load()

    def load(self) -> None:
        name, version, config = _model_config(self.db, self.segment.currentData())
        self.config = config
        self.model_label.setText(f"Editing {name} version {version}; saving adds version "
                                 f"{version + 1} and rescoring the book.")
        inputs = config["inputs"]
        self.table.setRowCount(len(inputs))
        self.rows: dict[str, tuple[QCheckBox, QDoubleSpinBox]] = {}
        for r, (key, conf) in enumerate(inputs.items()):
            self.table.setItem(r, 0, QTableWidgetItem(LABELS_INPUT.get(key, key)))
            on = QCheckBox()
            on.setChecked(bool(conf.get("enabled", True)))
            weight = QDoubleSpinBox()
            weight.setRange(0, 100)
            weight.setDecimals(1)
            weight.setValue(float(conf.get("weight", 0)))
            self.table.setCellWidget(r, 1, on)
            self.table.setCellWidget(r, 2, weight)
            self.rows[key] = (on, weight)
        self.green.setValue(int(config["bands"]["green"]))
        self.yellow.setValue(int(config["bands"]["yellow"]))
        if self.report is not None:
            self._show_report(self.report)

    def run_calibration(self) -> None:
        self.calibrate_button.setEnabled(False)
        self.report_label.setText("Calibrating against the book's renewals…")
        self.runner.submit("Calibration", calibrate, self.db, on_done=self._calibrated,
                           on_failed=self._failed)

    def _calibrated(self, report: CalibrationReport) -> None:
        self.report = report
        self.calibrate_button.setEnabled(True)
        self._show_report(report)
        self.suggest_button.setEnabled(bool(report.suggested_weights))
        self.calibrated.emit(report)

    def _failed(self, error: TaskError) -> None:
        self.calibrate_button.setEnabled(True)
        self.report_label.setText(f"⚠ {error.message}")
        self.calibrated.emit(error)

    def _show_report(self, report: CalibrationReport) -> None:
        found = {r.name: r for r in report.inputs}
        for r, key in enumerate(self.rows):
            rep = found.get(key)
            cells = ("—" if rep is None or rep.auc is None else f"{rep.auc:.2f}",
                     "not tested" if rep is None else "n/a" if rep.p_value is None else
                     f"{rep.p_value:.3g}",
                     f"{report.suggested_weights.get(key, 0):g}")
            for c, text in enumerate(cells, start=3):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
        cv, cur = report.model.get("cv_auc"), report.current_score.get("auc")
        green = report.bands["green"]
        text = (f"{report.outcomes} outcomes ({report.churned} churned). Model AUC "
                f"{cv:.2f} (cross-validated) against {cur:.2f} for the current score. "
                f"Green accounts that churned: {green['churned']} of {green['accounts']} "
                f"({green['churn_rate']:.0%}).")
        text += "".join(f"\n⚠ {w}" for w in report.warnings)
        self.report_label.setText(text)

    def use_suggestion(self) -> None:
        if self.report is None:
            return
        for key, (on, weight) in self.rows.items():
            w = self.report.suggested_weights.get(key, 0.0)
            on.setChecked(w > 0)
            weight.setValue(w)

    def current_config(self) -> dict[str, Any]:
        inputs = {k: {**self.config["inputs"].get(k, {}), "enabled": on.isChecked(),
                      "weight": weight.value()} for k, (on, weight) in self.rows.items()}
        return {**self.config, "inputs": inputs,
                "bands": {"green": self.green.value(), "yellow": self.yellow.value()}}

    def save(self) -> None:
        config = self.current_config()
        if config["bands"]["yellow"] >= config["bands"]["green"]:
            self.report_label.setText("⚠ Yellow must start below green.")
            return
        if not any(c["enabled"] and c["weight"] > 0 for c in config["inputs"].values()):
            self.report_label.setText("⚠ Turn on at least one input with a weight.")
            return
        segment = self.segment.currentData()
        name, _version, _config = _model_config(self.db, segment)
        model = save_model_version(self.db, config, name=name, segment=segment,
                                   notes="Edited in health settings")
        self.load()
        # A write over the whole book: behind a window-modal progress dialog (the rule in
        # csdesk/ui/tasks.py).
        self.runner.run_with_dialog(self, "Rescoring the book", recompute, self.db,
                                    on_done=lambda _r: self.saved.emit(model.version),
                                    on_failed=self._failed)
