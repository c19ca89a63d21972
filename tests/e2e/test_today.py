"""Today: a CSM works the worklist. The highest-ranked task is done (and logged on the
account's timeline as a proactive call), the next one snoozed for a week; the list, its counts
and the navigation badge follow, and the book agrees."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from PySide6.QtWidgets import QComboBox, QDateEdit, QGroupBox, QTreeWidgetItem
from sqlalchemy import select

from csdesk.db import Database
from csdesk.models import Account, Task
from csdesk.services.book import account_detail as detail
from tests.conftest import AS_OF
from tests.e2e.conftest import button, choose, click, line_edit, nav_to, open_window, settle


def _worklist(today: Any) -> list[tuple[str, str]]:
    """(task, account) for every task the tree shows, top to bottom: the tasks beneath
    their account's row ("Name (n)")."""
    shown = []
    for g in range(today.tree.topLevelItemCount()):
        head = today.tree.topLevelItem(g)
        for i in range(head.childCount()):
            shown.append((head.child(i).text(0), head.text(0).rsplit(" (", 1)[0]))
    return shown


def _item(today: Any, title: str, account: str) -> QTreeWidgetItem:
    for g in range(today.tree.topLevelItemCount()):
        head = today.tree.topLevelItem(g)
        for i in range(head.childCount()):
            if (head.child(i).text(0), head.text(0).rsplit(" (", 1)[0]) == (title, account):
                return head.child(i)
    raise AssertionError(f"{title!r} for {account!r} is not on the worklist")


def _select(qtbot: Any, today: Any, title: str, account: str) -> None:
    item = _item(today, title, account)
    today.tree.scrollToItem(item)
    click(qtbot, today.tree.viewport(), today.tree.visualItemRect(item).center())
    qtbot.waitUntil(lambda: today.task_title.text() == title)


def _badge(window: Any) -> str:
    return window.nav.item(0).text()


def _due_now(shown: list[tuple[str, str]]) -> int:
    return len(shown)  # the list shows what is due by today: the badge counts it


def _task(db: Database, title: str, account: str) -> Task:
    """The task the book holds for what the worklist showed."""
    with db.read() as s:
        tasks = s.scalars(select(Task).join(Account, Task.account_id == Account.id)
                          .where(Task.title == title, Account.name == account)).all()
        assert len(tasks) == 1, f"{len(tasks)} tasks {title!r} for {account!r}"
        s.expunge(tasks[0])
        return tasks[0]


def _account_id(db: Database, name: str) -> int:
    with db.read() as s:
        return s.scalars(select(Account.id).where(Account.name == name)).one()


def test_done_and_snoozed_tasks_leave_the_worklist(qtbot, demo_db: Database,  # type: ignore[no-untyped-def]
                                                    screenshot) -> None:
    window = open_window(qtbot, demo_db)
    nav_to(qtbot, window, "Today")
    today = window.today
    before = _worklist(today)
    assert len(before) > 5, "the demo book's playbooks leave work for today"
    assert today.subtitle.text().startswith(f"{AS_OF:%A} 22 Nov 2026 · {len(before)} tasks "
                                            "planned today, 15 a day for each of")
    assert _badge(window) == f"Today ({_due_now(before)})"

    # The highest-ranked task: read why, do it, say what was done.
    title, account = before[0]
    _select(qtbot, today, title, account)
    assert account in today.facts.text()
    done_box = next(b for b in today.findChildren(QGroupBox) if b.title() == "Done")
    choose(qtbot, next(c for c in done_box.findChildren(QComboBox)), "Call")
    summary = line_edit(done_box, "What was done")
    click(qtbot, summary)
    qtbot.keyClicks(summary, "Called the sponsor: agreed a recovery plan")
    with qtbot.waitSignal(today.loaded, timeout=10_000):
        click(qtbot, button(done_box, "Mark done"))
    after_done = _worklist(today)
    assert (title, account) not in after_done
    assert len(after_done) == len(before) - 1
    assert today.subtitle.text().startswith(f"{AS_OF:%A} 22 Nov 2026 · "
                                            f"{len(before) - 1} tasks planned today")
    assert _badge(window) == (f"Today ({_due_now(after_done)})" if _due_now(after_done)
                              else "Today")
    done = _task(demo_db, title, account)
    assert done.status.value == "done"
    timeline = detail.timeline(demo_db, _account_id(demo_db, account))
    touch = next(a for a in timeline if a.summary == "Called the sponsor: agreed a recovery plan")
    assert (touch.kind, touch.occurred_on, touch.proactive) == ("call", AS_OF, True)

    # The next one can wait a week: the date offered is a week from today.
    title, account = after_done[0]
    _select(qtbot, today, title, account)
    later = next(b for b in today.findChildren(QGroupBox) if b.title() == "Not now")
    assert later.findChild(QDateEdit).date().toPython() == AS_OF + timedelta(days=7)
    # Its owner's place today, if the day was full (the task done counts in it), goes to
    # their next-ranked task of a later day: snoozing plans the worklist again.
    owner = today.current().owner
    mine = [t for t in today.tasks if t.owner == owner]
    now = sum(1 for t in mine if t.due is None or t.due <= AS_OF) + (done.owner == owner)
    waiting = now == 15 and any(t.due is not None and t.due > AS_OF for t in mine)
    with qtbot.waitSignal(today.loaded, timeout=10_000):
        click(qtbot, button(later, "Snooze"))
    after_snooze = _worklist(today)
    assert (title, account) not in after_snooze
    assert len(after_snooze) == len(before) - 2 + waiting
    snoozed = _task(demo_db, title, account)
    assert (snoozed.status.value, snoozed.snoozed_until) == ("snoozed", AS_OF + timedelta(days=7))
    assert _badge(window) == (f"Today ({_due_now(after_snooze)})" if _due_now(after_snooze)
                              else "Today")
    screenshot(window)



def test_mark_done_plans_the_days_in_the_background_and_keeps_the_place(  # type: ignore[no-untyped-def]
        qtbot, demo_db: Database, monkeypatch, screenshot) -> None:
    """Mark done on the third task: the owners' days are planned again on the task runner,
    not the GUI thread; meanwhile the actions wait (a second one is not taken) and the line
    says what is being done; then the task has left, the one after it is selected in its
    place, and the line says what was done."""
    from csdesk.services.worklist import today as worklist

    on_gui_thread = []
    replanned = worklist._replanned

    def watched(*args: Any, **kwargs: Any) -> Any:
        on_gui_thread.append(threading.current_thread() is threading.main_thread())
        return replanned(*args, **kwargs)

    monkeypatch.setattr(worklist, "_replanned", watched)
    window = open_window(qtbot, demo_db)
    nav_to(qtbot, window, "Today")
    today = window.today
    before = _worklist(today)
    title, account = before[2]
    _select(qtbot, today, title, account)
    done_box = next(b for b in today.findChildren(QGroupBox) if b.title() == "Done")
    summary = line_edit(done_box, "What was done")
    click(qtbot, summary)
    qtbot.keyClicks(summary, "Sent the recap")
    click(qtbot, button(done_box, "Mark done"))
    later = next(b for b in today.findChildren(QGroupBox) if b.title() == "Not now")
    assert not button(done_box, "Mark done").isEnabled()
    assert not button(later, "Snooze").isEnabled()  # a second action waits for the first
    assert not today.snooze(AS_OF + timedelta(days=3))
    assert today.result_line.text() == "Marking 1 task done…"
    settle(qtbot, window)
    qtbot.waitUntil(lambda: (title, account) not in _worklist(today), timeout=10_000)
    assert on_gui_thread == [False]
    after = _worklist(today)
    assert after[2] == before[3]  # the next task took its place, and is selected
    assert today.tree.currentItem() is today.task_items()[2]
    assert today.task_title.text() == before[3][0]
    assert today.result_line.text() == f"Marked {account} — {title} done"
    assert button(done_box, "Mark done").isEnabled() and button(later, "Snooze").isEnabled()
    assert _task(demo_db, title, account).status.value == "done"
    screenshot(window)
