"""A worklist that fits a day: the book's daily capacity (tasks a day, a book setting) and the
plan that keeps to it.

:func:`plan` puts the open tasks, highest rank first (``today.rank``), on work days: each on
the first day, from today or its own due date if that is later, that still has room in its
owner's day (the capacity is each CSM's: a team book plans every owner's day apart; the
tasks with no owner share one day's worth). Today
is always a work day (the CSM is here); after it, Saturdays and Sundays are skipped.
:func:`spread` writes the plan back: a task the day has no room for gets its due date moved
to its planned day, instead of piling up as overdue. A task that fits keeps its due date,
so the few that are late still say so.

A renewal step is never moved: its due date is bounded by the renewal itself (the rule sets
it so), and a step planned after the renewal would be no step. It keeps its day and takes
one of that day's places first.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
from sqlalchemy import bindparam, update

from csdesk import clock
from csdesk.db import Database
from csdesk.models import Task
from csdesk.services.formatting import counted
from csdesk.services.settings import daily_capacity
from csdesk.services.worklist.today import TaskRow, open_tasks

PINNED_RULES = ("renewal_checkpoint",)  # tasks with a deadline of their own: never moved


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


def plan(rows: list[TaskRow], today: date, capacity: int) -> dict[int, date]:
    """Each task's planned day (task id → day), ``rows`` taken in rank order."""
    used: dict[tuple[str | None, int], int] = {}
    # an owner's full day → the next day that may have room (path-halved)
    free: dict[tuple[str | None, int], int] = {}

    def find(owner: str | None, i: int) -> int:
        while (owner, i) in free:
            free[(owner, i)] = free.get((owner, free[(owner, i)]), free[(owner, i)])
            i = free[(owner, i)]
        return i

    out: dict[int, date] = {}
    index: dict[date, int] = {}  # numpy's calendar per day, once: 100,000 tasks share few days
    day: dict[int, date] = {}
    for r in sorted(rows, key=lambda r: (r.rule_key not in PINNED_RULES, -r.score,
                                         r.due or date.min, r.id)):
        due = r.due or today
        i = index[due] if due in index else index.setdefault(due, _index(today, due))
        if r.rule_key in PINNED_RULES:
            out[r.id] = max(today, due)
        else:
            i = find(r.owner, i)
            out[r.id] = day[i] if i in day else day.setdefault(i, work_day(today, i))
        used[(r.owner, i)] = used.get((r.owner, i), 0) + 1
        if used[(r.owner, i)] >= capacity:
            free[(r.owner, i)] = i + 1
    return out


def spread(db: Database, today: date | None = None, capacity: int | None = None) -> int:
    """Move the tasks beyond each day's capacity to their planned day; returns how many."""
    today = today or clock.today()
    capacity = capacity or daily_capacity(db)
    rows = open_tasks(db, today)
    days = plan(rows, today, capacity)
    moves = [{"tid": r.id, "day": days[r.id]} for r in rows
             if days[r.id] > max(today, r.due or today)]
    if moves:
        with db.write() as s:
            s.connection().execute(
                update(Task).where(Task.id == bindparam("tid"))
                .values(due_date=bindparam("day"), version=Task.version + 1), moves)
    return len(moves)


def days_needed(tasks: int, capacity: int) -> int:
    return -(-tasks // max(1, capacity))


def planned_today(due_today: int, capacity: int, owners: int) -> str:
    """"9 of 15 tasks a day planned today", or for a team's worklist "52 tasks planned
    today, 15 a day for each of 6 owners": the capacity is each CSM's."""
    if owners <= 1:
        return f"{due_today:,} of {capacity} tasks a day planned today"
    return (f"{counted(due_today, 'task')} planned today, {capacity} a day for each of "
            f"{owners} owners")
