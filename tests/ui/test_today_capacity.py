"""Walkthroughs of the tasks a day, typed in the Today view's header as a CSM does: raising
it brings the highest-ranked waiting tasks back to today (a snoozed task stays snoozed),
lowering it moves the lowest ranked to later days; renewal steps share the day's places by
rank; a later run with more first touches than a day's work asks first,
then says what it created. Each book is made by hand, so every row is computed by hand."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

from csdesk import clock
from csdesk.db import Database
from csdesk.models import Account, Activity, PlaybookRule, Subscription, Task
from csdesk.models.enums import TaskStatus
from csdesk.services.defaults import ensure_defaults
from csdesk.services.worklist.rules import rules, save_rule
from tests.ui.conftest import open_window

TODAY = date(2026, 11, 22)  # a Sunday, pinned below: the suite runs on any date
LATE = TODAY - timedelta(days=3)
MONDAY = date(2026, 11, 23)
ROLE = Qt.ItemDataRole.UserRole


@pytest.fixture(autouse=True)
def _one_day() -> Iterator[None]:
    with clock.pin(TODAY):
        yield


def _quiet_book(db: Database, *keep: str) -> None:
    ensure_defaults(db)
    for r in rules(db):  # only the rules named: the tasks are the ones made here
        save_rule(db, replace(r, enabled=r.key in keep))


def _account(s: Any, name: str, arr_k: int, owner: str = "Ana") -> Account:
    acc = Account(external_id=name.upper(), name=name, segment="smb",
                  engagement_model="mid_touch", lifecycle_stage="adoption",
                  customer_since=date(2025, 1, 1), first_value_date=date(2025, 2, 1),
                  owner=owner)
    s.add(acc)
    s.flush()
    s.add(Subscription(account_id=acc.id, start_date=date(2026, 1, 1),
                       end_date=date(2027, 10, 1), seats=100, arr_cents=arr_k * 100_000))
    return acc


def _today(qtbot: Any, db: Database) -> Any:
    window = open_window(qtbot, db)
    window.nav.setCurrentRow(0)  # Today
    view = window.today
    qtbot.waitUntil(lambda: bool(view.tasks) and not window.runner.busy, timeout=20_000)
    return window, view


def _type_capacity(qtbot: Any, view: Any, n: int) -> None:
    """Select the spin box's number and type another, as a CSM does."""
    view.capacity.setFocus()
    view.capacity.selectAll()
    qtbot.keyClicks(view.capacity, str(n))
    qtbot.keyClick(view.capacity, Qt.Key.Key_Tab)


def _accounts_listed(view: Any) -> list[str]:
    """The account lines, each "name (tasks)" before what ranks it."""
    return [view.tree.topLevelItem(i).text(0).split(" · ")[0]
            for i in range(view.tree.topLevelItemCount())]


def test_tasks_a_day_raised_brings_the_top_ranked_back_and_lowered_pushes_them(
        qtbot: Any, db: Database) -> None:
    _quiet_book(db)
    with db.write() as s:
        for i in range(40):  # account i has ARR $(i+1)k: the higher i, the higher its rank
            s.add(Task(account_id=_account(s, f"Acc {i:02}", i + 1).id, title="Call",
                       due_date=LATE, priority="medium", owner="Ana"))
        snoozed = _account(s, "Snoozed Big", 950)  # ranked above all, but snoozed
        s.add(Task(account_id=snoozed.id, title="Call", priority="medium", owner="Ana",
                   status=TaskStatus.SNOOZED, snoozed_until=TODAY + timedelta(days=5),
                   due_date=TODAY + timedelta(days=5)))
    window, view = _today(qtbot, db)
    # 15 a day: the 15 highest ranked are listed for today (still 3 days late, they say so).
    names = [f"Acc {i:02} (1)" for i in range(39, -1, -1)]
    qtbot.waitUntil(lambda: _accounts_listed(view) == names[:15], timeout=20_000)
    assert "15 of 15 tasks a day planned today, 15 late · 25 tasks planned on later days" \
        in view.subtitle.text()
    assert view.task_items()[0].text(2) == "19 Nov 2026 (3 d late)"

    # Raised to 25 in the header: exactly the top 25 by rank, back to their own day.
    _type_capacity(qtbot, view, 25)
    qtbot.waitUntil(lambda: _accounts_listed(view) == names[:25], timeout=20_000)
    assert "25 of 25 tasks a day planned today, 25 late · 15 tasks planned on later days" \
        in view.subtitle.text()
    assert all(i.text(2).endswith("(3 d late)") for i in view.task_items())
    assert window.nav.item(0).text() == "Today (25)"
    with db.read() as s:  # the setting is the book's; the snoozed task is still snoozed
        task = s.scalars(select(Task).where(Task.account_id == snoozed.id)).one()
        assert (task.status, task.due_date) == (TaskStatus.SNOOZED, TODAY + timedelta(days=5))
    assert "Snoozed Big" not in {t.account for t in view.tasks}

    # Lowered to 10: the lowest ranked of today's go to Monday, 10 a day.
    _type_capacity(qtbot, view, 10)
    qtbot.waitUntil(lambda: _accounts_listed(view) == names[:10], timeout=20_000)
    view.when.setCurrentIndex(view.when.findText("This week"))
    monday = {view.tasks_by_id()[i.data(0, ROLE)].account: i.text(2)
              for i in view.task_items()}
    assert [a for a, due in monday.items() if due == "tomorrow"] == [
        f"Acc {i:02}" for i in range(29, 19, -1)]
    assert not view.over.isVisible()


def test_renewal_steps_share_the_day_by_rank(qtbot: Any, db: Database) -> None:
    _quiet_book(db)
    with db.write() as s:
        rule = s.scalar(select(PlaybookRule.id).where(PlaybookRule.key == "renewal_checkpoint"))
        for i in range(18):  # 18 renewal steps due today: more than a day's places
            s.add(Task(account_id=_account(s, f"Renews {i:02}", 100 + i).id, rule_id=rule,
                       title="Renewal step (30 days): close", due_date=TODAY,
                       priority="critical", owner="Ana"))
        for i in range(3):  # and calls that outrank them ($500K, high)
            s.add(Task(account_id=_account(s, f"Call {i}", 500).id, title="Call",
                       due_date=TODAY, priority="high", owner="Ana"))
    _window, view = _today(qtbot, db)
    # Today's 15 places go by rank: the three calls and the 12 top steps; the 6 lowest
    # ranked steps wait for Monday, and the day is not over.
    qtbot.waitUntil(lambda: len(view.task_items()) == 15, timeout=20_000)
    titles = [view.tasks_by_id()[i.data(0, ROLE)].title for i in view.task_items()]
    assert titles.count("Call") == 3 and view.over.isHidden()
    assert sorted(t.account for t in view.tasks if t.due == MONDAY) == [
        f"Renews {i:02}" for i in range(6)]
    # 20 a day: room for the calls and 17 steps.
    _type_capacity(qtbot, view, 20)
    qtbot.waitUntil(lambda: len(view.task_items()) == 20 and view.over.isHidden(),
                    timeout=20_000)
    assert "20 of 20 tasks a day planned today" in view.subtitle.text()


def test_a_later_run_asks_before_adding_a_backlog_then_says_what_it_made(
        qtbot: Any, db: Database) -> None:
    _quiet_book(db, "no_proactive_touch")
    with db.write() as s:
        started = _account(s, "Started", 10)
        s.add(Task(account_id=started.id, title="Hand-made", due_date=TODAY,
                   owner="Ana"))  # the book has had tasks: not its first run
        s.add(Activity(account_id=started.id, kind="call", summary="x", proactive=True,
                       occurred_on=TODAY - timedelta(days=1)))
        for i in range(37):  # mid-touch, no touch on record since 2025
            _account(s, f"Quiet {i:02}", i + 1)
    window, view = _today(qtbot, db)
    said: list[str] = []  # every status line, kept: a line lasts 10 s, a busy machine is slower
    window.statusBar().messageChanged.connect(said.append)
    qtbot.waitUntil(lambda: view.banner.isVisible(), timeout=20_000)
    assert view.banner_text.text().startswith("37 accounts have had no proactive touch in")
    assert view.spread_button.isVisible() and view.spread_button.isEnabled()
    assert not [t for t in view.tasks if t.rule_key == "no_proactive_touch"]
    # Run again: still asked, nothing created unasked.
    view.run_button.click()
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=20_000)
    assert view.banner.isVisible() and view.spread_button.isVisible()
    assert not [t for t in view.tasks if t.rule_key == "no_proactive_touch"]

    qtbot.mouseClick(view.spread_button, Qt.MouseButton.LeftButton)
    # from today: the hand-made task and the 14 highest-ranked touches fill today's 15
    made = "Created 37 first-touch tasks, planned over the next 3 work days"
    qtbot.waitUntil(lambda: view.banner_text.text() == made, timeout=20_000)
    assert view.banner.isVisible() and not view.spread_button.isVisible()
    qtbot.waitUntil(lambda: len([t for t in view.tasks
                                 if t.rule_key == "no_proactive_touch"]) == 37,
                    timeout=20_000)
    days = sorted({t.due for t in view.tasks if t.rule_key == "no_proactive_touch"})
    assert days == [TODAY, date(2026, 11, 23), date(2026, 11, 24)]
    assert len(view.task_items()) == 15  # "Due by today": a full day, not a quiet one
    assert f"Playbooks: {made}" in said
    qtbot.mouseClick(view.dismiss_button, Qt.MouseButton.LeftButton)
    assert view.banner.isHidden()


def test_a_task_done_today_is_said_to_take_a_place(qtbot: Any, db: Database) -> None:
    """18 calls for a day of 15: one done takes one of today's places (the next call comes
    from Monday into the other), and the day's line says so instead of "14 of 15"."""
    _quiet_book(db)
    with db.write() as s:
        for i in range(18):
            s.add(Task(account_id=_account(s, f"Call {i:02}", 100 + i).id, title="Call",
                       due_date=TODAY, priority="high", owner="Ana"))
    window, view = _today(qtbot, db)
    qtbot.waitUntil(lambda: len(view.task_items()) == 15, timeout=20_000)
    assert "15 of 15 tasks a day planned today" in view.subtitle.text()
    view.log.setChecked(False)
    assert view.complete()
    qtbot.waitUntil(lambda: "done today" in view.subtitle.text() and not window.runner.busy,
                    timeout=20_000)
    assert len(view.task_items()) == 14
    assert "15 of 15 places used (1 done today)" in view.subtitle.text()
