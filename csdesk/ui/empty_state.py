"""What a first run shows: no book yet, and the two ways to get one."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from csdesk.ui.theme import app_icon


class EmptyState(QWidget):
    """A centred welcome with "Load demo book" and "Import CSV…"."""

    load_demo = Signal()
    import_csv = Signal()

    def __init__(self, database: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("emptyState")
        icon = QLabel()
        icon.setPixmap(app_icon().pixmap(72, 72))
        icon.setAlignment(Qt.AlignmentFlag.AlignCenter)

        title = QLabel("Your book of business is empty")
        font = QFont(title.font())
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setWeight(QFont.Weight.DemiBold)
        title.setFont(font)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)

        text = QLabel(
            "Bring in your accounts from a CRM export, or explore csdesk with a realistic demo "
            "book of 250 accounts: subscriptions, usage, tickets, NPS, success plans and "
            "renewals."
        )
        text.setWordWrap(True)
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text.setFixedWidth(520)
        text.setMinimumHeight(text.heightForWidth(520))

        self.demo_button = QPushButton("Load demo book")
        self.demo_button.setDefault(True)
        self.demo_button.setMinimumHeight(36)
        self.demo_button.clicked.connect(self.load_demo)
        self.import_button = QPushButton("Import CSV…")
        self.import_button.setMinimumHeight(36)
        self.import_button.clicked.connect(self.import_csv)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.demo_button)
        buttons.addWidget(self.import_button)
        buttons.addStretch(1)

        where = QLabel(f"Book: {database}")
        where.setAlignment(Qt.AlignmentFlag.AlignCenter)
        where.setEnabled(False)
        where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        col = QVBoxLayout(self)
        col.addStretch(2)
        col.addWidget(icon)
        col.addSpacing(12)
        col.addWidget(title)
        col.addSpacing(8)
        col.addWidget(text, 0, Qt.AlignmentFlag.AlignHCenter)
        col.addSpacing(20)
        col.addLayout(buttons)
        col.addStretch(3)
        col.addWidget(where)
