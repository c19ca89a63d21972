"""Today: complete a task with an activity logged, snooze one, reassign, the badge follows;
the rule editor previews what a rule would create and saves it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

from csdesk import clock
from csdesk.db import Database
from csdesk.models import Account, Activity, Task
from csdesk.services.defaults import ensure_defaults
from csdesk.services.worklist.rules import rules, save_rule
from tests.ui.conftest import open_window

TODAY = date(2026, 11, 22)  # a fixed day, pinned below: the suite runs on any date


@pytest.fixture(autouse=True)
def _one_day() -> Iterator[None]:
    """The whole test sees one day, even if it runs across midnight."""
    with clock.pin(TODAY):
        yield


def _book(db: Database) -> None:
    ensure_defaults(db)
    for r in rules(db):  # a quiet book: only the tasks made here
        save_rule(db, replace(r, enabled=False))
    with db.write() as s:
        acc = Account(external_id="T1", name="AT&T <Legacy> 日本", segment="smb",
                      engagement_model="high_touch", owner="Ana",
                      customer_since=TODAY - timedelta(days=400))
        s.add(acc)
        s.flush()
        for title, due in (("Call back", TODAY - timedelta(days=2)), ("Send deck", TODAY),
                           ("Plan QBR", TODAY + timedelta(days=3))):
            s.add(Task(account_id=acc.id, title=title, due_date=due, priority="high",
                       owner="Ana", reason=f"Because <{title}> & more",
                       checklist=[{"text": "Prepare", "done": False}]))


def test_done_with_activity_snooze_and_badge(qtbot, db: Database) -> None:  # type: ignore[no-untyped-def]
    _book(db)
    window = open_window(qtbot, db)
    view = window.today
    with qtbot.waitSignal(view.loaded, timeout=20_000):
        view.reload()
    badge = window.nav.item(0)
    assert badge.text() == "Today (2)"  # one overdue, one due today
    # One row for the account, its tasks due by today beneath (the late one first)
    assert view.tree.topLevelItemCount() == 1
    best = view.current()  # the first task: the account's best, whose rank it shows
    assert view.tree.topLevelItem(0).text(0) == \
        f"AT&T <Legacy> 日本 (2) · rank {best.score:,.0f} · no ARR · health not scored"
    assert view.current().title == "Call back"
    assert view.tree.currentItem().text(2).endswith("(2 d late)")
    assert view.reason.text() == "Because <Call back> & more"  # shown as typed
    assert "AT&amp;T &lt;Legacy&gt; 日本" in view.facts.text()

    view.summary.setText("Called Dana: agreed a recovery plan")
    view.kind.setCurrentIndex(view.kind.findData("meeting"))
    with qtbot.waitSignal(view.loaded, timeout=20_000):
        assert view.complete()
    # The worklist may reload more than once (the window's own rules run too): wait for
    # what the CSM sees, not for the first "loaded".
    qtbot.waitUntil(lambda: badge.text() == "Today (1)", timeout=20_000)
    with db.read() as s:
        logged = s.scalars(select(Activity)).one()
        assert (logged.summary, logged.kind.value, logged.proactive, logged.occurred_on) == (
            "Called Dana: agreed a recovery plan", "meeting", True, TODAY)

    assert view.current().title == "Send deck"
    with qtbot.waitSignal(view.loaded, timeout=20_000):
        assert view.snooze(TODAY + timedelta(days=7))
    qtbot.waitUntil(lambda: badge.text() == "Today", timeout=20_000)
    assert view.stack.currentWidget() is view.empty  # nothing left due by today
    view.when.setCurrentIndex(view.when.findText("All open"))
    assert [i.text(0) for i in view.task_items()] == ["Plan QBR"]

    assert not view.reassign("  ")
    assert "who takes" in view.problem.text()
    with qtbot.waitSignal(view.loaded, timeout=20_000):
        assert view.reassign("Bo")
    assert view.current().owner == "Bo"
    with qtbot.waitSignal(window.today.account_clicked) as opened:
        view.open_button.click()
    assert opened.args == [view.current().account_id]
    assert window.account_tabs.count() == 2  # the account's page opened in its own tab
    view.checklist.item(0).setCheckState(view.checklist.item(0).checkState().Checked)
    with db.read() as s:
        plan = s.scalars(select(Task).where(Task.title == "Plan QBR")).one()
        assert plan.checklist == [{"text": "Prepare", "done": True}]


def test_rule_editor_previews_and_saves(qtbot, db: Database) -> None:  # type: ignore[no-untyped-def]
    from csdesk.ui.rules_dialog import RulesDialog

    _book(db)
    dialog = RulesDialog(db, today=TODAY)
    qtbot.addWidget(dialog)
    dialog.list.setCurrentRow(next(i for i, r in enumerate(dialog.rules)
                                   if r.key == "no_proactive_touch"))
    assert not dialog.enabled.isChecked()
    assert dialog.run_preview()
    # The account has never had a proactive touch in 400 days: one task, if switched on.
    assert "would create 1 task today if it were switched on" in dialog.verdict.text()
    assert dialog.found.item(0, 0).text() == "AT&T <Legacy> 日本"
    dialog.param_fields["high_touch"].setValue(500)
    assert dialog.run_preview()
    assert "would create 0 tasks" in dialog.verdict.text()
    dialog.enabled.setChecked(True)
    dialog.title.setText("")
    assert not dialog.save()
    assert "needs a title" in dialog.problem.text()
    dialog.title.setText("Check in")
    assert dialog.save()
    saved = next(r for r in rules(db) if r.key == "no_proactive_touch")
    assert saved.enabled and saved.params["high_touch"] == 500 and saved.task_title == "Check in"


def test_an_empty_worklist_says_to_run_the_playbooks_and_its_button_does(  # type: ignore[no-untyped-def]
        qtbot, db: Database) -> None:
    """Nothing planned (the rules switched off): a line saying what to do, with a button
    that runs the playbooks; once a rule is on, the button fills the worklist."""
    ensure_defaults(db)
    for r in rules(db):
        save_rule(db, replace(r, enabled=False))
    with db.write() as s:
        s.add(Account(external_id="Q1", name="Quiet Co", segment="smb",
                      engagement_model="high_touch", owner="Ana",
                      customer_since=TODAY - timedelta(days=400)))
    window = open_window(qtbot, db)
    window.open_view("today")
    view = window.today
    with qtbot.waitSignal(view.loaded, timeout=20_000):
        view.reload()
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=20_000)
    qtbot.waitExposed(view)
    assert view.stack.currentWidget() is view.empty
    assert view.empty_text.text().startswith("Nothing is planned yet. Run the playbooks")
    assert view.empty_run.isVisible() and view.empty_run.text() == "Run playbooks now"
    touch = next(r for r in rules(db) if r.key == "no_proactive_touch")
    save_rule(db, replace(touch, enabled=True))
    qtbot.mouseClick(view.empty_run, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(view.tasks), timeout=20_000)
    qtbot.waitUntil(lambda: view.stack.currentWidget() is not view.empty, timeout=20_000)
    assert [t.account for t in view.tasks] == ["Quiet Co"]
