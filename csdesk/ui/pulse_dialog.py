"""The CSM pulse on the account page: the line beside the computed health, and the small
dialog that records a new pulse (through the pulse service, never the database).

The pulse is shown *beside* the computed health, never blended into it; when the two tell
opposite stories the page says so in one line and shows both as they are.
"""

from __future__ import annotations

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from csdesk import clock
from csdesk.db import Database
from csdesk.errors import CsdeskError
from csdesk.services.health.pulse import (
    DISAGREE_NOTE,
    MAX_REASONS,
    RATING_WORDS,
    Pulse,
    disagrees,
    latest_pulse,
    pulse_reasons,
    record_pulse,
)
from csdesk.ui.fields import date_edit
from csdesk.ui.theme import BAND_COLOURS, error_label


class PulseDialog(QDialog):
    """Rate the account 1–5 with words, pick up to three reasons, add a note and a day."""

    def __init__(self, parent: QWidget, db: Database, account_id: int, account_name: str,
                 current: Pulse | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.account_id = account_id
        self.saved_pulse: Pulse | None = None
        self.setWindowTitle(f"Set pulse — {account_name}")
        self.rating_box = QComboBox()
        for value in range(5, 0, -1):
            self.rating_box.addItem(f"{value} — {RATING_WORDS[value]}", value)
        self.rating_box.setCurrentIndex(self.rating_box.findData(
            current.rating if current is not None else 3))
        self.reason_boxes: list[QCheckBox] = []
        reasons = QGridLayout()
        reasons.setHorizontalSpacing(16)
        for i, reason in enumerate(pulse_reasons(db)):
            box = QCheckBox(reason)
            box.toggled.connect(self._limit_reasons)
            self.reason_boxes.append(box)
            reasons.addWidget(box, i // 3, i % 3)
        self.reason_hint = QLabel(f"Up to {MAX_REASONS}.")
        self.reason_hint.setStyleSheet("color: palette(mid);")
        reasons.addWidget(self.reason_hint, (len(self.reason_boxes) + 2) // 3, 0, 1, 3)
        self.note_edit = QPlainTextEdit()
        self.note_edit.setPlaceholderText("What you saw (optional)")
        self.note_edit.setFixedHeight(self.fontMetrics().lineSpacing() * 4)
        self.day_edit = date_edit()
        self.day_edit.setMaximumDate(QDate(clock.today()))
        self.problem = error_label()
        self.problem.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow("Rating", self.rating_box)
        form.addRow("Reasons", reasons)
        form.addRow("Note", self.note_edit)
        form.addRow("Day", self.day_edit)
        form.addRow(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save |
                                   QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def chosen_reasons(self) -> list[str]:
        return [box.text() for box in self.reason_boxes if box.isChecked()]

    def _limit_reasons(self) -> None:
        full = len(self.chosen_reasons()) >= MAX_REASONS
        for box in self.reason_boxes:
            box.setEnabled(box.isChecked() or not full)

    def _save(self) -> None:
        try:
            self.saved_pulse = record_pulse(
                self.db, self.account_id, int(self.rating_box.currentData()),
                self.chosen_reasons(), note=self.note_edit.toPlainText(),
                day=self.day_edit.date().toPython())
        except CsdeskError as exc:
            self.problem.setText(str(exc))
            return
        self.accept()


class PulseStrip(QWidget):
    """"CSM pulse: 4/5 · Strong champion · 12 Nov 2026" with a Set pulse… button, and a
    one-line note when the pulse and the computed band disagree."""

    saved = Signal()

    def __init__(self, db: Database, account_id: int, account_name: str, band: str | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.account_id = account_id
        self.account_name = account_name
        self.band = band
        self.pulse_label = QLabel()
        self.pulse_label.setTextFormat(Qt.TextFormat.PlainText)  # reasons and notes as text
        self.pulse_label.setWordWrap(True)
        self.pulse_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.disagree_label = QLabel()
        self.disagree_label.setTextFormat(Qt.TextFormat.PlainText)
        self.disagree_label.setWordWrap(True)
        self.disagree_label.setStyleSheet(f"color: {BAND_COLOURS['yellow'].name()};")
        self.set_button = QPushButton("Set pulse…")
        self.set_button.setToolTip("Your own 1–5 rating of the account, shown beside the "
                                   "computed health (not blended into it)")
        self.set_button.clicked.connect(self.set_pulse)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        # The button sits by the line it changes, not across a wide window from it; the
        # line takes the rest of the width and wraps when the reasons are long.
        row.addWidget(self.set_button, 0, Qt.AlignmentFlag.AlignTop)
        row.addSpacing(6)
        row.addWidget(self.pulse_label, 1)
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(2)
        col.addLayout(row)
        col.addWidget(self.disagree_label)
        self.latest: Pulse | None = None
        self.reload()

    def reload(self) -> None:
        self.latest = latest_pulse(self.db, self.account_id)
        p = self.latest
        if p is None:
            self.pulse_label.setText("CSM pulse: none recorded yet")
            self.pulse_label.setStyleSheet("color: palette(mid);")
            self.pulse_label.setToolTip("")
        else:
            self.pulse_label.setText(p.line())
            self.pulse_label.setStyleSheet(
                f"color: {BAND_COLOURS['yellow'].name()};" if p.stale else "")
            tip = [f"{p.rating}/5: {p.words}"]
            if p.note:
                tip.append(p.note)
            if p.author:
                tip.append(f"by {p.author}")
            self.pulse_label.setToolTip("\n".join(tip))
        clash = p is not None and disagrees(p.rating, self.band)
        self.disagree_label.setVisible(clash)
        self.disagree_label.setText(
            f"{DISAGREE_NOTE}: your pulse is {p.rating}/5 ({p.words}), the computed health "
            f"is {self.band}. Both are shown as they are." if clash and p is not None else "")

    def set_pulse(self) -> None:
        dialog = PulseDialog(self, self.db, self.account_id, self.account_name, self.latest)
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
        self.reload()  # saved, or changed elsewhere meanwhile: show the book as it is
        if accepted:
            self.saved.emit()
