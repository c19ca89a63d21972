"""Opening a damaged book in the GUI offers the newest good backup, and restores it."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from csdesk import app
from csdesk.config import DatabaseLocation
from csdesk.db import Database
from csdesk.errors import CorruptDatabaseError
from csdesk.models import Account
from csdesk.services.book import book_info


def _damage(location: DatabaseLocation) -> None:
    assert location.path is not None
    data = bytearray(location.path.read_bytes())
    data[4096:8192] = b"\x00\xff" * 2048
    location.path.write_bytes(bytes(data))


@pytest.mark.parametrize(("answer", "accounts"), [(QMessageBox.StandardButton.Yes, 1),
                                                  (QMessageBox.StandardButton.No, 0)])
def test_damaged_book_offers_the_newest_backup(
    qtbot, location: DatabaseLocation, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
    answer: QMessageBox.StandardButton, accounts: int,
) -> None:
    with Database.open(location) as db:
        with db.write() as s:
            s.add(Account(external_id="A", name="Kept by the backup", segment="smb",
                          engagement_model="tech_touch"))
        db.backup()
    _damage(location)
    asked: list[str] = []

    def fake_warning(_parent, _title, text, *_args):  # type: ignore[no-untyped-def]
        asked.append(text)
        return answer

    monkeypatch.setattr(QMessageBox, "warning", fake_warning)
    with pytest.raises(CorruptDatabaseError) as err:
        app.open_book(location)
    db = app._recover(err.value, location, demo=False)
    try:
        assert "Restore the newest good backup" in asked[0]
        assert book_info(db).counts["accounts"] == accounts
    finally:
        db.close()
