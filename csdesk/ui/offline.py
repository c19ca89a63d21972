"""The offline banner: a lost team server said so, kept edits replayed when it is back."""

from __future__ import annotations

import html

from PySide6.QtCore import QTime, QTimer
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QWidget,
)

from csdesk.db import Database
from csdesk.services.formatting import counted


class OfflineState(QMainWindow):
    """The offline banner of :class:`MainWindow` and retrying the server."""

    db: Database
    pages: dict[int, QWidget]

    def _build_offline(self) -> QWidget:
        self.offline = QWidget()
        self.offline.setObjectName("offlineBanner")
        self.offline.setStyleSheet(
            "#offlineBanner { background: #fee2e2; border-bottom: 1px solid #dc2626; }"
            "#offlineBanner QLabel { color: #7f1d1d; }")
        self.offline_text = QLabel()
        self.offline_text.setWordWrap(True)
        self.retry_button = QPushButton("Retry now")
        self.retry_button.clicked.connect(self.retry_server)
        row = QHBoxLayout(self.offline)
        row.setContentsMargins(12, 6, 12, 6)
        row.addWidget(self.offline_text, 1)
        row.addWidget(self.retry_button)
        self.offline.hide()
        self._offline_message = ""
        self.retry_timer = QTimer(self)
        self.retry_timer.setInterval(15_000)
        self.retry_timer.timeout.connect(self.retry_server)
        return self.offline

    def show_offline(self, message: str) -> None:
        """Cannot reach the server: say so, say what waits to be saved, and keep retrying."""
        from csdesk.ui.pending import pending_for

        self._offline_message = message
        waiting = len(pending_for(self.db).edits)
        kept = (f" {waiting} edit{'s' if waiting != 1 else ''} made meanwhile "
                f"{'are' if waiting != 1 else 'is'} kept and will be saved when it is back."
                if waiting else " Edits made meanwhile are kept and saved when it is back.")
        self.offline_text.setText(
            f"<b>Cannot reach the server.</b> {html.escape(message)}.{kept} Retrying every "
            "15 seconds.")
        self.offline.show()
        self.retry_timer.start()

    def retry_server(self) -> bool:
        if not self.db.ping():
            self.offline_text.setText(
                self.offline_text.text().split(" Last try")[0]
                + f" Last try {QTime.currentTime().toString('HH:mm:ss')}: still unreachable.")
            return False
        from csdesk.ui.pending import pending_for

        saved, refused = pending_for(self.db).replay_all()
        if pending_for(self.db).edits:  # gone again while saving: keep the rest waiting
            self.show_offline(self._offline_message)
            return False
        self.retry_timer.stop()
        self.offline.hide()
        self.statusBar().showMessage(
            "Connected to the server again" + (f"; saved {counted(len(saved), 'kept edit')}"
                                               if saved else ""), 10_000)
        if refused:  # e.g. a team mate changed the same record meanwhile: say which
            box = QMessageBox(QMessageBox.Icon.Warning, "Edits not saved",
                              "These edits made while the server was away were not saved:\n"
                              + "\n".join(refused), QMessageBox.StandardButton.Ok, self)
            box.open()
            self.refused_box = box
        self.refresh()
        for page in self.pages.values():
            reload = getattr(getattr(page, "plan", None), "reload", None)
            if reload is not None:
                reload()
        return True

    def handle_exception(self, exc: BaseException) -> bool:
        """For the application's excepthook: a lost server mid-edit shows the offline state
        instead of an error box. Returns whether it was handled."""
        from csdesk.errors import ServerUnreachable

        if isinstance(exc, ServerUnreachable):
            self.show_offline(str(exc))
            return True
        return False
