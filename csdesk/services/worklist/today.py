"""The Today worklist: the open tasks, each with its rank and the line that explains it
(:func:`rank`: ARR at stake × risk × urgency), and what a CSM does to one or several at once:
complete them (with a proactive activity naming the contacts touched), snooze, reassign,
tick a step. How many a day is ``worklist.plan``: done, snooze and reassign plan the
worklist again (``plan.spread``), so no owner's day holds more than its places, and return
the tasks as planned."""

from __future__ import annotations

from dataclasses import dataclass, replace
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
    Contact,
    HealthSnapshot,
    PlaybookRule,
    Renewal,
    Task,
)
from csdesk.models.enums import (
    ActivityKind,
    RenewalOutcome,
    TaskStatus,
)
from csdesk.services.formatting import counted, format_money_short
from csdesk.services.money import Rates, arr_by_account
from csdesk.services.worklist.rules import EXPANSION_RULES, SAVE_PLAY_RULES


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
    segment: str | None = None
    rule_key: str | None = None
    health_band: str | None = None
    renews_on: date | None = None  # the account's next pending renewal
    score: float = 0.0  # the rank: see :func:`rank`
    why: str = ""  # the rank in words: "$120k ARR · health red · renewal in 34 days"
    # The due date before the capacity plan moved the task (None: ``due`` is the rule's,
    # the CSM's or a snooze's); see ``plan.spread``.
    planned_from: date | None = None

    @property
    def account_why(self) -> str:
        """The rank's facts about the account (ARR · health · renewal): ``why`` less the task's
        own priority, which :func:`rank` always puts last. Every task of an account shares it."""
        return self.why.rsplit(" · ", 1)[0]


# The rank's factors (see :func:`rank`): each small, named and shown in the explanation.
RISK = {"red": 3.0, "yellow": 2.0, "green": 1.0}
RISK_UNKNOWN = 1.5  # no health score yet: between green and yellow
PRIORITY_WEIGHT = {"critical": 3.0, "high": 2.0, "medium": 1.5, "low": 1.0}
RENEWAL_URGENCY = ((30, 3.0), (90, 2.0), (180, 1.5))  # renewal within N days → factor


def rank(arr_cents: int, band: str | None, renews_on: date | None, priority: str,
         today: date, currency: str = "USD") -> tuple[float, str]:
    """The task's rank score and the one line that explains it.

    ``score = ARR at stake × risk × urgency``, where

    - ARR at stake is the account's ARR in thousands of the base currency, at least 1
      (an account with no ARR still gets done, after the ones that carry money);
    - risk is the account's latest health band: red 3, yellow 2, green 1, not scored 1.5;
    - urgency is the task's priority (critical 3, high 2, medium 1.5, low 1) times the
      renewal's nearness (renewal within 30 days 3, within 90 days 2, within 180 days 1.5,
      later or none 1).

    E.g. $120k ARR, health red, renewal in 34 days, high priority: 120 × 3 × (2 × 2) = 1,440,
    explained as "$120k ARR · health red · renewal in 34 days · high".
    """
    arr_k = max(arr_cents / 100_000, 1.0)
    risk = RISK.get(band or "", RISK_UNKNOWN)
    days = (renews_on - today).days if renews_on is not None else None
    near = next((f for limit, f in RENEWAL_URGENCY if days is not None and 0 <= days <= limit),
                1.0)
    score = arr_k * risk * PRIORITY_WEIGHT.get(priority, 1.0) * near
    parts = [f"{format_money_short(arr_cents, currency)} ARR" if arr_cents else "no ARR",
             f"health {band}" if band else "health not scored"]
    if days is not None and 0 <= days <= RENEWAL_URGENCY[-1][0]:
        parts.append(f"renewal in {counted(days, 'day')}" if days else "renewal today")
    parts.append(priority)
    return round(score, 2), " · ".join(parts)


def _visible_tasks(today: date, account_id: int | None = None, *, snoozed: bool = False
                   ) -> Any:
    """Open tasks, snoozed ones whose day has come (with ``snoozed``, every snoozed task),
    and not an expansion task while a save play on the same account is unresolved (see
    ``rules.SAVE_PLAY_RULES``). With ``account_id``, the save plays are looked for on that
    account only."""
    saves = (select(Task.account_id).join(PlaybookRule, PlaybookRule.id == Task.rule_id)
             .where(PlaybookRule.key.in_(SAVE_PLAY_RULES),
                    Task.status.in_((TaskStatus.OPEN, TaskStatus.SNOOZED))))
    if account_id is not None:
        saves = saves.where(Task.account_id == account_id)
    woken = Task.status == TaskStatus.SNOOZED
    if not snoozed:
        woken = woken & (Task.snoozed_until <= today)
    return (((Task.status == TaskStatus.OPEN) | woken)
            & ~(func.coalesce(PlaybookRule.key, "").in_(EXPANSION_RULES)
                & Task.account_id.in_(saves)))


def open_tasks(db: Database, today: date | None = None, *, owner: str | None = None,
               snoozed: bool = False) -> list[TaskRow]:
    """Open tasks (and snoozed ones whose day has come; with ``snoozed``, the tasks snoozed
    until a later day too), highest :func:`rank` first.

    One query for the tasks with their account, rule, latest health band and next pending
    renewal, and one for their accounts' ARR (plus the exchange rates it converts with).
    """
    today = today or clock.today()
    latest = (select(HealthSnapshot.account_id, func.max(HealthSnapshot.as_of).label("as_of"))
              .where(HealthSnapshot.as_of <= today).group_by(HealthSnapshot.account_id)
              .subquery())
    band = (select(HealthSnapshot.account_id, func.max(HealthSnapshot.band).label("band"))
            .join(latest, (latest.c.account_id == HealthSnapshot.account_id)
                  & (latest.c.as_of == HealthSnapshot.as_of))
            .group_by(HealthSnapshot.account_id).subquery())
    renews = (select(Renewal.account_id, func.min(Renewal.renewal_date).label("on"))
              .where(Renewal.outcome == RenewalOutcome.PENDING, Renewal.renewal_date >= today)
              .group_by(Renewal.account_id).subquery())
    # The task's columns, not the ORM object: 70,000 open tasks load in a fraction of the time.
    stmt = (select(*TASK_COLUMNS, Account.name.label("account_name"),
                   PlaybookRule.name.label("rule_name"), PlaybookRule.key.label("rule_key"),
                   Account.segment.label("segment"), band.c.band, renews.c.on)
            .outerjoin(Account, Account.id == Task.account_id)
            .outerjoin(PlaybookRule, PlaybookRule.id == Task.rule_id)
            .outerjoin(band, band.c.account_id == Task.account_id)
            .outerjoin(renews, renews.c.account_id == Task.account_id)
            .where(_visible_tasks(today, snoozed=snoozed)))
    if owner is not None:
        stmt = stmt.where(Task.owner == owner)
    with db.read() as s:
        found = s.execute(stmt).all()
        # ARR ranks the work: in the base currency (an account with no rate ranks as none)
        rates = Rates.load(s)
        base = arr_by_account(s, day=today, rates_=rates, account_ids=select(
            Task.account_id).where(Task.status.in_((TaskStatus.OPEN, TaskStatus.SNOOZED))))
        base = base["base_cents"].fillna(0)
        arr = dict(zip(base.index.tolist(), base.astype("int64").tolist(), strict=True))
        rows = []
        for t in found:
            cents = int(arr.get(t.account_id) or 0)
            band_text = getattr(t.band, "value", t.band)
            score, why = rank(cents, band_text, t.on, t.priority.value, today, rates.base)
            rows.append(_task_row(
                t, t.account_name, t.rule_name, cents, rates.base,
                segment=getattr(t.segment, "value", t.segment), rule_key=t.rule_key,
                health_band=band_text, renews_on=t.on, score=score, why=why))
    rows.sort(key=lambda r: (-r.score, r.due or date.max, r.id))
    return rows


@dataclass(frozen=True)
class AccountTasks:
    """One account's open tasks as Today shows them (due first), for its page."""

    tasks: list[TaskRow]
    today: date

    @property
    def overdue(self) -> int:
        return sum(1 for t in self.tasks if t.due is not None and t.due < self.today)

    def summary(self) -> str:
        """"3 open tasks, 1 overdue", or "No open tasks"."""
        if not self.tasks:
            return "No open tasks"
        text = counted(len(self.tasks), "open task")
        return text + (f", {self.overdue} overdue" if self.overdue else "")


def account_tasks(db: Database, account_id: int, today: date | None = None) -> AccountTasks:
    """The open tasks of one account, as :func:`open_tasks` counts them (snoozed ones whose
    day has come; no expansion task during a save play), soonest due first: one query
    reading that account's rows only."""
    today = today or clock.today()
    stmt = (select(Task, PlaybookRule.name, PlaybookRule.key)
            .outerjoin(PlaybookRule, PlaybookRule.id == Task.rule_id)
            .where(Task.account_id == account_id, _visible_tasks(today, account_id))
            .order_by(Task.due_date.is_(None), Task.due_date, Task.id))
    with db.read() as s:
        rows = [replace(_task_row(t, None, rule, 0), rule_key=key)
                for t, rule, key in s.execute(stmt).all()]
    return AccountTasks(rows, today)


# What a TaskRow takes from a task: read as columns where many tasks are listed.
TASK_COLUMNS = (Task.id, Task.account_id, Task.title, Task.reason, Task.due_date, Task.priority,
                Task.status, Task.owner, Task.snoozed_until, Task.checklist, Task.version,
                Task.planned_from)


def _task_row(t: Any, account: str | None, rule: str | None, arr: int | None,
              currency: str = "USD", **more: Any) -> TaskRow:
    """The row of ``t``: a Task, or a result row with its :data:`TASK_COLUMNS`."""
    steps = tuple((str(step.get("text", "")), bool(step.get("done")))
                  for step in (t.checklist or []) if isinstance(step, dict))
    return TaskRow(t.id, t.account_id, account, int(arr or 0), rule, t.title, t.reason,
                   t.due_date, t.priority.value, t.status.value, t.owner, t.snoozed_until,
                   steps, t.version, currency, planned_from=t.planned_from, **more)


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


def _row_of(s: Any, t: Task) -> TaskRow:
    name = s.scalar(select(Account.name).where(Account.id == t.account_id))
    rule = s.scalar(select(PlaybookRule.name).where(PlaybookRule.id == t.rule_id))
    return _task_row(t, name, rule, 0)


def find_task(db: Database, task_id: int) -> TaskRow | None:
    """The task ``task_id`` as it is now (any status, with its current version), or None
    when the book has no such task: for a command that acts on a task by its id."""
    with db.read() as s:
        t: Task | None = s.get(Task, task_id)
        return _row_of(s, t) if t is not None else None


def complete_task(db: Database, task_id: int, version: int, *, activity: str | None = None,
                  kind: str = "call", on: date | None = None,
                  contacts: list[int] | None = None) -> TaskRow:
    """Mark a task done; with ``activity``, log it on the account's timeline as a proactive
    touch (in the same transaction: both or neither), with the ``contacts`` touched linked
    to it, so the touch-based rules (a quiet sponsor) see them."""
    return complete_tasks(db, [(task_id, version)], activity=activity, kind=kind, on=on,
                          contacts=contacts)[0]


def complete_tasks(db: Database, tasks: list[tuple[int, int]], *, activity: str | None = None,
                   kind: str = "call", on: date | None = None,
                   contacts: list[int] | None = None) -> list[TaskRow]:
    """Mark several tasks (id, version) done in one transaction: all or none. With
    ``activity``, one proactive touch is logged per account (the tasks' titles in its
    details), each linked to the ``contacts`` of that account."""
    on = on or clock.today()
    check_activity(activity)
    with db.write() as s:
        found = [_current(s, tid, version) for tid, version in tasks]
        if activity is not None:
            people = {c.id: c for c in s.scalars(select(Contact).where(
                Contact.id.in_(contacts or [])))}
            if len(people) != len(set(contacts or [])):
                raise ValidationError("contacts", "a contact ticked is no longer in the book")
            by_account: dict[int, list[Task]] = {}
            for t in found:
                if t.account_id is None:
                    raise ValidationError("activity", f"“{t.title}” has no account to log "
                                                      "it on")
                by_account.setdefault(t.account_id, []).append(t)
            strays = [c.name for c in people.values() if c.account_id not in by_account]
            if strays:
                raise ValidationError("contacts", f"{', '.join(strays)}: not a contact of "
                                                  "the task's account")
            for aid, done in by_account.items():
                s.add(Activity(account_id=aid, kind=ActivityKind(kind),
                               summary=activity.strip(), occurred_on=on, proactive=True,
                               owner=done[0].owner,
                               details="\n".join(f"Task: {t.title}" for t in done),
                               contacts=[c for c in people.values() if c.account_id == aid]))
        for t in found:
            t.status = TaskStatus.DONE
            t.completed_at = clock.now()
    return _replanned(db, [t for t, _v in tasks], on)


def check_activity(activity: str | None) -> None:
    """An activity to log says what was done (None logs nothing): else a ValidationError."""
    if activity is not None and not activity.strip():
        raise ValidationError("activity", "say in a few words what was done, or log nothing")


def check_snooze(until: date, today: date | None = None) -> None:
    """A snooze is until a day after today: else a ValidationError."""
    if until <= (today or clock.today()):
        raise ValidationError("until", "snooze until a day after today")


def check_owner(owner: str) -> str:
    """The owner who takes tasks over, trimmed; nobody is a ValidationError."""
    if not owner.strip():
        raise ValidationError("owner", "say who takes the task over")
    return owner.strip()


def _replanned(db: Database, ids: list[int], today: date | None,
               owners: set[str | None] | None = None) -> list[TaskRow]:
    """Plan the days of the tasks' owners (and of ``owners``) again after an action (a
    task done, snoozed or given to someone else changes whose days have room), and return
    the tasks ``ids`` as planned."""
    from csdesk.services.worklist.plan import spread  # the plan reads this module's rows

    with db.read() as s:
        mine = set(s.scalars(select(Task.owner).where(Task.id.in_(ids))))
    spread(db, today or clock.today(), owners=mine | (owners or set()))
    with db.read() as s:
        found = {t.id: t for t in s.scalars(select(Task).where(Task.id.in_(ids)))}
        return [_row_of(s, found[i]) for i in ids]


def _current(s: Any, task_id: int, version: int) -> Task:
    t: Task | None = s.get(Task, task_id)
    if t is None or t.version != version:
        raise ConflictError("this task was changed elsewhere since you opened it; reload "
                            "the worklist")
    return t


def snooze_tasks(db: Database, tasks: list[tuple[int, int]], until: date,
                 today: date | None = None) -> list[TaskRow]:
    """Snooze several tasks until a day, in one transaction: all or none. The day is the
    CSM's: the capacity plan may put the task later if that day is full, never earlier
    (it forgets any day the plan had moved the task from)."""
    check_snooze(until, today)
    _edit_all(db, tasks, status=TaskStatus.SNOOZED, snoozed_until=until, due_date=until,
              planned_from=None)
    return _replanned(db, [t for t, _v in tasks], today)


def reassign_tasks(db: Database, tasks: list[tuple[int, int]], owner: str,
                   today: date | None = None) -> list[TaskRow]:
    """Give several tasks to someone else, in one transaction: all or none; each is then
    planned in its new owner's days."""
    owner = check_owner(owner)
    ids = [t for t, _v in tasks]
    with db.read() as s:  # the days they leave have room now
        before = set(s.scalars(select(Task.owner).where(Task.id.in_(ids))))
    _edit_all(db, tasks, owner=owner)
    return _replanned(db, ids, today, before)


def _edit_all(db: Database, tasks: list[tuple[int, int]], **values: Any) -> list[TaskRow]:
    with db.write() as s:
        return [_row_of(s, update_versioned(
            s, Task, tid, version, values, "this task was changed elsewhere since you "
            "opened it (done, snoozed or reassigned); reload the worklist"))
            for tid, version in tasks]


def snooze_task(db: Database, task_id: int, version: int, until: date,
                today: date | None = None) -> TaskRow:
    return snooze_tasks(db, [(task_id, version)], until, today)[0]


def reassign_task(db: Database, task_id: int, version: int, owner: str,
                  today: date | None = None) -> TaskRow:
    return reassign_tasks(db, [(task_id, version)], owner, today)[0]


def set_step(db: Database, task_id: int, version: int, index: int, done: bool) -> TaskRow:
    with db.read() as s:
        t = s.get(Task, task_id)
        if t is None:
            raise CsdeskError("this task no longer exists")
        steps = [dict(step) for step in (t.checklist or [])]
    if not 0 <= index < len(steps):
        raise ValidationError("step", f"the checklist has no step {index + 1}")
    steps[index]["done"] = done
    return _edit_all(db, [(task_id, version)], checklist=steps)[0]


def any_tasks(db: Database) -> bool:
    """Whether the book has any task at all (open, done, snoozed or dismissed): none means
    the playbooks have not run on it yet (or found nothing) and nobody added one by hand."""
    with db.read() as s:
        return s.scalar(select(Task.id).limit(1)) is not None


NO_TASKS_YET = "No tasks yet — run `csdesk tasks --run` to evaluate the playbook rules"


def count_due(db: Database, today: date | None = None, owner: str | None = None) -> int:
    """Overdue and due-today tasks: the number on the Today badge."""
    today = today or clock.today()
    with db.read() as s:
        stmt = select(func.count()).select_from(Task).outerjoin(
            PlaybookRule, PlaybookRule.id == Task.rule_id).where(
            _visible_tasks(today) & ((Task.due_date <= today) | Task.due_date.is_(None)))
        if owner is not None:
            stmt = stmt.where(Task.owner == owner)
        return int(s.scalar(stmt) or 0)


# -- what an action did, in words (the command line and Today say it alike) ---------------

def task_label(r: TaskRow, *, ids: bool = True) -> str:
    """"#12 Acme — Call" (without ``ids``: "Acme — Call")."""
    return f"{f'#{r.id} ' if ids else ''}{r.account or '—'} — {r.title}"


def tasks_said(rows: list[TaskRow], tail: str, today: date | None = None, *,
               ids: bool = True) -> str:
    """"#12 Acme — Call done" for one task; "2 tasks done: #12 …, #13 …" for several. With
    ``today``, where the plan put each: "…: planned for Mon 30 Nov 2026"."""
    if len(rows) == 1:
        return (f"{task_label(rows[0], ids=ids)}{tail}"
                + (f": {planned_said(rows[0], today)}" if today else ""))
    return f"{counted(len(rows), 'task')}{tail}: " + ", ".join(
        task_label(r, ids=ids) + (f" ({planned_said(r, today)})" if today else "")
        for r in rows)


def planned_said(r: TaskRow, today: date) -> str:
    """Where the plan put a task: "planned for today" or "planned for Mon 30 Nov 2026"."""
    return ("planned for today" if r.due is None or r.due <= today
            else f"planned for {day_name(r.due)}")


def day_name(day: date) -> str:
    """"Thu 03 Dec 2026"."""
    from csdesk.services.formatting import format_date

    return f"{day:%a} {format_date(day)}"
