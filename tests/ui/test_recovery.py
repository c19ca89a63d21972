"""Opening a damaged book in the GUI offers the newest good backup or, on purpose, an empty
book; the dialog is really shown and answered by clicking its buttons."""

from __future__ import annotations

import sqlite3

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from csdesk.config import DatabaseLocation
from csdesk.db import Database
from csdesk.errors import CorruptDatabaseError
from csdesk.models import Account
from csdesk.services.book.info import book_info
from csdesk.ui import app


def _damage(location: DatabaseLocation) -> None:
    assert location.path is not None
    data = bytearray(location.path.read_bytes())
    data[4096:8192] = b"\x00\xff" * 2048
    location.path.write_bytes(bytes(data))


def _answer_with(qtbot, label: str, seen: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Click ``label`` in the message box once it is on screen."""

    def click() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, click)
            return
        seen.append(box.text())
        seen.extend(b.text() for b in box.buttons())
        button = next(b for b in box.buttons() if b.text() == label)
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    QTimer.singleShot(0, click)


@pytest.mark.parametrize(("label", "accounts"), [("Restore the newest good backup", 1),
                                                 ("Start an empty book", 0)])
def test_damaged_book_offers_the_newest_backup(
    qtbot, location: DatabaseLocation, label: str, accounts: int,  # type: ignore[no-untyped-def]
) -> None:
    with Database.open(location) as db:
        with db.write() as s:
            s.add(Account(external_id="A", name="Kept by the backup", segment="smb",
                          engagement_model="tech_touch"))
        db.backup()
    _damage(location)
    with pytest.raises(CorruptDatabaseError) as err:
        app.open_book(location)
    seen: list[str] = []
    _answer_with(qtbot, label, seen)
    db = app._recover(err.value, location, demo=False)
    try:
        assert "is damaged" in seen[0]
        assert {"Restore the newest good backup", "Start an empty book", "Quit"} <= set(seen)
        assert book_info(db).counts["accounts"] == accounts
    finally:
        db.close()


def test_quitting_creates_no_new_book_until_the_user_chooses(
    qtbot, location: DatabaseLocation,  # type: ignore[no-untyped-def]
) -> None:
    assert location.path is not None
    with Database.open(location) as db:
        db.backup()
    _damage(location)
    with pytest.raises(CorruptDatabaseError) as err:
        app.open_book(location)
    _answer_with(qtbot, "Quit", [])
    with pytest.raises(CorruptDatabaseError):
        app._recover(err.value, location, demo=False)
    # The next start finds the damage recorded and asks again instead of starting empty.
    with pytest.raises(CorruptDatabaseError, match="no new book was created"):
        app.open_book(location)
    assert not location.path.exists()


def test_the_window_checks_a_large_book_in_the_background(
        qtbot, location: DatabaseLocation, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    """A large book cleanly closed opens without reading every page; the window reads them
    on the idle lane and says what it found, with the backup the next start will offer."""
    from csdesk.db import database
    from tests.ui.conftest import open_window

    monkeypatch.setattr(database, "FULL_CHECK_BYTES", 0)
    with Database.open(location) as db:
        with db.write() as s:
            s.add(Account(external_id="A", name="Kept by the backup", segment="smb",
                          engagement_model="tech_touch"))
        db.backup()
    assert location.path is not None
    # Damage where the window does not read at start: the last pages of a table of its own.
    con = sqlite3.connect(location.path)
    con.execute("CREATE TABLE ballast (text TEXT)")
    con.executemany("INSERT INTO ballast VALUES (?)", [("x" * 500,)] * 2000)
    con.commit()
    con.close()
    data = bytearray(location.path.read_bytes())
    data[-8192:-4096] = b"\x00\xff" * 2048
    location.path.write_bytes(bytes(data))
    db = app.open_book(location)
    try:
        assert db.checked_whole is False
        window = open_window(qtbot, db)
        qtbot.waitUntil(lambda: getattr(window, "damage_notice", None) is not None
                        and window.damage_notice.isVisible(), timeout=20_000)
        text = window.damage_notice.text()
        assert "found damage" in text and "newest good backup" in text
        window.damage_notice.close()
        window.runner.shutdown()
    finally:
        db.close()
