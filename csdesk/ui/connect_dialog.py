"""File → Open team server…: the team's PostgreSQL book, with the password in the OS keyring."""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from csdesk.config import recent_servers, remember_server
from csdesk.connections import (
    Server,
    check_server,
    keyring_available,
    save_password,
    try_connection,
)
from csdesk.errors import CsdeskError
from csdesk.ui.tasks import TaskRunner
from csdesk.ui.theme import ERROR_COLOUR


class ConnectDialog(QDialog):
    """Emits ``chosen`` with the URL to open (with the password only when it could not be
    kept in the keyring, for this session)."""

    chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None, runner: TaskRunner | None = None
                 ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.setWindowTitle("Open team server")
        self.setMinimumWidth(460)
        self.recent = QComboBox()
        self.recent.addItem("New server", None)
        for server in recent_servers():
            self.recent.addItem(server.key, server)
        self.recent.currentIndexChanged.connect(self._pick)
        self.host = QLineEdit()
        self.host.setPlaceholderText("db.example.com")
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(5432)
        self.database = QLineEdit()
        self.database.setPlaceholderText("csdesk")
        self.user = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.remember = QCheckBox("Keep the password in the system keyring")
        if keyring_available():
            self.remember.setChecked(True)
        else:
            self.remember.setEnabled(False)
            self.remember.setToolTip("This computer has no system keyring: the password is "
                                     "used for this session only")
        self.test_button = QPushButton("Test connection")
        self.test_button.clicked.connect(lambda: self.test())
        self.status = QLabel()
        self.status.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Recent", self.recent)
        form.addRow("Host", self.host)
        form.addRow("Port", self.port)
        form.addRow("Database", self.database)
        form.addRow("User", self.user)
        form.addRow("Password", self.password)
        form.addRow(self.remember)
        form.addRow(self.test_button, self.status)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(lambda: self.open_server())
        buttons.rejected.connect(self.reject)
        note = QLabel("The team's book lives on a PostgreSQL server the team runs; an empty "
                      "database becomes a book. It opens in a new window.")
        note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def _pick(self, _index: int) -> None:
        server = self.recent.currentData()
        if isinstance(server, Server):
            self.host.setText(server.host)
            self.port.setValue(server.port)
            self.database.setText(server.database)
            self.user.setText(server.user)

    def server(self) -> Server:
        return check_server(Server(self.host.text(), self.port.value(), self.database.text(),
                                   self.user.text()))

    def _url(self) -> str:
        from csdesk.connections import with_password

        server = self.server()
        password = self.password.text()
        return server.url(password) if password else with_password(server.url())

    def _refused(self, message: str) -> None:
        self.status.setText(f"<span style='color:{ERROR_COLOUR.name()}'>"
                            f"{html.escape(message)}</span>")

    def _attempt(self, then: Callable[[str], object]) -> bool:
        """Connect once — off the GUI thread when there is a runner (a host that does not
        answer takes seconds) — then call ``then`` with what was found."""
        try:
            url = self._url()
        except CsdeskError as exc:
            self._refused(str(exc))
            return False
        if self.runner is None:
            try:
                then(try_connection(url))
            except CsdeskError as exc:
                self._refused(str(exc))
                return False
            return True
        self.status.setText("Connecting…")
        self.setEnabled(False)
        self.runner.submit("Connecting to the server", try_connection, url,
                           on_done=lambda found: (self.setEnabled(True), then(found)),
                           on_failed=lambda e: (self.setEnabled(True), self._refused(
                               e.message.split(": ", 1)[-1])))
        return True

    def test(self) -> bool:
        return self._attempt(self.status.setText)

    def open_server(self) -> bool:
        return self._attempt(lambda _found: self._open())

    def _open(self) -> None:
        server, url = self.server(), self._url()
        password = self.password.text()
        kept = False
        if password and self.remember.isChecked():
            try:
                save_password(server, password)
                kept = True
            except CsdeskError as exc:
                self.status.setText(str(exc))
        remember_server(server)
        self.chosen.emit(server.url() if kept or not password else url)
        self.accept()
