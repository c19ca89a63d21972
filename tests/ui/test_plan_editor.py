"""The success-plan editor, handoff and value log, driven through their widgets."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox
from sqlalchemy import select

from csdesk.db import Database
from csdesk.models import Account, ValueOutcome
from csdesk.services.book import account_detail as detail
from csdesk.services.plans import success_plans as plans
from csdesk.ui.account_page import AccountPage
from csdesk.ui.plan_editor import BASELINE, CURRENT, PROGRESS, STATUS, TARGET, TITLE
from csdesk.ui.value_pane import ValueDialog
from tests.ui.conftest import when_shown


@pytest.fixture
def page(qtbot, db: Database) -> AccountPage:  # type: ignore[no-untyped-def]
    from csdesk.services.defaults import ensure_defaults

    ensure_defaults(db)
    with db.write() as s:
        acc = Account(external_id="N1", name="New Customer", segment="enterprise",
                      engagement_model="high_touch", lifecycle_stage="onboarding",
                      customer_since=date(2026, 1, 1))
        s.add(acc)
        s.flush()
        account_id = acc.id
    detail.add_contact(db, account_id, {"name": "Cham Pion", "is_champion": True})
    p = AccountPage(db, account_id)
    qtbot.addWidget(p)
    p.show()
    return p


def settle(qtbot, editor) -> None:  # type: ignore[no-untyped-def]
    """Edits are saved on the next turn of the event loop; wait for that, not for time."""
    qtbot.waitUntil(lambda: not editor._pending, timeout=5000)


def _state(db: Database, plan_id: int) -> list[tuple]:
    plan = plans.plan_view(db, plan_id)
    return [(o.title, o.current, o.target, tuple((m.title, tuple(t.title for t in m.tasks))
                                                 for m in o.milestones))
            for o in plan.objectives]


def test_build_edit_reorder_undo_redo_and_reopen(qtbot, db: Database, page: AccountPage) -> None:  # type: ignore[no-untyped-def]
    editor = page.plan
    assert "No success plan yet" in editor.summary.text()
    plan_id = editor.create_plan("Onboarding", date(2026, 1, 5), "enterprise-onboarding")
    assert editor.tree.topLevelItemCount() == 3
    original = _state(db, plan_id)
    start_index = page.undo_stack.index()

    # Each edit is saved and the tree reloaded, so items are looked up afresh.
    editor.tree.topLevelItem(0).setText(TITLE, "Go live in every region")
    settle(qtbot, editor)
    editor.tree.topLevelItem(0).setText(CURRENT, "2")
    settle(qtbot, editor)
    first = editor.tree.topLevelItem(0)
    assert first.text(TITLE) == "Go live in every region" and "40%" in first.text(PROGRESS)
    editor.tree.setCurrentItem(editor.tree.topLevelItem(2))
    editor.shift(-1)  # the last objective moves up one
    assert editor.tree.topLevelItem(1).text(TITLE) == "Prove the business outcome"
    milestone = editor.tree.topLevelItem(0).child(0)
    editor.tree.setCurrentItem(milestone)
    editor.add_under_selection()  # a task under the milestone
    assert editor.tree.topLevelItem(0).child(0).childCount() == 3
    edited = _state(db, plan_id)
    assert edited != original

    while page.undo_stack.index() > start_index:
        page.undo_stack.undo()
    assert _state(db, plan_id) == original
    while page.undo_stack.canRedo():
        page.undo_stack.redo()
    assert _state(db, plan_id) == edited

    # Close the page and open it again: every edit is already saved.
    page.close()
    again = AccountPage(db, page.account_id)
    qtbot.addWidget(again)
    assert again.plan.tree.topLevelItem(0).text(TITLE) == "Go live in every region"
    assert _state(db, plan_id) == edited


def test_bad_values_get_an_inline_message(qtbot, db: Database, page: AccountPage) -> None:  # type: ignore[no-untyped-def]
    editor = page.plan
    plan_id = editor.create_plan("Plan", date(2026, 1, 5), "enterprise-onboarding")
    item = editor.tree.topLevelItem(0)
    baseline = item.text(BASELINE)
    item.setText(TARGET, baseline)
    settle(qtbot, editor)
    assert "target equals the baseline" in editor.problem.text()
    assert editor.tree.topLevelItem(0).text(TARGET) == "5"  # back to what is saved
    assert plans.plan_view(db, plan_id).objectives[0].target == 5
    item = editor.tree.topLevelItem(0)
    item.setText(CURRENT, "lots")
    settle(qtbot, editor)
    assert "not a number" in editor.problem.text()


def test_first_value_milestone_and_drag_reparent(qtbot, db: Database, page: AccountPage) -> None:  # type: ignore[no-untyped-def]
    editor = page.plan
    plan_id = editor.create_plan("Plan", date(2026, 1, 5), "enterprise-onboarding")
    target = editor.tree.topLevelItem(1).child(0)
    editor.tree.setCurrentItem(target)
    editor.mark_first_value()
    assert plans.plan_view(db, plan_id).first_value_milestone == "All teams onboarded"
    page.undo_stack.undo()
    assert plans.plan_view(db, plan_id).first_value_milestone == "First team live in production"
    # A drop is a service move: a milestone goes under another objective.
    m = plans.plan_view(db, plan_id).objectives[0].milestones[0]
    obj = plans.plan_view(db, plan_id).objectives[2]
    editor.tree.move_requested.emit("milestone", m.id, obj.id, 0)
    assert plans.plan_view(db, plan_id).objectives[2].milestones[0].id == m.id


def test_achieved_objective_offers_to_log_its_value(qtbot, db: Database,  # type: ignore[no-untyped-def]
                                                   page: AccountPage) -> None:
    """The question and the value dialog are really shown: Yes is clicked, the dialog shows
    the objective's KPI before and after, the CSM adds who confirmed it and saves."""
    editor = page.plan
    editor.create_plan("Plan", date(2026, 1, 5), "enterprise-onboarding")
    prefilled: list[tuple[str, str, str]] = []

    def say_yes(box: QMessageBox) -> None:
        assert "Log the value this objective delivered?" in box.text()
        qtbot.mouseClick(box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)

    def save(dialog: ValueDialog) -> None:
        prefilled.append((dialog.title.text(), dialog.before.text(), dialog.after.text()))
        qtbot.keyClicks(dialog.confirmed_by, "Dana Kim")
        ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save)
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)

    asked = when_shown(qtbot, QMessageBox, say_yes)
    logged = when_shown(qtbot, ValueDialog, save)
    # The KPI reaches its target: the numbers make the objective achieved, and the value
    # it delivered is offered (no status typed by hand).
    editor.tree.topLevelItem(0).setText(CURRENT, "5")
    settle(qtbot, editor)
    qtbot.waitUntil(lambda: bool(logged), timeout=10_000)
    item = editor.tree.topLevelItem(0)
    assert item.text(STATUS) == "Achieved"
    assert item.toolTip(STATUS) == "From the numbers: the target is reached."
    assert asked == ["Objective achieved"] and logged == ["Log value delivered"]
    assert prefilled == [("Go live and reach first value", "0", "5")]
    with db.read() as s:
        entry = s.scalars(select(ValueOutcome)).one()
    assert entry.title == "Go live and reach first value"
    assert (entry.metric_before, entry.metric_after) == (0, 5)
    assert entry.confirmed_by == "Dana Kim"
    assert page.current_pane() is page.value
    assert page.value.table.rowCount() == 1
    # The CSM disagrees with the numbers: their status is kept and shown as an override.
    item = editor.tree.topLevelItem(0)
    item.setData(STATUS, 0x0100 + 3, "at_risk")  # what the status editor does: value, text
    item.setText(STATUS, "At risk")
    settle(qtbot, editor)
    item = editor.tree.topLevelItem(0)
    assert item.text(STATUS) == "At risk ✎"
    assert item.toolTip(STATUS).startswith("Set by you. The numbers say Achieved")
    view = plans.plan_view(db, editor.plan.id).objectives[0]
    assert (view.status, view.computed_status, view.status_overridden) == (
        "at_risk", "achieved", True)
    # Choosing what the numbers say hands the status back to them.
    item.setData(STATUS, 0x0100 + 3, "achieved")
    item.setText(STATUS, "Achieved")
    settle(qtbot, editor)
    assert not plans.plan_view(db, editor.plan.id).objectives[0].status_overridden
    assert editor.tree.topLevelItem(0).text(STATUS) == "Achieved"


def test_handoff_flag_and_criteria_become_objectives(  # type: ignore[no-untyped-def]
        qtbot, db: Database, page: AccountPage) -> None:
    assert "handoff incomplete" in page.subtitle.text()
    pane = page.handoff
    pane.products.setText("Enterprise, 200 seats")
    pane.criteria.setPlainText("Close the books in 4 days\nCut churn to 2%")
    pane.people["champion_id"].setCurrentIndex(1)
    pane.people["economic_buyer_id"].setCurrentIndex(1)
    pane.dates["go_live_date"].setDate(pane.dates["go_live_date"].date().currentDate())
    pane.dates["first_value_date"].setDate(pane.dates["go_live_date"].date().addDays(30))
    assert pane.criteria_to_plan() == 2
    assert "complete" in pane.status.text()
    assert "handoff incomplete" not in page.subtitle.text()
    titles = [page.plan.tree.topLevelItem(i).text(TITLE)
              for i in range(page.plan.tree.topLevelItemCount())]
    assert titles == ["Close the books in 4 days", "Cut churn to 2%"]


def test_owner_contact_stakeholders_and_save_as_template(qtbot, db: Database,  # type: ignore[no-untyped-def]
                                                         page: AccountPage) -> None:
    from csdesk.ui.plan_editor import CONTACT

    editor = page.plan
    plan_id = editor.create_plan("Plan", date(2026, 1, 5), "smb-tech-touch")
    contact_id, name = editor.tree.property("contacts")[0]
    item = editor.tree.topLevelItem(0)
    item.setData(CONTACT, 0x0100 + 3, contact_id)
    item.setText(CONTACT, name)
    settle(qtbot, editor)
    assert plans.plan_view(db, plan_id).objectives[0].owner_contact == name
    editor.edit_stakeholders([contact_id])
    assert plans.plan_view(db, plan_id).stakeholders == (name,)
    assert f"with {name}" in editor.summary.text()
    editor.save_as_template("Our SMB plan")
    keys = [k for k, _n, _s in plans.templates(db)]
    assert "our-smb-plan" in keys
    again = plans.create_plan(db, page.account_id, "From mine", date(2027, 1, 4),
                              template="our-smb-plan")
    mine = plans.plan_view(db, again)
    assert mine.objectives[0].milestones[1].due_date == date(2027, 1, 4 + 21)
    # Editing a shipped template: save a changed plan over it by name.
    count = len(plans.templates(db))
    editor.tree.topLevelItem(0).setText(0, "Cut support tickets by a third")
    settle(qtbot, editor)
    editor.save_as_template("smb tech-touch onboarding")
    assert len(plans.templates(db)) == count
    edited = plans.create_plan(db, page.account_id, "Edited", date(2027, 2, 1),
                               template="smb-tech-touch")
    assert plans.plan_view(db, edited).objectives[0].title == "Cut support tickets by a third"


def test_closing_mid_edit_loses_nothing(qtbot, db: Database, page: AccountPage) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QLineEdit

    from csdesk.services.plans import handoff

    editor = page.plan
    plan_id = editor.create_plan("Plan", date(2026, 1, 5), "smb-tech-touch")
    page.tabs.setCurrentWidget(editor)
    item = editor.tree.topLevelItem(0)
    editor.tree.editItem(item, TITLE)
    line = editor.delegate.open_editor
    assert isinstance(line, QLineEdit)
    line.setText("Typed but never confirmed")
    page.handoff.products.setText("Premium plan, 40 seats")
    page.commit_edits()  # what closing the tab or the window does
    assert plans.plan_view(db, plan_id).objectives[0].title == "Typed but never confirmed"
    assert handoff.get_handoff(db, page.account_id).values["products"] == "Premium plan, 40 seats"
    assert not page.handoff.has_unsaved_changes()


def test_odd_names_show_as_typed(qtbot, db: Database, page: AccountPage) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt

    odd = "AT&T <Legacy> 日本"
    contact = detail.add_contact(db, page.account_id, {"name": odd}).id
    editor = page.plan
    editor.create_plan(odd, date(2026, 1, 5), "smb-tech-touch")
    editor.edit_stakeholders([contact])
    assert odd in editor.summary.text()
    assert editor.summary.textFormat() == Qt.TextFormat.PlainText
    assert odd in editor.plans.currentText()


@pytest.mark.parametrize(("choice", "title", "target"), [
    ("merge", "Mine: go live everywhere", 7.0),  # mine for the field I typed, theirs kept
    ("theirs", "Theirs: go live in EMEA", 7.0),
])
def test_a_team_mate_saved_first_conflict_dialog(qtbot, db: Database, page: AccountPage,  # type: ignore[no-untyped-def]
                                                 choice: str, title: str,
                                                 target: float) -> None:
    from csdesk.ui.conflict_dialog import ConflictDialog

    editor = page.plan
    plan_id = editor.create_plan("Onboarding", date(2026, 1, 5), "enterprise-onboarding")
    objective = plans.plan_view(db, plan_id).objectives[0]
    # A team mate edits the same objective (title and target) after this window read it.
    plans.update_node(db, "objective", objective.id, {"title": "Theirs: go live in EMEA",
                                                      "target": 7.0}, objective.version)
    fields: list[list[str]] = []

    def answer(dialog: ConflictDialog) -> None:
        fields.append(list(dialog.fields))
        button = dialog.keep_theirs if choice == "theirs" else dialog.merge
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    shown = when_shown(qtbot, ConflictDialog, answer)
    editor.tree.topLevelItem(0).setText(TITLE, "Mine: go live everywhere")
    settle(qtbot, editor)
    qtbot.waitUntil(lambda: bool(shown), timeout=10_000)
    assert shown == ["Changed by someone else"]
    assert fields[0][0] == "title" and "target" in fields[0]  # mine first, then theirs only
    saved = plans.plan_view(db, plan_id).objectives[0]
    assert (saved.title, saved.target) == (title, target)  # never a silent overwrite
    assert editor.tree.topLevelItem(0).text(TITLE) == title
