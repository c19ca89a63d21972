"""Someone else saved the same record first: show theirs beside mine, field by field, and
let the user keep theirs, keep mine, or merge. Nothing is ever overwritten silently."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

SHOWN_CHARS = 400  # longer texts are cut here (the whole text is in the tooltip)
CELL_WIDTH = 230


def _full(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, date):
        return f"{value:%d %b %Y}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value)
    return str(value).replace("_", " ")


def _show(value: Any) -> str:
    text = " ".join(_full(value).split())
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS - 1] + "…"


def _text(value: Any) -> QLabel:
    """A value as a wrapped label of one column's width (the whole text in its tooltip)."""
    label = QLabel(_show(value))
    label.setWordWrap(True)
    label.setFixedWidth(CELL_WIDTH)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if len(_full(value)) > SHOWN_CHARS:
        label.setToolTip(_full(value))
    return label


class _Choice(QWidget):
    """A radio button beside a wrapped text (a radio button's own text never wraps)."""

    def __init__(self, value: Any) -> None:
        super().__init__()
        self.radio = QRadioButton()
        self.label = _text(value)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.radio, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.label, 0, Qt.AlignmentFlag.AlignTop)
        row.addStretch(1)

    def mousePressEvent(self, event: Any) -> None:  # a click on the text chooses it too
        self.radio.setChecked(True)
        super().mousePressEvent(event)


class ConflictDialog(QDialog):
    """``seen``: the record as this window last read it; ``mine``: the fields I changed;
    ``theirs``: the record as now saved. :meth:`resolution` is what to save on top of
    theirs (empty: keep theirs)."""

    def __init__(self, what: str, seen: dict[str, Any], mine: dict[str, Any],
                 theirs: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Changed by someone else")
        self.mine, self.theirs = mine, theirs
        they_changed = {k for k, v in theirs.items() if k in seen and seen[k] != v}
        self.fields = sorted(set(mine) | they_changed,
                             key=lambda k: (k not in mine, k))
        intro = QLabel(
            f"Someone else saved this {what} after you opened it. Your change was not saved. "
            "Choose, field by field, what to keep; their other changes stay either way.")
        intro.setWordWrap(True)
        self.setMinimumWidth(140 + 3 * (CELL_WIDTH + 40))  # the columns never overlap
        grid = QGridLayout()
        grid.setHorizontalSpacing(18)
        grid.setVerticalSpacing(8)
        for c, head in enumerate(("Field", "When you opened it", "Yours", "Theirs (saved)")):
            label = QLabel(f"<b>{head}</b>")
            grid.addWidget(label, 0, c)
        self.choices: dict[str, QButtonGroup] = {}
        for r, name in enumerate(self.fields, start=1):
            grid.addWidget(QLabel(name.replace("_", " ").capitalize()), r, 0,
                           Qt.AlignmentFlag.AlignTop)
            grid.addWidget(_text(seen.get(name)), r, 1, Qt.AlignmentFlag.AlignTop)
            if name in mine:
                yours, kept = _Choice(mine[name]), _Choice(theirs.get(name))
                group = QButtonGroup(self)
                group.addButton(yours.radio, 0)
                group.addButton(kept.radio, 1)
                (kept if mine[name] == theirs.get(name) else yours).radio.setChecked(True)
                self.choices[name] = group
                grid.addWidget(yours, r, 2, Qt.AlignmentFlag.AlignTop)
                grid.addWidget(kept, r, 3, Qt.AlignmentFlag.AlignTop)
            else:  # only they changed it: kept, shown so nothing surprises later
                grid.addWidget(QLabel("(unchanged)"), r, 2, Qt.AlignmentFlag.AlignTop)
                grid.addWidget(_text(theirs[name]), r, 3, Qt.AlignmentFlag.AlignTop)
        buttons = QDialogButtonBox()
        self.keep_theirs = QPushButton("Keep theirs")
        self.keep_mine = QPushButton("Keep mine")
        self.merge = QPushButton("Save as chosen")
        self.merge.setDefault(True)
        for b in (self.keep_theirs, self.keep_mine, self.merge):
            buttons.addButton(b, QDialogButtonBox.ButtonRole.AcceptRole)
        # Whatever is chosen, what I typed can be kept outside csdesk first.
        self.copy_mine = QPushButton("Copy my text")
        self.copy_mine.setToolTip("Copy everything you typed here to the clipboard")
        buttons.addButton(self.copy_mine, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_mine.clicked.connect(self._copy_mine)
        self.keep_theirs.clicked.connect(lambda: self._choose_all(1))
        self.keep_mine.clicked.connect(lambda: self._choose_all(0))
        self.merge.clicked.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(grid)
        layout.addWidget(buttons)

    def mine_text(self) -> str:
        """What I typed, as plain text: one "Field: value" paragraph per field."""
        return "\n\n".join(f"{name.replace('_', ' ').capitalize()}: {_full(self.mine[name])}"
                            for name in self.fields if name in self.mine)

    def _copy_mine(self) -> None:
        QGuiApplication.clipboard().setText(self.mine_text())
        self.copy_mine.setText("Copied ✓")

    def _choose_all(self, which: int) -> None:
        for group in self.choices.values():
            group.button(which).setChecked(True)
        self.accept()

    def resolution(self) -> dict[str, Any]:
        """The fields to save on top of theirs: mine where chosen and different."""
        return {name: self.mine[name] for name, group in self.choices.items()
                if group.checkedId() == 0 and self.mine[name] != self.theirs.get(name)}
