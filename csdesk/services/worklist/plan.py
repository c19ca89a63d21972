"""A worklist that fits a day: the book's daily capacity (tasks a day, a book setting) and the
plan that keeps to it.

:func:`plan` puts the open tasks, highest rank first (``today.rank``), on work days: each on
the first day, from today or its own due date if that is later, that still has room in its
owner's day (the capacity is each CSM's: a team book plans every owner's day apart; the
tasks with no owner share one day's worth; the tasks done today count in today's). Then the
quiet days fill: a playbook task can be done as soon as it is on the list (:func:`earliest`),
so the highest-ranked of later days take the places left on earlier ones, and today is never
quiet before a full next week. A day a person chose stays theirs: a task added by hand for a
day and a snoozed task are never planned before it. Today
is always a work day (the CSM is here); after it, Saturdays and Sundays are skipped.
:func:`spread` writes the plan back: a task the day has no room for gets its due date moved
to its planned day, instead of piling up as overdue, and the day it had is kept
(``Task.planned_from``). A task that fits keeps its due date, so the few that are late still
say so. Each plan starts again from the days the tasks had before any plan moved them: with
more tasks a day, the highest-ranked tasks of later days come to today; with fewer, the
lowest ranked go to later days. A snooze's day is the CSM's: the plan
may put the task later if that day is full, never earlier.

A renewal step is never moved later: its due date is bounded by the renewal itself (the rule
sets it so), and a step planned after the renewal would be no step. Steps take their day's
places first; when a day is full of steps, the next step moves to the nearest earlier work
day with room (never before today). When even today has more steps than places, today is
over the capacity, and :func:`over_capacity` says so in one line.

Every place that changes the tasks a day (the Today view's spin box, ``csdesk tasks
--capacity``) calls :func:`set_capacity`: save and re-plan, one service call.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import numpy as np
from sqlalchemy import bindparam, func, select, update

from csdesk import clock
from csdesk.db import Database
from csdesk.models import Task
from csdesk.models.enums import TaskStatus
from csdesk.services.formatting import counted
from csdesk.services.settings import daily_capacity, save_daily_capacity
from csdesk.services.worklist.today import TaskRow, open_tasks

PINNED_RULES = ("renewal_checkpoint",)  # a deadline of their own: never moved later


def _index(today: date, day: date) -> int:
    """Which work day ``day`` falls on (0 = today; a weekend rolls on to Monday)."""
    if day <= today:
        return 0
    start = today + timedelta(days=1)
    n = int(np.busday_count(start, day + timedelta(days=1)))
    return n if np.is_busday(day) else n + 1


def work_day(today: date, index: int) -> date:
    """The ``index``-th work day from today (0 = today)."""
    if index == 0:
        return today
    start = np.datetime64(today + timedelta(days=1))
    return date.fromisoformat(str(np.busday_offset(start, index - 1, roll="forward")))


def work_days_until(today: date, day: date) -> int:
    """How many work days from today to ``day``, both counted (today is one)."""
    return _index(today, day) + 1


def natural_due(r: TaskRow) -> date | None:
    """The day a task has before any plan moved it: the rule's, the CSM's or a snooze's."""
    return r.planned_from if r.planned_from is not None else r.due


def earliest(r: TaskRow, today: date) -> date:
    """The first day the plan may put a task on: today for a playbook task (it can be done
    as soon as it is on the list; its due date is the day it is wanted by); its own day for
    a task added by hand or snoozed (a day a person chose) and for a renewal step (pinned
    to its checkpoint)."""
    own = natural_due(r) or today
    if r.rule_key is None or r.rule_key in PINNED_RULES or r.snoozed_until is not None:
        return max(today, own)
    return today


def plan(rows: list[TaskRow], today: date, capacity: int,
         done_today: dict[str | None, int] | None = None) -> dict[int, date]:
    """Each task's planned day (task id → day), ``rows`` taken in rank order, each from its
    own day, then earlier into a quiet day where :func:`earliest` allows; ``done_today``
    (owner → tasks done today) already fills part of today."""
    used: dict[tuple[str | None, int], int] = {
        (owner, 0): n for owner, n in (done_today or {}).items()}
    # an owner's full day → the next day that may have room (path-halved)
    free: dict[tuple[str | None, int], int] = {}

    def find(owner: str | None, i: int) -> int:
        while (owner, i) in free:
            free[(owner, i)] = free.get((owner, free[(owner, i)]), free[(owner, i)])
            i = free[(owner, i)]
        return i

    for (owner, i), n in used.items():  # a day already full of the tasks done today
        if n >= capacity:
            free[(owner, i)] = i + 1
    out: dict[int, date] = {}
    index: dict[date, int] = {}  # numpy's calendar per day, once: 100,000 tasks share few days
    day: dict[int, date] = {}
    ranked = sorted(rows, key=lambda r: (r.rule_key not in PINNED_RULES, -r.score,
                                         natural_due(r) or date.min, r.id))
    placed: dict[int, int] = {}  # task id → work day index
    for r in ranked:
        due = natural_due(r) or today
        i = index[due] if due in index else index.setdefault(due, _index(today, due))
        if r.rule_key in PINNED_RULES:
            # Its last work day on or before its deadline (a deadline on a Saturday or a
            # Sunday: the Friday before, or today) if it has room, else the nearest earlier
            # work day with room (never before today); with none, that last work day all
            # the same: it cannot wait.
            latest = i if due <= today or np.is_busday(due) else i - 1
            j = latest
            while j > 0 and used.get((r.owner, j), 0) >= capacity:
                j -= 1
            if used.get((r.owner, j), 0) >= capacity:
                j = latest
            out[r.id] = max(today, due) if j == i else (
                day[j] if j in day else day.setdefault(j, work_day(today, j)))
            i = j
        else:
            i = find(r.owner, i)
            out[r.id] = day[i] if i in day else day.setdefault(i, work_day(today, i))
        placed[r.id] = i
        used[(r.owner, i)] = used.get((r.owner, i), 0) + 1
        if used[(r.owner, i)] >= capacity:
            free[(r.owner, i)] = i + 1
    # Then the quiet days fill: the highest-ranked tasks that may come earlier
    # (:func:`earliest`) take the earliest places left, so no day waits half empty before
    # a full one. Nothing already on a day is moved off it for them.
    room: dict[str | None, int] = {}  # an owner's first day that may still have room
    for r in ranked:
        i = placed[r.id]
        if i == 0 or earliest(r, today) > today:
            continue
        j = room.get(r.owner, 0)
        while j < i and used.get((r.owner, j), 0) >= capacity:
            j += 1
        room[r.owner] = j
        if j < i:
            used[(r.owner, i)] -= 1
            used[(r.owner, j)] = used.get((r.owner, j), 0) + 1
            out[r.id] = day[j] if j in day else day.setdefault(j, work_day(today, j))
    return out


def spread(db: Database, today: date | None = None, capacity: int | None = None) -> int:
    """Plan the open tasks anew at the capacity (the book's by default) and write it back:
    a task planned on another day than its own gets that day as its due date (its own kept
    in ``planned_from``); a task planned on its own day gets it back. Returns how many
    tasks changed day."""
    today = today or clock.today()
    capacity = capacity or daily_capacity(db)
    rows = open_tasks(db, today)
    days = plan(rows, today, capacity, done_on(db, today))
    moves = []
    for r in rows:
        own = natural_due(r)
        if days[r.id] == max(today, own or today):
            if own is not None and r.due is not None and own <= r.due <= today:
                continue  # late already, on its own day or one the plan gave it: as it is
            due, origin = own, None  # its own day: late stays late, a snooze's day stays
        else:
            due, origin = days[r.id], own
        if (due, origin) != (r.due, r.planned_from):
            moves.append({"tid": r.id, "day": due, "origin": origin})
    if moves:
        with db.write() as s:
            s.connection().execute(
                update(Task).where(Task.id == bindparam("tid"))
                .values(due_date=bindparam("day"), planned_from=bindparam("origin"),
                        version=Task.version + 1), moves)
    return len(moves)


def done_on(db: Database, day: date) -> dict[str | None, int]:
    """Owner → tasks marked done on ``day``: they took part of that day's capacity."""
    start = datetime.combine(day, time.min, UTC)
    with db.read() as s:
        return {owner: int(n) for owner, n in s.execute(
            select(Task.owner, func.count()).where(
                Task.status == TaskStatus.DONE, Task.completed_at >= start,
                Task.completed_at < start + timedelta(days=1)).group_by(Task.owner))}


def set_capacity(db: Database, n: int, today: date | None = None) -> int:
    """Save the book's tasks a day and plan the worklist anew with it (more: the highest
    ranked of the tasks moved to later days come back; fewer: the lowest ranked go to later
    days). Returns how many tasks changed day. A number out of range is a ValidationError,
    and nothing changes."""
    save_daily_capacity(db, n)
    return spread(db, today, n)


def over_capacity(rows: list[TaskRow], today: date, capacity: int) -> str:
    """One plain line when today holds more than the capacity, else "": "18 tasks today —
    3 over your 15, because renewal steps can't wait" (once planned, only renewal steps,
    which cannot wait, make a day overfull); for a team's worklist, the owners over it."""
    per: dict[str | None, int] = {}
    steps: dict[str | None, int] = {}
    for r in rows:
        if r.due is None or r.due <= today:
            per[r.owner] = per.get(r.owner, 0) + 1
            if r.rule_key in PINNED_RULES:
                steps[r.owner] = steps.get(r.owner, 0) + 1
    over = {o: n for o, n in per.items() if n > capacity}
    if not over:
        return ""
    why = (", because renewal steps can't wait"
           if all(steps.get(o, 0) > capacity for o in over) else "")
    if len(per) == 1:
        n = next(iter(over.values()))
        return f"{n} tasks today — {n - capacity} over your {capacity}{why}"
    names = sorted(over, key=lambda o: (-over[o], o or ""))
    listed = ", ".join(f"{o or 'no owner'} {over[o]}" for o in names[:3])
    return (f"{counted(len(over), 'owner')} {'has' if len(over) == 1 else 'have'} more than "
            f"{capacity} tasks today ({listed}{', …' if len(names) > 3 else ''}){why}")


def days_needed(tasks: int, capacity: int) -> int:
    return -(-tasks // max(1, capacity))


def planned_today(due_today: int, capacity: int, owners: int) -> str:
    """"9 of 15 tasks a day planned today", or for a team's worklist "52 tasks planned
    today, 15 a day for each of 6 owners": the capacity is each CSM's."""
    if owners <= 1:
        return f"{due_today:,} of {capacity} tasks a day planned today"
    return (f"{counted(due_today, 'task')} planned today, {capacity} a day for each of "
            f"{owners} owners")
