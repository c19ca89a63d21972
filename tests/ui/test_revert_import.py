"""File ▸ Revert latest import…: asks, reverts, and says plainly when it cannot."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMessageBox
from sqlalchemy import select

from csdesk.db import Database
from csdesk.models import Account
from csdesk.services.book import account_detail
from csdesk.services.sync.importer import ImportRequest, run_import
from tests.services.test_history import FIRST, SECOND
from tests.services.test_import import write
from tests.ui.conftest import open_window


def _accounts(db: Database) -> list[tuple[object, ...]]:
    with db.read() as s:
        return [tuple(r) for r in s.execute(select(Account.__table__).order_by(Account.id))]


def _box(window) -> QMessageBox:  # type: ignore[no-untyped-def]
    boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert len(boxes) == 1
    return boxes[0]


def test_revert_the_latest_import_from_the_file_menu(qtbot, db: Database,  # type: ignore[no-untyped-def]
                                                    tmp_path: Path) -> None:
    run_import(db, ImportRequest(write(tmp_path / "a1.csv", FIRST), entity="accounts"))
    before = _accounts(db)
    run_import(db, ImportRequest(write(tmp_path / "a2.csv", SECOND), entity="accounts"))
    window = open_window(qtbot, db)
    assert window.act_revert in window.menuBar().actions()[0].menu().actions()
    window.act_revert.trigger()
    qtbot.waitUntil(lambda: any(b.isVisible() for b in window.findChildren(QMessageBox)))
    box = _box(window)
    assert "Revert the import of a2.csv" in box.text()
    box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: "Reverted the import of a2.csv" in
                    window.statusBar().currentMessage())
    assert _accounts(db) == before

    # a hand edit after the first import: reverting it is refused, in so many words
    aid = account_detail.account_id_for(db, "A-001")
    with db.read() as s:
        version = s.get(Account, aid).version  # type: ignore[union-attr]
    account_detail.update_account(db, aid, {"owner": "Zoe"}, version)
    window.act_revert.trigger()
    # the checks run before asking: the refusal comes at once, with no Revert to press
    qtbot.waitUntil(lambda: any(b.isVisible() and "hand edit" in b.text()
                                for b in window.findChildren(QMessageBox)))
    box = next(b for b in window.findChildren(QMessageBox)
               if b.isVisible() and "hand edit" in b.text())
    assert box.button(QMessageBox.StandardButton.Yes) is None
    with db.read() as s:
        assert s.get(Account, aid).owner == "Zoe"  # type: ignore[union-attr]
        assert s.query(Account).count() == 3  # the first import was not reverted
