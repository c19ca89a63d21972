"""Walkthroughs of a worklist that fits a day, on the demo book: the first run's offer to
spread the first touches, the tasks a day shown and kept to, one row per account, no
expansion pitched where a save play is open, three tasks done at once, the selection
staying in place after Mark done, and the contacts touched logged on the activity."""

from __future__ import annotations

from collections import Counter
from datetime import date

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import select

from csdesk.db import Database
from csdesk.models import Activity, Task
from csdesk.models.enums import Segment, TaskStatus
from csdesk.services.worklist.rules import SAVE_PLAY_RULES
from tests.ui.conftest import open_window, when_shown

ROLE = Qt.ItemDataRole.UserRole


def _ready(qtbot, demo_db: Database):  # type: ignore[no-untyped-def]
    """The window on the demo book, its first playbook run done and the worklist shown."""
    window = open_window(qtbot, demo_db)
    view = window.today
    window.nav.setCurrentRow(0)  # Today
    qtbot.waitUntil(lambda: not view.banner.isHidden() and bool(view.tasks), timeout=30_000)
    return window, view


def _due_today(view, today: date) -> int:  # type: ignore[no-untyped-def]
    return sum(1 for t in view.tasks if t.due is None or t.due <= today)


def _busiest_day(view, today: date) -> int:  # type: ignore[no-untyped-def]
    """The most tasks one owner has today (renewal steps counted: they share the day)."""
    per: dict[str | None, int] = {}
    for t in view.tasks:
        if t.due is None or t.due <= today:
            per[t.owner] = per.get(t.owner, 0) + 1
    return max(per.values(), default=0)


def test_first_run_capacity_and_one_row_per_account(qtbot, demo_db: Database,  # type: ignore[no-untyped-def]
                                                    pinned_today: date) -> None:
    window, view = _ready(qtbot, demo_db)
    # The first run says plainly what waits, instead of a backlog due today.
    assert "have had no proactive touch in" in view.banner_text.text()
    assert not [t for t in view.tasks if t.rule_key == "no_proactive_touch"]
    assert not [t for t in view.tasks if t.due is not None and t.due < pinned_today]
    assert view.capacity.value() == 15
    owners = len({t.owner for t in view.tasks})
    assert (f"{_due_today(view, pinned_today)} tasks planned today, 15 a day for each of "
            f"{owners} owners") in view.subtitle.text()
    before = len(view.tasks)
    view.spread_button.click()
    # Said plainly what was done: how many, over how many work days (the question gone).
    qtbot.waitUntil(lambda: view.banner_text.text().startswith("Created ")
                    and len(view.tasks) > before, timeout=30_000)
    assert " work days" in view.banner_text.text() and not view.spread_button.isVisible()
    touches = [t for t in view.tasks if t.rule_key == "no_proactive_touch"]
    assert touches and _busiest_day(view, pinned_today) <= 15
    per_day = Counter((t.owner, t.due) for t in touches)
    assert len({t.due for t in touches}) >= 2 and max(per_day.values()) <= 15  # spread
    assert window.nav.item(0).text() == f"Today ({_due_today(view, pinned_today)})"

    # One row per account, its tasks beneath, never the same title twice.
    view.when.setCurrentIndex(view.when.findText("All open"))
    qtbot.waitUntil(lambda: view.tree.topLevelItemCount() > 20, timeout=10_000)
    names = []
    for g in range(view.tree.topLevelItemCount()):
        head = view.tree.topLevelItem(g)
        tasks = [next(t for t in view.tasks if t.id == head.child(i).data(0, ROLE))
                 for i in range(head.childCount())]
        assert len({t.account_id for t in tasks}) == 1
        assert head.text(0) == (f"{tasks[0].account} ({len(tasks)}) · rank "
                                f"{tasks[0].score:,.0f} · {tasks[0].account_why}")
        assert head.isFirstColumnSpanned()  # the account's line has the row's whole width
        assert len({t.title for t in tasks}) == len(tasks)
        names.append(tasks[0].account)
        # a save play holds expansion back on the account
        if {t.rule_key for t in tasks} & set(SAVE_PLAY_RULES):
            assert "expansion_signal" not in {t.rule_key for t in tasks}
    assert len(names) == len(set(names))

    # Fewer tasks a day, typed in the spin box: today keeps to it.
    view.when.setCurrentIndex(view.when.findText("Due by today"))
    view.capacity.setValue(5)
    qtbot.waitUntil(lambda: "planned today, 5 a day for each of" in view.subtitle.text()
                    and _busiest_day(view, pinned_today) <= 5, timeout=30_000)
    # One CSM's own worklist: "n of 5 tasks a day"
    me = next(t.owner for t in view.tasks if t.owner)
    view.owner.setCurrentIndex(view.owner.findText(me))
    mine = [t for t in view.tasks if t.owner == me and t.due <= pinned_today]
    assert f"{len(mine)} of 5 tasks a day planned today" in view.subtitle.text()
    assert len([t for t in mine if t.rule_key != "renewal_checkpoint"]) <= 5


def test_filters_by_rule_owner_segment(qtbot, demo_db: Database, pinned_today: date  # type: ignore[no-untyped-def]
                                       ) -> None:
    _window, view = _ready(qtbot, demo_db)
    view.when.setCurrentIndex(view.when.findText("All open"))
    view.rule.setCurrentIndex(view.rule.findText("NPS detractor"))
    shown = [view.tasks_by_id()[i.data(0, ROLE)] for i in view.task_items()]
    assert shown and {t.rule for t in shown} == {"NPS detractor"}
    owner = shown[0].owner
    view.owner.setCurrentIndex(view.owner.findText(owner))
    assert {view.tasks_by_id()[i.data(0, ROLE)].owner for i in view.task_items()} == {owner}
    view.rule.setCurrentIndex(0)
    segment = view.segment.itemText(1)
    view.segment.setCurrentIndex(1)
    assert view.task_items()
    labels = {s.value: s.label for s in Segment}  # as the book table names them
    assert {labels[view.tasks_by_id()[i.data(0, ROLE)].segment]
            for i in view.task_items()} == {segment}


def test_bulk_done_and_the_selection_stays_in_place(qtbot, demo_db: Database,  # type: ignore[no-untyped-def]
                                                    pinned_today: date) -> None:
    _window, view = _ready(qtbot, demo_db)
    view.when.setCurrentIndex(view.when.findText("All open"))
    items = view.task_items()
    order = [i.data(0, ROLE) for i in items]
    # Mark done on the third task: the fourth takes its place, not the top.
    view.tree.setCurrentItem(items[2])
    view.summary.setText("Followed up")
    assert view.complete()
    qtbot.waitUntil(lambda: order[2] not in view.tasks_by_id(), timeout=20_000)
    qtbot.waitUntil(lambda: view.current() is not None and view.current().id == order[3],
                    timeout=20_000)

    # Three selected (ctrl-click): one Mark done closes all three.
    items = view.task_items()
    picked = [items[0], items[1], items[4]]
    ids = [i.data(0, ROLE) for i in picked]
    view.tree.setCurrentItem(picked[0])
    for item in picked[1:]:
        view.tree.setCurrentItem(item, 0, QItemSelectionModel.SelectionFlag.Select)
    assert {t.id for t in view.selected()} == set(ids)
    assert view.done_button.text() == "Mark done (3 tasks)"
    view.summary.setText("Weekly round of calls")
    assert view.complete()
    qtbot.waitUntil(lambda: not set(ids) & set(view.tasks_by_id()), timeout=20_000)
    with demo_db.read() as s:
        assert set(s.scalars(select(Task.status).where(Task.id.in_(ids)))) == {
            TaskStatus.DONE}
        logged = s.scalars(select(Activity).where(
            Activity.summary == "Weekly round of calls")).all()
        assert sum(a.details.count("Task:") for a in logged) == 3


def test_done_form_logs_the_contacts_touched(qtbot, demo_db: Database,  # type: ignore[no-untyped-def]
                                             pinned_today: date) -> None:
    _window, view = _ready(qtbot, demo_db)
    view.when.setCurrentIndex(view.when.findText("All open"))
    item = next(i for i in view.task_items() if i.childCount() == 0)
    view.tree.setCurrentItem(item)
    task = view.current()
    assert view.contacts.count() > 1 and view.contacts.isEnabled()
    names = [view.contacts.item(i).text().split(" — ")[0] for i in range(2)]
    for i in range(2):
        view.contacts.item(i).setCheckState(Qt.CheckState.Checked)
    view.summary.setText("Call with both")
    assert view.complete()
    qtbot.waitUntil(lambda: task.id not in view.tasks_by_id(), timeout=20_000)
    with demo_db.read() as s:
        logged = s.scalars(select(Activity).where(Activity.summary == "Call with both")).one()
        assert logged.account_id == task.account_id
        assert sorted(c.name for c in logged.contacts) == sorted(names)


def test_reassign_to_a_typo_asks_and_a_known_name_is_spelled_as_the_book(  # type: ignore[no-untyped-def]
        qtbot, demo_db: Database, pinned_today: date) -> None:
    """The CSM types an owner: a name in another case is the owner the book has; a name
    nobody has is asked about (No keeps the task where it was, Yes gives it to them)."""
    _window, view = _ready(qtbot, demo_db)
    view.when.setCurrentIndex(view.when.findText("All open"))
    task = view.task_items()[0]
    view.tree.setCurrentItem(task)
    tid = task.data(0, ROLE)
    first = view.tasks_by_id()[tid]
    other = next(o for o in view.known_owners() if o != first.owner)
    assert first.owner in view._owners_model.stringList()  # offered as one types
    # A typo: asked, and No leaves the task with its owner.
    asked = when_shown(qtbot, QMessageBox, lambda box: qtbot.mouseClick(
        box.button(QMessageBox.StandardButton.No), Qt.MouseButton.LeftButton))
    qtbot.keyClicks(view.new_owner, other + "x")
    assert not view.reassign()
    assert asked == ["A new owner?"]
    assert view.tasks_by_id()[tid].owner == first.owner
    # The right name in lower case: no question, the book's spelling.
    view.new_owner.clear()
    qtbot.keyClicks(view.new_owner, other.lower())
    view.tree.setCurrentItem(next(i for i in view.task_items() if i.data(0, ROLE) == tid))
    assert view.reassign()
    qtbot.waitUntil(lambda: tid in view.tasks_by_id()
                    and view.tasks_by_id()[tid].owner == other, timeout=20_000)
    assert asked == ["A new owner?"]  # not asked again


def test_everyone_shows_an_owner_column_and_one_owner_hides_it(  # type: ignore[no-untyped-def]
        qtbot, demo_db: Database, pinned_today: date) -> None:
    """With Everyone chosen, each task says whose it is; one owner's list needs no column."""
    from csdesk.ui.today_view import EVERYONE

    _window, view = _ready(qtbot, demo_db)
    view.owner.setCurrentIndex(view.owner.findText(EVERYONE))
    header = view.tree.headerItem()
    column = next(c for c in range(view.tree.columnCount()) if header.text(c) == "Owner")
    assert not view.tree.isColumnHidden(column)
    items = view.task_items()
    assert len({i.text(column) for i in items}) > 1
    assert all(i.text(column) == (view.tasks_by_id()[i.data(0, ROLE)].owner or "—")
               for i in items)
    view.owner.setCurrentIndex(view.owner.findText(items[0].text(column)))
    assert view.tree.isColumnHidden(column)
    view.owner.setCurrentIndex(view.owner.findText(EVERYONE))
    assert not view.tree.isColumnHidden(column)
