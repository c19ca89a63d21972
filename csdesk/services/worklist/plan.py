"""A worklist that fits a day: the book's daily capacity (tasks a day, a book setting) and the
plan that keeps to it.

:func:`plan` puts the open tasks on work days by rank (``today.rank``), highest first: each
on the first day, from the first it may be done on (:func:`earliest`), that still has room
in its owner's day (the capacity is each CSM's: a team book plans every owner's day apart;
the tasks with no owner share one day's worth; the tasks done today count in today's). A
playbook task, and a renewal step, can be done as soon as it is on the list, so the
highest-ranked of them take today's places and each later day's, and no task planned on a
later day outranks one planned earlier that could have waited. A day a person chose stays
theirs: a task added by hand for a day and a snoozed task are never planned before it (the
plan may put one later if that day is full, never earlier). Today is always a work day (the
CSM is here); after it, Saturdays and Sundays are skipped.

A renewal step is wanted by its checkpoint day, and may be done before it: it is planned by
its rank like any playbook task, so it lands on or before its checkpoint day unless every
day until then is full of higher-ranked work (or of days people chose); then capacity
forces it later, onto the first day with room, and its due date says so. Ranking it first
whatever its rank would push higher-ranked work behind it; the rank already counts the
renewal's nearness.

:func:`spread` writes the plan back: a task planned on another day than its own gets its due
date moved to its planned day, instead of piling up as overdue or waiting behind a quiet
day, and the day it had is kept (``Task.planned_from``). A task planned on its own day keeps
its due date, so the few that are late still say so. Each plan starts again from the days
the tasks had before any plan moved them: with more tasks a day, the highest-ranked tasks
of later days come to earlier ones; with fewer, the lowest ranked go to later days.

Every place that changes the tasks a day (the Today view's spin box, ``csdesk tasks
--capacity``) calls :func:`set_capacity`: save and re-plan, one service call; the actions
on tasks (done, snooze, reassign in ``worklist.today``) re-plan with :func:`spread`.
"""

from __future__ import annotations

from collections.abc import Collection
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
    """The first day the plan may put a task on: today for a playbook task and a renewal
    step (either can be done as soon as it is on the list; its due date is the day it is
    wanted by); its own day for a task added by hand for a day or a snoozed task (a day a
    person chose)."""
    own = natural_due(r) or today
    if r.rule_key is None or r.snoozed_until is not None:
        return max(today, own)
    return today


def plan(rows: list[TaskRow], today: date, capacity: int,
         done_today: dict[str | None, int] | None = None) -> dict[int, date]:
    """Each task's planned day (task id → day): ``rows`` taken highest rank first, each on
    the first work day, from :func:`earliest`, that still has room in its owner's day;
    ``done_today`` (owner → tasks done today) already fills part of today. So no task
    planned on a later day outranks a task that could have come earlier (one that is not
    pinned to a day a person chose)."""
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
    for r in sorted(rows, key=lambda r: (-r.score, natural_due(r) or date.min, r.id)):
        first = earliest(r, today)
        i = index[first] if first in index else index.setdefault(first, _index(today, first))
        i = find(r.owner, i)
        out[r.id] = day[i] if i in day else day.setdefault(i, work_day(today, i))
        used[(r.owner, i)] = used.get((r.owner, i), 0) + 1
        if used[(r.owner, i)] >= capacity:
            free[(r.owner, i)] = i + 1
    return out


def spread(db: Database, today: date | None = None, capacity: int | None = None, *,
           owners: Collection[str | None] | None = None) -> int:
    """Plan the open tasks anew at the capacity (the book's by default) and write it back:
    a task planned on another day than its own gets that day as its due date (its own kept
    in ``planned_from``); a task planned on its own day gets it back. With ``owners``, only
    their days (each owner's days are planned apart: the others' tasks are left as they
    are, so a colleague's open list stays current). Returns how many tasks changed day."""
    today = today or clock.today()
    capacity = capacity or daily_capacity(db)
    # A snoozed task holds its day's place. One owner's tasks are read alone (a fifth
    # of a second, where the whole book's take a second at 5,000 accounts).
    if owners is None or None in owners:
        rows = [r for r in open_tasks(db, today, snoozed=True)
                if owners is None or r.owner in owners]
    else:
        rows = [r for o in owners for r in open_tasks(db, today, owner=o, snoozed=True)]
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
    3 over your 15" (a plan never makes a day overfull; a worklist not planned since it
    changed can be); for a team's worklist, the owners over it."""
    per: dict[str | None, int] = {}
    for r in rows:
        if r.due is None or r.due <= today:
            per[r.owner] = per.get(r.owner, 0) + 1
    over = {o: n for o, n in per.items() if n > capacity}
    if not over:
        return ""
    if len(per) == 1:
        n = next(iter(over.values()))
        return f"{n} tasks today — {n - capacity} over your {capacity}"
    names = sorted(over, key=lambda o: (-over[o], o or ""))
    listed = ", ".join(f"{o or 'no owner'} {over[o]}" for o in names[:3])
    return (f"{counted(len(over), 'owner')} {'has' if len(over) == 1 else 'have'} more than "
            f"{capacity} tasks today ({listed}{', …' if len(names) > 3 else ''})")


def later_days(rows: list[TaskRow], today: date) -> list[tuple[date, list[TaskRow]]]:
    """The tasks planned after today, day by day (the soonest first), each day's highest
    :func:`rank <csdesk.services.worklist.today.rank>` first: the worklist's later days as
    they come."""
    days: dict[date, list[TaskRow]] = {}
    for r in sorted((r for r in rows if r.due is not None and r.due > today),
                    key=lambda r: (r.due, -r.score, r.id)):
        days.setdefault(r.due or today, []).append(r)
    return list(days.items())


def days_needed(tasks: int, capacity: int) -> int:
    return -(-tasks // max(1, capacity))


def planned_today(due_today: int, capacity: int, owners: int, done: int = 0) -> str:
    """"9 of 15 tasks a day planned today", or for a team's worklist "52 tasks planned
    today, 15 a day for each of 6 owners": the capacity is each CSM's. A task done today
    took one of today's places (see :func:`plan`), said so: "14 of 15 places used (3 done
    today)", "52 tasks planned today and 8 done, 15 a day for each of 6 owners"."""
    if owners <= 1:
        if done:
            return f"{due_today + done:,} of {capacity} places used ({done:,} done today)"
        return f"{due_today:,} of {capacity} tasks a day planned today"
    return (f"{counted(due_today, 'task')} planned today{f' and {done:,} done' if done else ''}"
            f", {capacity} a day for each of {owners} owners")
