"""Walkthrough: on the account page, record a QBR with an attendee, a decision and a
commitment through the real dialog; it is listed, and the success plan shows the
commitment; marking it done in the dialog completes the plan's milestone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QComboBox, QLineEdit, QTreeWidgetItemIterator

from csdesk import clock
from csdesk.db import Database
from csdesk.models import Account, Contact
from csdesk.services.defaults import ensure_defaults
from csdesk.services.plans import qbr_meetings as qm
from csdesk.services.plans import success_plans as plans
from csdesk.ui.account_page import AccountPage
from csdesk.ui.qbr_meeting_dialog import QbrMeetingDialog
from tests.ui.conftest import when_shown

DAY = date(2026, 11, 22)
NAME = "AT&T <Legacy> 日本"


@pytest.fixture
def account(db: Database) -> Iterator[int]:
    ensure_defaults(db)
    with db.write() as s:
        a = Account(external_id="ATT-1", name=NAME, segment="enterprise",
                    engagement_model="high_touch", customer_since=date(2025, 1, 1),
                    first_value_date=date(2025, 1, 10), owner="Ana")
        s.add(a)
        s.flush()
        s.add(Contact(account_id=a.id, name="Kenji Sato"))
        account_id = a.id
    with clock.pin(DAY):
        plans.create_plan(db, account_id, "FY27 plan", date(2026, 7, 1))
        yield account_id


def _texts(tree) -> list[str]:  # type: ignore[no-untyped-def]
    out = []
    it = QTreeWidgetItemIterator(tree)
    while it.value():
        item = it.value()
        out.append(" | ".join(item.text(c) for c in range(tree.columnCount()) if item.text(c)))
        it += 1
    return out


def _type_cell(qtbot, table, row: int, column: int, text: str) -> None:  # type: ignore[no-untyped-def]
    table.setCurrentCell(row, column)
    table.editItem(table.item(row, column))
    [editor] = [e for e in table.viewport().findChildren(QLineEdit)
                if e.isVisible() and e.parent() is table.viewport()]
    qtbot.keyClicks(editor, text)
    qtbot.keyClick(editor, Qt.Key.Key_Return)


def test_record_a_qbr_through_the_dialog(qtbot, db: Database, account: int) -> None:  # type: ignore[no-untyped-def]
    page = AccountPage(db, account)
    qtbot.addWidget(page)
    page.resize(1200, 900)
    page.show()
    qtbot.waitExposed(page)

    def fill(dialog: QbrMeetingDialog) -> None:
        assert dialog.isVisible() and dialog.windowTitle() == f"QBRs — {NAME}"
        assert dialog.empty_label.isVisible() and not dialog.history_tree.isVisible()
        assert dialog.day_edit.maximumDate() == QDate(DAY)
        assert dialog.ours_edit.text() == "Ana"  # the owner, by default
        dialog.day_edit.setDate(QDate(2026, 11, 18))
        qtbot.keyClicks(dialog.attendees_edit, "Kenji Sato, Yuki <CFO> & co")
        qtbot.keyClicks(dialog.decisions_edit, "Roll out to Osaka")
        table = dialog.commit_table
        _type_cell(qtbot, table, 0, 0, "Kenji Sato")
        side = table.cellWidget(0, 1)
        assert isinstance(side, QComboBox)
        side.setCurrentIndex(side.findData("customer"))
        _type_cell(qtbot, table, 0, 2, "Name an admin for Osaka")
        table.cellWidget(0, 3).setDate(QDate(2026, 12, 15))
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        assert dialog.problem.text() == ""
        assert dialog.history_tree.isVisible() and not dialog.empty_label.isVisible()
        rows = _texts(dialog.history_tree)
        assert rows[0] == "2026Q4 · held 18 Nov 2026 · 1 commitment"
        assert "Attendees: Kenji Sato, Yuki <CFO> & co, Ana (us)" in rows
        assert "Decision: Roll out to Osaka" in rows
        assert ("Name an admin for Osaka | Kenji Sato (customer) | 15 Dec 2026 | Open"
                in rows)
        # a second QBR in the same quarter is refused, said in the dialog
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        assert dialog.problem.text() == ("a QBR is already recorded for 2026Q4 (one per "
                                         "quarter): delete it first to record it again")
        # mark the commitment done from the list
        it = QTreeWidgetItemIterator(dialog.history_tree)
        while it.value() and it.value().text(0) != "Name an admin for Osaka":
            it += 1
        dialog.history_tree.setCurrentItem(it.value())
        assert dialog.done_button.isEnabled()
        qtbot.mouseClick(dialog.done_button, Qt.MouseButton.LeftButton)
        assert ("Name an admin for Osaka | Kenji Sato (customer) | 15 Dec 2026 | Done "
                "22 Nov 2026") in _texts(dialog.history_tree)
        dialog.reject()

    seen = when_shown(qtbot, QbrMeetingDialog, fill)
    with qtbot.waitSignal(page.changed, timeout=10_000):
        qtbot.mouseClick(page.qbr_button, Qt.MouseButton.LeftButton)
    assert seen == [f"QBRs — {NAME}"]
    [m] = qm.qbr_meetings(db, account)
    assert m.attendee_contact_ids[0] is not None  # Kenji Sato is a contact
    # the success plan tab shows the commitment, done
    plan_rows = _texts(page.plan.tree)
    assert any(r.startswith(qm.PLAN_OBJECTIVE) for r in plan_rows)
    [row] = [r for r in plan_rows if r.startswith("Name an admin for Osaka (Kenji Sato)")]
    assert "Done" in row or "done" in row


def test_delete_a_qbr_recorded_by_mistake(qtbot, db: Database, account: int) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QMessageBox

    with clock.pin(DAY):
        qm.record_qbr(db, account, date(2026, 11, 18), commitments=[
            qm.NewCommitment("Kenji Sato", "customer", "Name an admin", date(2026, 12, 15))])
    asked: list[str] = []

    def yes(box: QMessageBox) -> None:
        asked.append(box.text())
        qtbot.mouseClick(box.button(QMessageBox.StandardButton.Yes),
                         Qt.MouseButton.LeftButton)

    def delete(dialog: QbrMeetingDialog) -> None:
        assert not dialog.delete_button.isEnabled()
        dialog.history_tree.setCurrentItem(dialog.history_tree.topLevelItem(0))
        assert dialog.delete_button.isEnabled()
        when_shown(qtbot, QMessageBox, yes)
        qtbot.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)
        assert dialog.empty_label.isVisible() and dialog.history_tree.topLevelItemCount() == 0
        dialog.reject()

    page = AccountPage(db, account)
    qtbot.addWidget(page)
    page.show()
    when_shown(qtbot, QbrMeetingDialog, delete)
    with qtbot.waitSignal(page.changed, timeout=10_000):
        qtbot.mouseClick(page.qbr_button, Qt.MouseButton.LeftButton)
    assert asked == ["Delete the QBR held on 18 Nov 2026 and its 1 commitment (their open "
                     "steps leave the success plan)?"]
    assert qm.qbr_meetings(db, account) == []
    assert not any(r.startswith("Name an admin") for r in _texts(page.plan.tree))
