"""Someone else saved the same record first: show theirs beside mine, field by field, and
let the user keep theirs, keep mine, or merge. Nothing is ever overwritten silently."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)


def _show(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, date):
        return f"{value:%d %b %Y}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value).replace("_", " ")


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
        self.setMinimumWidth(560)
        grid = QGridLayout()
        grid.setHorizontalSpacing(18)
        grid.setVerticalSpacing(8)
        for c, head in enumerate(("Field", "When you opened it", "Yours", "Theirs (saved)")):
            label = QLabel(f"<b>{head}</b>")
            grid.addWidget(label, 0, c)
        self.choices: dict[str, QButtonGroup] = {}
        for r, name in enumerate(self.fields, start=1):
            grid.addWidget(QLabel(name.replace("_", " ").capitalize()), r, 0)
            grid.addWidget(QLabel(_show(seen.get(name))), r, 1)
            if name in mine:
                yours, kept = QRadioButton(_show(mine[name])), QRadioButton(_show(theirs[name]))
                group = QButtonGroup(self)
                group.addButton(yours, 0)
                group.addButton(kept, 1)
                (kept if mine[name] == theirs.get(name) else yours).setChecked(True)
                self.choices[name] = group
                grid.addWidget(yours, r, 2)
                grid.addWidget(kept, r, 3)
            else:  # only they changed it: kept, shown so nothing surprises later
                grid.addWidget(QLabel("(unchanged)"), r, 2)
                grid.addWidget(QLabel(_show(theirs[name])), r, 3)
        buttons = QDialogButtonBox()
        self.keep_theirs = QPushButton("Keep theirs")
        self.keep_mine = QPushButton("Keep mine")
        self.merge = QPushButton("Save as chosen")
        self.merge.setDefault(True)
        for b in (self.keep_theirs, self.keep_mine, self.merge):
            buttons.addButton(b, QDialogButtonBox.ButtonRole.AcceptRole)
        self.keep_theirs.clicked.connect(lambda: self._choose_all(1))
        self.keep_mine.clicked.connect(lambda: self._choose_all(0))
        self.merge.clicked.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(grid)
        layout.addWidget(buttons)

    def _choose_all(self, which: int) -> None:
        for group in self.choices.values():
            group.button(which).setChecked(True)
        self.accept()

    def resolution(self) -> dict[str, Any]:
        """The fields to save on top of theirs: mine where chosen and different."""
        return {name: self.mine[name] for name, group in self.choices.items()
                if group.checkedId() == 0 and self.mine[name] != self.theirs.get(name)}
