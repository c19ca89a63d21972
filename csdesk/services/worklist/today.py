"""The Today worklist: the open tasks due for a CSM, grouped (overdue, due today, this week,
later), and what a CSM does to one: complete it (with an activity), snooze, reassign, tick a
step."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from csdesk import clock
from csdesk.db import Database
from csdesk.db.versioned import update_versioned
from csdesk.errors import ConflictError, CsdeskError, ValidationError
from csdesk.models import (
    Account,
    Activity,
    PlaybookRule,
    Task,
)
from csdesk.models.enums import (
    ActivityKind,
    TaskStatus,
)
from csdesk.services.money import Rates, arr_by_account
from csdesk.services.worklist.rules import PRIORITY_ORDER


@dataclass(frozen=True)
class TaskRow:
    id: int
    account_id: int | None
    account: str | None
    arr_cents: int
    rule: str | None  # the rule's name, or None for a task added by hand
    title: str
    reason: str | None
    due: date | None
    priority: str
    status: str
    owner: str | None
    snoozed_until: date | None
    checklist: tuple[tuple[str, bool], ...]
    version: int
    arr_currency: str = "USD"  # arr_cents is in the book's base currency


def open_tasks(db: Database, today: date | None = None, *, owner: str | None = None
               ) -> list[TaskRow]:
    """Open tasks (and snoozed ones whose day has come), most urgent first: by due date
    group, then priority, then the account's ARR."""

    today = today or clock.today()
    with db.read() as s:
        # ARR ranks the work: in the base currency (an account with no rate ranks as none)
        rates = Rates.load(s)
        base = arr_by_account(s, day=today, rates_=rates)["base_cents"].fillna(0)
        arr = dict(zip(base.index.tolist(), base.astype("int64").tolist(), strict=True))
        stmt = (select(Task, Account.name, PlaybookRule.name)
                .outerjoin(Account, Account.id == Task.account_id)
                .outerjoin(PlaybookRule, PlaybookRule.id == Task.rule_id)
                .where((Task.status == TaskStatus.OPEN)
                       | ((Task.status == TaskStatus.SNOOZED) & (Task.snoozed_until <= today))))
        if owner is not None:
            stmt = stmt.where(Task.owner == owner)
        rows = [_task_row(t, name, rule, arr.get(t.account_id), rates.base)
                for t, name, rule in s.execute(stmt)]
    rows.sort(key=lambda r: (group_of(r, today)[0], PRIORITY_ORDER[r.priority],
                             -r.arr_cents, r.due or date.max, r.id))
    return rows


def _task_row(t: Task, account: str | None, rule: str | None, arr: int | None,
              currency: str = "USD") -> TaskRow:
    steps = tuple((str(step.get("text", "")), bool(step.get("done")))
                  for step in (t.checklist or []) if isinstance(step, dict))
    return TaskRow(t.id, t.account_id, account, int(arr or 0), rule, t.title, t.reason,
                   t.due_date, t.priority.value, t.status.value, t.owner, t.snoozed_until,
                   steps, t.version, currency)


GROUPS = ("Overdue", "Due today", "This week", "Later")


def group_of(task: TaskRow, today: date) -> tuple[int, str]:
    due = task.due
    if due is not None and due < today:
        return 0, GROUPS[0]
    if due is None or due == today:
        return 1, GROUPS[1]
    if due <= today + timedelta(days=7):
        return 2, GROUPS[2]
    return 3, GROUPS[3]


def _edit(db: Database, task_id: int, version: int, **values: Any) -> TaskRow:
    with db.write() as s:
        return _row_of(s, update_versioned(
            s, Task, task_id, version, values, "this task was changed elsewhere since you "
            "opened it (done, snoozed or reassigned); reload the worklist"))


def _row_of(s: Any, t: Task) -> TaskRow:
    name = s.scalar(select(Account.name).where(Account.id == t.account_id))
    rule = s.scalar(select(PlaybookRule.name).where(PlaybookRule.id == t.rule_id))
    return _task_row(t, name, rule, 0)


def complete_task(db: Database, task_id: int, version: int, *, activity: str | None = None,
                  kind: str = "call", on: date | None = None) -> TaskRow:
    """Mark a task done; with ``activity``, log it on the account's timeline as a proactive
    touch (in the same transaction: both or neither)."""
    on = on or clock.today()
    if activity is not None and not activity.strip():
        raise ValidationError("activity", "say in a few words what was done, or log nothing")
    with db.write() as s:
        t = s.get(Task, task_id)
        if t is None or t.version != version:
            raise ConflictError("this task was changed elsewhere since you opened it; reload "
                                "the worklist")
        if activity is not None:
            if t.account_id is None:
                raise ValidationError("activity", "this task has no account to log it on")
            s.add(Activity(account_id=t.account_id, kind=ActivityKind(kind),
                           summary=activity.strip(), occurred_on=on, proactive=True,
                           owner=t.owner, details=f"Task: {t.title}"))
        t.status = TaskStatus.DONE
        t.completed_at = clock.now()
        s.flush()
        return _row_of(s, t)


def snooze_task(db: Database, task_id: int, version: int, until: date,
                today: date | None = None) -> TaskRow:
    if until <= (today or clock.today()):
        raise ValidationError("until", "snooze until a day after today")
    return _edit(db, task_id, version, status=TaskStatus.SNOOZED, snoozed_until=until,
                 due_date=until)


def reassign_task(db: Database, task_id: int, version: int, owner: str) -> TaskRow:
    owner = owner.strip()
    if not owner:
        raise ValidationError("owner", "say who takes the task over")
    return _edit(db, task_id, version, owner=owner)


def set_step(db: Database, task_id: int, version: int, index: int, done: bool) -> TaskRow:
    with db.read() as s:
        t = s.get(Task, task_id)
        if t is None:
            raise CsdeskError("this task no longer exists")
        steps = [dict(step) for step in (t.checklist or [])]
    if not 0 <= index < len(steps):
        raise ValidationError("step", f"the checklist has no step {index + 1}")
    steps[index]["done"] = done
    return _edit(db, task_id, version, checklist=steps)


def count_due(db: Database, today: date | None = None, owner: str | None = None) -> int:
    """Overdue and due-today tasks: the number on the Today badge."""
    today = today or clock.today()
    with db.read() as s:
        stmt = select(func.count()).select_from(Task).where(
            ((Task.status == TaskStatus.OPEN)
             | ((Task.status == TaskStatus.SNOOZED) & (Task.snoozed_until <= today)))
            & ((Task.due_date <= today) | Task.due_date.is_(None)))
        if owner is not None:
            stmt = stmt.where(Task.owner == owner)
        return int(s.scalar(stmt) or 0)
