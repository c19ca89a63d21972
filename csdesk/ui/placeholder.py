"""A real empty state: what the view is for, why it is empty, and what to do about it."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget


class EmptyView(QWidget):
    """Title, an explanation and an optional action button, centred."""

    action = Signal()

    def __init__(self, title: str, text: str, action_label: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        heading = QLabel(title)
        font = QFont(heading.font())
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setWeight(QFont.Weight.DemiBold)
        heading.setFont(font)
        heading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        body = QLabel(text)
        body.setWordWrap(True)
        body.setAlignment(Qt.AlignmentFlag.AlignCenter)
        body.setFixedWidth(560)
        body.setMinimumHeight(body.heightForWidth(560))
        self.body = body
        col = QVBoxLayout(self)
        col.addStretch(2)
        col.addWidget(heading)
        col.addSpacing(8)
        col.addWidget(body, 0, Qt.AlignmentFlag.AlignHCenter)
        if action_label:
            self.button = QPushButton(action_label)
            self.button.setMinimumHeight(34)
            self.button.clicked.connect(self.action)
            col.addSpacing(16)
            col.addWidget(self.button, 0, Qt.AlignmentFlag.AlignHCenter)
        col.addStretch(3)
