"""The account page: search and open, edit with undo, timeline notes, conflicts."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import select

from csdesk.db import Database
from csdesk.models import Account, Activity, Contact
from csdesk.services.book import account_detail as detail
from csdesk.ui.account_page import AccountPage
from csdesk.ui.history_dialog import HistoryDialog
from tests.ui.conftest import open_window


def test_search_opens_the_account(qtbot, demo_db: Database, pinned_today) -> None:  # type: ignore[no-untyped-def]
    window = open_window(qtbot, demo_db)
    qtbot.keyClicks(window.search, "ACC-000002")
    qtbot.keyClick(window.search, Qt.Key.Key_Return)
    page = window.account_tabs.currentWidget()
    assert isinstance(page, AccountPage)
    assert page.account_header.external_id == "ACC-000002"
    assert window.account_tabs.count() == 2
    # The page shows at once with the book's badge; the explanation and charts follow.
    assert page.badge.text().startswith("● ")
    qtbot.waitUntil(lambda: page.is_complete, timeout=10_000)
    assert len(page.charts) == 4
    window.open_account(page.account_id)  # opening again brings the same tab forward
    assert window.account_tabs.count() == 2
    from csdesk.services.health.scoring import explain

    e = explain(demo_db, "ACC-000002")  # the page's day is pinned: the same explanation
    shown = [tuple(page.breakdown.item(r, c).text() for c in range(5))
             for r in range(page.breakdown.rowCount())]
    assert shown == [(line.label, "—" if line.value is None else f"{line.value:.0f}",
                      f"{line.weight:g}", "—" if line.points is None else f"{line.points:.1f}",
                      line.detail or "—")  # the raw value in words, beside its points
                     for line in e.lines]
    assert len(shown) == e.inputs_total == 9
    assert page.breakdown.horizontalHeaderItem(4).text() == "Raw value"
    assert any(" active users of " in row[4] for row in shown)
    drag = next(r for r, line in enumerate(e.lines) if line.name == e.drag)
    assert page.breakdown.item(drag, 5).text() == "pulls the score down most"
    assert "inputs" in page.summary_label.text() and "pulls it down most" in \
        page.summary_label.text()


def _page(qtbot, db: Database, external_id: str = "ACC-000002") -> AccountPage:  # type: ignore[no-untyped-def]
    page = AccountPage(db, detail.account_id_for(db, external_id))
    qtbot.addWidget(page)
    page.show()
    return page


def test_edit_a_contact_and_undo(qtbot, demo_db: Database) -> None:  # type: ignore[no-untyped-def]
    page = _page(qtbot, demo_db)
    page.contact_table.selectRow(0)
    before = page.contact_rows[0]
    page.edit_contact({"name": "Ada Lovelace", "email": "ada@example.com", "title": "CTO",
                       "is_champion": True, "is_executive_sponsor": False,
                       "is_economic_buyer": False, "sentiment": "positive",
                       "advocacy_level": "active", "left_company": False})
    with demo_db.read() as s:
        assert s.get(Contact, before.id).name == "Ada Lovelace"
    assert page.contact_table.item(0, 0).text().startswith("Ada Lovelace")
    page.undo_stack.undo()
    with demo_db.read() as s:
        restored = s.get(Contact, before.id)
        assert restored.name == before.name and restored.email == before.email
    page.undo_stack.redo()
    with demo_db.read() as s:
        assert s.get(Contact, before.id).name == "Ada Lovelace"


def test_add_and_delete_contacts_undo_brings_them_back(qtbot, demo_db: Database) -> None:  # type: ignore[no-untyped-def]
    page = _page(qtbot, demo_db)
    count = len(page.contact_rows)
    page.add_contact({"name": "New Person", "email": "new@example.com"})
    assert len(page.contact_rows) == count + 1
    page.undo_stack.undo()
    assert len(page.contact_rows) == count
    page.contact_table.selectRow(0)
    name = page.contact_rows[0].name
    page.delete_contact()
    assert name not in [c.name for c in page.contact_rows]
    page.undo_stack.undo()
    assert name in [c.name for c in page.contact_rows]


def test_invalid_contact_is_refused_in_the_form(qtbot, demo_db: Database) -> None:  # type: ignore[no-untyped-def]
    from csdesk.ui.account_page import ContactDialog

    page = _page(qtbot, demo_db)
    dialog = ContactDialog(page)
    qtbot.addWidget(dialog)
    dialog.name.setText("Someone")
    dialog.email.setText("not-an-email")
    dialog._check()
    assert "not an e-mail address" in dialog.problem.text()
    assert dialog.result() != dialog.DialogCode.Accepted


def test_quick_add_a_timeline_note(qtbot, demo_db: Database) -> None:  # type: ignore[no-untyped-def]
    page = _page(qtbot, demo_db)
    page.quick_kind.setCurrentIndex(page.quick_kind.findData("call"))
    page.quick_proactive.setChecked(False)
    page.quick_contacts.setCurrentIndex(1)
    qtbot.keyClicks(page.quick_text, "Renewal pricing call")
    with qtbot.waitSignal(page.changed, timeout=5000):
        qtbot.keyClick(page.quick_text, Qt.Key.Key_Return)
    first = page.timeline_list.topLevelItem(0)
    assert first.text(0) == "Today"  # the note is under today's heading, selected
    row = first.child(0)
    assert (row.text(0), row.text(1), row.text(3)) == ("Call", "Renewal pricing call",
                                                        "reactive")
    assert page.timeline_list.currentItem() is row
    with demo_db.read() as s:
        act = s.scalars(select(Activity).where(Activity.summary == "Renewal pricing call")).one()
        assert act.kind.value == "call" and not act.proactive and len(act.contacts) == 1
    page.kind_filter.setCurrentIndex(page.kind_filter.findData("call"))
    rows = page.timeline_shown()
    kinds = {a.id: a.kind for a in page.timeline_items}
    assert rows and all(kinds[aid] == "call" for _day, aid in rows)


def test_owner_edit_undo_and_conflict(qtbot, demo_db: Database,  # type: ignore[no-untyped-def]
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    page = _page(qtbot, demo_db)
    original = page.account_header.owner
    page.owner.setText("Grace Hopper")
    page.owner.editingFinished.emit()
    with demo_db.read() as s:
        assert s.get(Account, page.account_id).owner == "Grace Hopper"
    page.undo_stack.undo()
    with demo_db.read() as s:
        assert s.get(Account, page.account_id).owner == original

    # Someone else changes the account after the page loaded it…
    version = page.version
    detail.update_account(demo_db, page.account_id, {"owner": "Teammate"}, version)
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning",
                        lambda _p, _t, text, *_a: warnings.append(text))
    page.owner.setText("Me Again")
    page.owner.editingFinished.emit()
    assert warnings and "changed elsewhere" in warnings[0]
    with demo_db.read() as s:
        assert s.get(Account, page.account_id).owner == "Teammate"  # not overwritten
    assert page.owner.text() == "Teammate"  # the page reloaded the newer data


def test_field_history_on_hover_and_in_a_dialog(qtbot, demo_db: Database,  # type: ignore[no-untyped-def]
                                                tmp_path) -> None:
    """A hand edit of the owner shows in the owner's tooltip and in History…, which
    really opens (and is drawn: a PNG of it is written for a look)."""
    page = _page(qtbot, demo_db)
    assert page.owner.toolTip() == "Owner: no change recorded"
    before = page.owner.text()
    page.owner.setText("Zed Tester")
    page.owner.editingFinished.emit()
    qtbot.waitUntil(lambda: "Zed Tester" in page.owner.toolTip())
    tip = page.owner.toolTip()
    assert tip.startswith("Owner: recent changes\n")
    assert f"{before} → Zed Tester (edited by hand)" in tip
    page.history_button.click()
    dialog = page.findChild(HistoryDialog)
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible)
    table = dialog.table
    cells = [table.item(0, c).text() for c in range(table.columnCount())]
    assert cells[1:] == ["Owner", before, "Zed Tester", "edited by hand"]
    assert dialog.windowTitle().startswith("History of ")
    assert dialog.grab().save(str(tmp_path / "history.png"))
    dialog.close()


def test_the_page_shows_at_once_and_fills_in(qtbot, demo_db: Database, pinned_today) -> None:  # type: ignore[no-untyped-def]
    """From the window, the page paints with the book's badge while today's inputs are read
    on the reading lane; the charts follow; a tab the CSM has not opened is built when its
    tab is clicked, and is the real pane from then on."""
    from csdesk.ui.plan_editor import PlanEditor

    window = open_window(qtbot, demo_db)
    account = detail.account_id_for(demo_db, "ACC-000003")
    page = window.open_account(account)
    assert isinstance(page, AccountPage)
    assert not page.is_complete and page.summary_label.text() == \
        "Reading today's health inputs…"
    assert page.breakdown.rowCount() == 0
    qtbot.waitUntil(lambda: page.is_complete, timeout=10_000)
    assert page.breakdown.rowCount() == 9 and len(page.charts) == 4
    assert "inputs" in page.summary_label.text()
    assert "plan" not in page._panes  # not built: nobody looked
    bar = page.tabs.tabBar()
    index = [page.tabs.tabText(i) for i in range(page.tabs.count())].index("Success plan")
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
    assert isinstance(page.current_pane(), PlanEditor) and page.current_pane() is page.plan
    assert page.plan.isVisible()
