"""Team servers: URLs without passwords in settings, passwords in the OS keyring, a clear
message when the machine has none, and the connection dialog."""

from __future__ import annotations

import keyring
import pytest
from keyring.backend import KeyringBackend
from sqlalchemy.engine import make_url

from csdesk.config import load_settings, recent_servers, remember_server, resolve_database
from csdesk.connections import (
    Server,
    check_server,
    forget_password,
    parse_server,
    save_password,
    try_connection,
    with_password,
)
from csdesk.errors import CsdeskError


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


@pytest.fixture
def memory_keyring():  # type: ignore[no-untyped-def]
    before = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(before)


def test_password_goes_to_the_keyring_not_the_settings(memory_keyring) -> None:  # type: ignore[no-untyped-def]
    server = parse_server("postgresql+psycopg://anna@db.example.com/team")
    assert server == Server("db.example.com", 5432, "team", "anna")
    save_password(server, "s3cr&t:/@")
    assert memory_keyring.store == {("csdesk", "anna@db.example.com:5432/team"): "s3cr&t:/@"}
    filled = make_url(with_password(server.url()))
    assert filled.password == "s3cr&t:/@" and filled.username == "anna"
    location = resolve_database(server.url())  # --db / CSDESK_DB without a password
    assert make_url(location.url).password == "s3cr&t:/@"
    assert "s3cr" not in location.display()
    remember_server(server)
    assert recent_servers() == [server]
    assert "s3cr" not in str(load_settings())
    forget_password(server)
    assert with_password(server.url()) == server.url()
    forget_password(server)  # twice is fine


def test_no_keyring_on_this_machine_is_said_plainly() -> None:
    from keyring.backends import fail

    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        server = Server("h", 5432, "d", "u")
        with pytest.raises(CsdeskError, match="this session only"):
            save_password(server, "pw")
        assert with_password(server.url()) == server.url()
    finally:
        keyring.set_keyring(before)


def test_bad_server_details() -> None:
    with pytest.raises(CsdeskError, match="PostgreSQL URL"):
        parse_server("sqlite:///x.sqlite")
    with pytest.raises(CsdeskError, match="host, database and user"):
        parse_server("postgresql+psycopg://db.example.com/")
    with pytest.raises(CsdeskError, match="database, user cannot be empty"):
        check_server(Server("h", 5432, " ", ""))
    with pytest.raises(CsdeskError, match="cannot connect"):
        try_connection("postgresql+psycopg://nobody@127.0.0.1:1/none")


def test_try_connection_says_what_is_there(pg_server) -> None:  # type: ignore[no-untyped-def]
    empty = pg_server.url(pg_server.create())
    assert "an empty database" in try_connection(empty)
    book = pg_server.url(pg_server.create(pg_server.template("empty")))
    assert "a csdesk book with 0 accounts" in try_connection(book)
    wrong = make_url(book).set(password="wrong").render_as_string(hide_password=False)
    with pytest.raises(CsdeskError, match="cannot connect"):
        try_connection(wrong)


def test_connect_dialog_keeps_the_password_in_the_keyring(  # type: ignore[no-untyped-def]
        qtbot, pg_server, memory_keyring) -> None:
    from csdesk.ui.connect_dialog import ConnectDialog

    url = make_url(pg_server.url(pg_server.create(pg_server.template("empty"))))
    dialog = ConnectDialog()
    qtbot.addWidget(dialog)
    assert dialog.remember.isEnabled() and dialog.remember.isChecked()
    dialog.host.setText(url.host)
    dialog.port.setValue(url.port or 5432)
    dialog.database.setText(url.database)
    dialog.user.setText(url.username)
    dialog.password.setText("wrong")
    assert not dialog.test()
    assert "cannot connect" in dialog.status.text()
    dialog.password.setText(url.password)
    assert dialog.test() and "csdesk book" in dialog.status.text()
    with qtbot.waitSignal(dialog.chosen) as chosen:
        assert dialog.open_server()
    assert make_url(chosen.args[0]).password is None  # the child finds it in the keyring
    assert list(memory_keyring.store.values()) == [url.password]
    again = ConnectDialog()
    qtbot.addWidget(again)
    again.recent.setCurrentIndex(1)
    assert again.database.text() == url.database and again.user.text() == url.username


def test_connecting_runs_off_the_gui_thread(qtbot, pg_server) -> None:  # type: ignore[no-untyped-def]
    from csdesk.ui.connect_dialog import ConnectDialog
    from csdesk.ui.tasks import TaskRunner

    runner = TaskRunner()
    dialog = ConnectDialog(runner=runner)
    qtbot.addWidget(dialog)
    dialog.host.setText("127.0.0.1")
    dialog.port.setValue(1)
    dialog.database.setText("none")
    dialog.user.setText("nobody")
    assert dialog.test()
    assert dialog.status.text() == "Connecting…" or "cannot connect" in dialog.status.text()
    qtbot.waitUntil(lambda: "cannot connect" in dialog.status.text(), timeout=10_000)
    assert dialog.isEnabled()
    url = make_url(pg_server.url(pg_server.create()))
    dialog.host.setText(url.host)
    dialog.port.setValue(url.port or 5432)
    dialog.database.setText(url.database)
    dialog.user.setText(url.username)
    dialog.password.setText(url.password)
    dialog.remember.setChecked(False)
    with qtbot.waitSignal(dialog.chosen, timeout=10_000) as chosen:
        assert dialog.open_server()
    assert make_url(chosen.args[0]).password == url.password  # not kept: this session only
    runner.shutdown()
