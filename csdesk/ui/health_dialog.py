"""Health settings: inputs, weights and bands per segment, checked against calibration.

Saving never edits a model in place: it adds a new version, then the book is rescored in
the background.
"""

from __future__ import annotations

from pathlib import Path
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
    QProgressBar,
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
from csdesk.ui.tasks import TaskError, TaskHandle, TaskRunner


def _model_config(db: Database, segment: str | None) -> tuple[str, int, dict[str, Any]]:
    model = model_for_segment(db, segment)
    return model.name, model.version, model.config


def summary_text(report: CalibrationReport) -> str:
    """What the calibration says, in a few plain lines with their intervals."""

    def ci(pair: list[float] | None) -> str:
        return "" if not pair else f" ({pair[0]:.2f} to {pair[1]:.2f})"

    m, cur = report.model, report.current_score
    event = "downsold" if report.outcome == "downsell" else "churned"
    lines = [f"{report.outcomes:,} renewals ({report.churned:,} {event}), inputs measured "
             f"{report.horizon_days} days before each. Model AUC {m['cv_auc']:.2f}"
             f"{ci(m['cv_auc_ci'])} held out; current score "
             + ("n/a" if cur["cv_auc"] is None else f"{cur['cv_auc']:.2f}{ci(cur['cv_auc_ci'])}")
             + " on the same renewals (95% intervals)."]
    rate = "Downsell" if report.outcome == "downsell" else "Churn"
    lines.append(f"{rate} by band of the current score: " + "; ".join(
        f"{band} {b['churned']} of {b['accounts']} ({b['churn_rate']:.0%}"
        + ("" if not b.get("churn_rate_ci") else
           f", {b['churn_rate_ci'][0]:.0%} to {b['churn_rate_ci'][1]:.0%}") + ")"
        for band, b in report.bands.items() if b["accounts"]) + ".")
    lines += report.survival.get("sentences", [])
    if report.suggested_weights is None:
        lines.append(f"No new weights suggested: {report.suggestion_withheld}.")
    else:
        s = report.suggestion
        lines.append(f"Suggested weights beat the current ones on held-out renewals: AUC "
                     f"{s['current_cv_auc']:.2f} → {s['cv_auc']:.2f}.")
    lines += [f"⚠ {w}" for w in report.warnings]
    lines += [n for n in report.notes if "support about" in n]
    return "\n".join(lines)


class HealthSettingsDialog(QDialog):
    calibrated = Signal(object)
    saved = Signal(int)
    card_saved = Signal(str)

    def __init__(self, db: Database, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db, self.runner = db, runner
        ensure_defaults(db)
        self.setWindowTitle("Health score settings")
        self.resize(960, 760)
        self.segment = QComboBox()
        self.segment.addItem("Every segment (default model)", None)
        for s in Segment:
            self.segment.addItem(s.label, s.value)
        self.segment.currentIndexChanged.connect(self.load)
        self.model_label = QLabel()
        self.table = QTableWidget(0, 6)
        self.table.setHorizontalHeaderLabels(["Input", "On", "Weight",
                                              "Odds ratio (95% CI)", "Verdict",
                                              "Suggested"])
        self.table.horizontalHeaderItem(3).setToolTip(
            "Odds of churn per standard deviation of the input, measured before each "
            "renewal; below 1 means a higher value goes with less churn. An input predicts "
            "when its interval excludes 1.")
        self.table.verticalHeader().hide()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.green = QSpinBox()
        self.yellow = QSpinBox()
        for spin in (self.green, self.yellow):
            spin.setRange(1, 99)
        self.report_label = QLabel("Run calibration to see which inputs predict churn in "
                                   "this book.")
        self.report_label.setWordWrap(True)
        self.calibrate_button = QPushButton("Run calibration")
        self.calibrate_button.clicked.connect(self.run_calibration)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(8)
        self.progress.hide()
        self.cancel_button = QPushButton("Cancel calibration")
        self.cancel_button.hide()
        self.cancel_button.clicked.connect(self.cancel_calibration)
        self.card_button = QPushButton("Save model card…")
        self.card_button.setEnabled(False)
        self.card_button.setToolTip("A PDF of the calibration: data, model, accuracy with "
                                    "intervals, comparison with the current score, limits")
        self.card_button.clicked.connect(self.save_card)
        self.handle: TaskHandle | None = None
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
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.suggest_button)
        buttons.addWidget(self.card_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(close)
        col = QVBoxLayout(self)
        col.addLayout(form)
        col.addWidget(self.table, 1)
        col.addLayout(bands)
        col.addWidget(self.progress)
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
        self.suggest_button.setEnabled(False)
        self.card_button.setEnabled(False)
        self.report_label.setText("Calibrating against the book's renewals…")
        self.progress.setValue(0)
        self.progress.show()
        self.cancel_button.show()
        self.handle = self.runner.submit("Calibration", calibrate, self.db,
                                         on_done=self._calibrated, on_failed=self._failed)
        self.handle.progress.connect(self._progressed)

    def _progressed(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(fraction * 1000))
        self.report_label.setText(message + "…")

    def cancel_calibration(self) -> None:
        if self.handle is not None:
            self.handle.cancel()
            self.report_label.setText("Stopping…")

    def _finished_running(self) -> None:
        self.handle = None
        self.progress.hide()
        self.cancel_button.hide()
        self.calibrate_button.setEnabled(True)

    def _calibrated(self, report: CalibrationReport) -> None:
        self.report = report
        self._finished_running()
        self._show_report(report)
        self.suggest_button.setEnabled(report.suggested_weights is not None)
        self.card_button.setEnabled(True)
        self.calibrated.emit(report)

    def _failed(self, error: TaskError) -> None:
        self._finished_running()
        self.report_label.setText(f"⚠ {error.message}")
        self.calibrated.emit(error)

    def _show_report(self, report: CalibrationReport) -> None:
        found = {r.name: r for r in report.inputs}
        suggested = report.suggested_weights
        for r, key in enumerate(self.rows):
            rep = found.get(key)
            effect = ("—" if rep is None or rep.odds_ratio is None else
                      f"{rep.odds_ratio:.2f}" + ("" if rep.effect_ci is None else
                                                f" ({rep.effect_ci[0]:.2f} to "
                                                f"{rep.effect_ci[1]:.2f})"))
            verdict = "not tested" if rep is None else rep.verdict
            cells = (effect, verdict,
                     "—" if suggested is None else f"{suggested.get(key, 0):g}")
            for c, text in enumerate(cells, start=3):
                item = QTableWidgetItem(text)
                item.setTextAlignment((Qt.AlignmentFlag.AlignLeft if c == 4 else
                                       Qt.AlignmentFlag.AlignRight)
                                      | Qt.AlignmentFlag.AlignVCenter)
                if c == 4 and rep is not None and rep.auc is not None:
                    alone = ("" if rep.auc_ci is None else
                             f" ({rep.auc_ci[0]:.2f} to {rep.auc_ci[1]:.2f})")
                    item.setToolTip(f"Verdict from the model, adjusted for the other inputs "
                                    f"fitted. AUC of this input alone: {rep.auc:.2f}{alone}; "
                                    f"present for "
                                    f"{rep.coverage:.0%} of the renewals")
                self.table.setItem(r, c, item)
        self.report_label.setText(summary_text(report))

    def use_suggestion(self) -> None:
        if self.report is None or self.report.suggested_weights is None:
            return
        for key, (on, weight) in self.rows.items():
            w = self.report.suggested_weights.get(key, 0.0)
            on.setChecked(w > 0)
            weight.setValue(w)
        s = self.report.suggestion
        lines = [line for line in summary_text(self.report).split("\n")
                 if not line.startswith("Suggested weights beat")]
        lines.append(f"Suggested weights filled in: on the held-out renewals, AUC "
                     f"{s['current_cv_auc']:.2f} before → {s['cv_auc']:.2f} after. Save as a "
                     "new version to use them.")
        self.report_label.setText("\n".join(lines))

    def save_card(self, path: Path | None = None) -> None:
        """Write the model card of the last calibration (asks where, unless told)."""
        if self.report is None:
            return
        from csdesk.reports.branding import Branding
        from csdesk.reports.model_card import write_model_card
        from csdesk.ui.window_actions import _save_as

        path = path or _save_as(self, "Save the model card", "health-model-card",
                                [("PDF (*.pdf)", ".pdf")])
        if path is None:
            return
        report = self.report

        def saved(_result: object) -> None:
            self.card_saved.emit(str(path))
            self.report_label.setText(summary_text(report) + f"\nModel card saved: {path}")

        self.runner.submit("Model card", write_model_card, report, path, Branding.load(),
                           on_done=saved, on_failed=self._failed)

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
