"""Success plans: the mutual action plan (objective → milestone → task) and its templates.

Derived numbers are never typed in: an objective's progress (how far *current* has moved
from *baseline* toward *target*, in either direction), the plan's completion, what is
overdue and the days to first value. Reaching the plan's first value milestone sets the
account's first-value date, which time-to-value in health and metrics reads.

:func:`plan_view` returns a frozen dataclass tree that the editor and the PDF use as is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk import clock
from csdesk.db import Database
from csdesk.errors import ConflictError, CsdeskError, ValidationError
from csdesk.models import (
    Account,
    Contact,
    Milestone,
    Objective,
    PlanTask,
    PlanTemplate,
    SuccessPlan,
)
from csdesk.models.enums import MilestoneStatus, ObjectiveStatus, OwnerSide, PlanStatus
from csdesk.services.plans import qbr_meetings


@dataclass(frozen=True)
class TaskView:
    id: int
    title: str
    assignee_side: str
    due_date: date | None
    done: bool
    overdue: bool
    version: int


@dataclass(frozen=True)
class MilestoneView:
    id: int
    title: str
    due_date: date | None
    done_date: date | None
    status: str
    owner_side: str
    is_first_value: bool
    overdue: bool
    version: int
    tasks: tuple[TaskView, ...] = ()


@dataclass(frozen=True)
class ObjectiveView:
    id: int
    title: str
    kpi_name: str | None
    kpi_unit: str | None
    baseline: float | None
    current: float | None
    target: float | None
    due_date: date | None
    status: str
    owner_side: str
    owner_contact: str | None
    owner_contact_id: int | None
    progress: float | None  # 0–1 from baseline toward target
    overdue: bool
    version: int
    milestones: tuple[MilestoneView, ...] = ()
    computed_status: str = ""  # what the numbers and the due date say
    status_overridden: bool = False  # ``status`` is the CSM's call against the numbers
    status_reason: str = ""  # why the computed status is what it is, in words
    # What a progress bar beside ``status`` shows (see objective_state): never a contradiction
    bar: float | None = None
    bar_label: str = ""


@dataclass(frozen=True)
class PlanView:
    id: int
    account_id: int
    account_name: str
    title: str
    period_start: date
    period_end: date | None
    status: str
    version: int
    objectives: tuple[ObjectiveView, ...] = ()
    completion: float | None = None  # milestones done ÷ milestones
    outcome_progress: float | None = None  # mean objective progress
    overdue: int = 0
    days_to_first_value: int | None = None
    first_value_milestone: str | None = None
    stakeholders: tuple[str, ...] = field(default_factory=tuple)


def progress(baseline: float | None, current: float | None, target: float | None
             ) -> float | None:
    """How far ``current`` has moved from ``baseline`` toward ``target``, clamped to 0–1.

    Works for falling KPIs too (hours per invoice from 40 toward 15).
    """
    if baseline is None or current is None or target is None or target == baseline:
        return None
    return max(0.0, min(1.0, (current - baseline) / (target - baseline)))


def _task(t: PlanTask, today: date) -> TaskView:
    return TaskView(t.id, t.title, t.assignee_side.value, t.due_date, t.done,
                    bool(not t.done and t.due_date and t.due_date < today), t.version)


def _milestone(m: Milestone, today: date) -> MilestoneView:
    done = m.status == MilestoneStatus.DONE
    return MilestoneView(m.id, m.title, m.due_date, m.done_date, m.status.value,
                         m.owner_side.value, m.is_first_value,
                         bool(not done and m.due_date and m.due_date < today), m.version,
                         tuple(_task(t, today) for t in m.tasks))


PACE_SLACK = 0.15  # this far behind the straight line from start to due is still on track


def objective_status(*, stored: str, baseline: float | None, current: float | None,
                     target: float | None, start: date | None, due: date | None,
                     today: date) -> tuple[str, str]:
    """The status the numbers give an objective, and why, in words.

    With a KPI (baseline, current, target): achieved when the target is reached; at risk
    when past due, or behind the straight line from the plan's start to the due date by
    more than ``PACE_SLACK``; not started while nothing has moved early on; else on track.
    Without numbers the CSM's status stands, except that an open objective past its due
    date is at risk. Dropped is always the CSM's decision.
    """
    if stored == "dropped":
        return "dropped", "dropped by the CSM"
    p = progress(baseline, current, target)
    late = due is not None and due < today
    if p is None:
        if stored != "achieved" and late:
            return "at_risk", f"past its due date ({due:%d %b %Y}) and not achieved"
        return stored, "no KPI numbers: the status is the CSM's"
    if p >= 1:
        return "achieved", "the target is reached"
    if late:
        return "at_risk", f"{p:.0%} of the way at its due date ({due:%d %b %Y})"
    expected = None
    if start is not None and due is not None and due > start:
        expected = max(0.0, min(1.0, (today - start).days / (due - start).days))
    if p == 0 and (expected is None or expected < 0.25):
        return "not_started", "the KPI has not moved yet"
    if expected is not None and p + PACE_SLACK < expected:
        return "at_risk", f"{p:.0%} of the way with {expected:.0%} of the time gone"
    return "on_track", (f"{p:.0%} of the way with {expected:.0%} of the time gone"
                        if expected is not None else f"{p:.0%} of the way")


@dataclass(frozen=True)
class ObjectiveState:
    """An objective's status as every screen and document shows it, with the bar beside it."""

    status: str
    computed_status: str  # what the numbers and the due date say
    overridden: bool  # ``status`` is the CSM's call against the numbers
    reason: str
    bar: float | None  # 0–1; None: no KPI numbers and not achieved (no bar)
    bar_label: str  # "62%", "100%", "100% (KPI 96% of the way)"


def objective_state(*, stored: str, overridden: bool, baseline: float | None,
                    current: float | None, target: float | None, start: date | None,
                    due: date | None, today: date) -> ObjectiveState:
    """The one answer to "where does this objective stand": its status (the numbers', or the
    CSM's call against them) and the progress bar beside it, which always agree.

    An achieved objective shows a full bar (the CSM's "achieved" with the KPI short of its
    target says how far the KPI got in the label); one that is not achieved never shows
    100%: its bar and label stop at 99%, so "At risk" never sits beside a full bar.
    """
    computed, why = objective_status(stored=stored, baseline=baseline, current=current,
                                     target=target, start=start, due=due, today=today)
    overridden = overridden and stored != computed
    status = stored if overridden else computed
    p = progress(baseline, current, target)
    if status == "achieved":
        bar: float | None = 1.0
        label = "100%" if p is None or p >= 1 else f"100% (KPI {min(p, 0.99):.0%} of the way)"
    elif p is None:
        bar, label = None, ""
    else:
        bar = min(p, 0.99)
        label = f"{int(bar * 100)}%"  # rounded down: 99.6% is not yet 100%
    return ObjectiveState(status, computed, overridden, why, bar, label)


def _objective(o: Objective, today: date, start: date | None = None) -> ObjectiveView:
    state = objective_state(
        stored=o.status.value, overridden=bool(o.status_overridden), baseline=o.baseline,
        current=o.current, target=o.target, start=start, due=o.due_date, today=today)
    computed, why, overridden, status = (state.computed_status, state.reason,
                                         state.overridden, state.status)
    closed = status in ("achieved", "dropped")
    return ObjectiveView(o.id, o.title, o.kpi_name, o.kpi_unit, o.baseline, o.current,
                         o.target, o.due_date, status, o.owner_side.value,
                         o.owner_contact.name if o.owner_contact else None, o.owner_contact_id,
                         progress(o.baseline, o.current, o.target),
                         bool(not closed and o.due_date and o.due_date < today), o.version,
                         tuple(_milestone(m, today) for m in o.milestones),
                         computed, overridden, why, state.bar, state.bar_label)


def plan_view(db: Database, plan_id: int, *, today: date | None = None) -> PlanView:
    today = today or clock.today()
    with db.read() as s:
        plan = s.get(SuccessPlan, plan_id)
        if plan is None:
            raise CsdeskError(f"no success plan {plan_id}")
        objectives = tuple(_objective(o, today, plan.period_start) for o in plan.objectives)
        milestones = [m for o in objectives for m in o.milestones]
        done = [m for m in milestones if m.status == "done"]
        prog = [o.progress for o in objectives if o.progress is not None]
        overdue = sum(o.overdue for o in objectives) + sum(m.overdue for m in milestones) + \
            sum(t.overdue for m in milestones for t in m.tasks)
        first = next((m for m in milestones if m.is_first_value), None)
        # Time to value counts from the customer's start (the plan may be a later one).
        account = plan.account
        begin = account.customer_since or plan.period_start
        reached = account.first_value_date or (first.done_date if first else None)
        ttv = (reached - begin).days if reached and reached >= begin else None
        return PlanView(
            plan.id, plan.account_id, plan.account.name, plan.title, plan.period_start,
            plan.period_end, plan.status.value, plan.version, objectives,
            len(done) / len(milestones) if milestones else None,
            sum(prog) / len(prog) if prog else None, overdue, ttv,
            first.title if first else None,
            tuple(c.name for c in plan.stakeholders))


def plans_of(db: Database, account_id: int) -> list[tuple[int, str, str, date]]:
    """(id, title, status, start) of an account's plans, the active one first."""
    with db.read() as s:
        rows = s.execute(select(SuccessPlan.id, SuccessPlan.title, SuccessPlan.status,
                                SuccessPlan.period_start)
                         .where(SuccessPlan.account_id == account_id)
                         .order_by(SuccessPlan.status != PlanStatus.ACTIVE,
                                   SuccessPlan.period_start.desc())).all()
        return [(r[0], r[1], r[2].value, r[3]) for r in rows]


def active_plan_id(db: Database, account_id: int) -> int | None:
    plans = plans_of(db, account_id)
    return plans[0][0] if plans and plans[0][2] == "active" else None


def create_plan(db: Database, account_id: int, title: str, start: date, *,
                template: str | None = None, end: date | None = None) -> int:
    """A new active plan (the previous active one is archived), optionally from a template
    with every date shifted to ``start``."""
    title = title.strip()
    if not title:
        raise ValidationError("title", "a plan needs a title")
    with db.write() as s:
        for old in s.scalars(select(SuccessPlan).where(
                SuccessPlan.account_id == account_id,
                SuccessPlan.status == PlanStatus.ACTIVE)):
            old.status = PlanStatus.ARCHIVED
        plan = SuccessPlan(account_id=account_id, title=title, period_start=start,
                           period_end=end, status=PlanStatus.ACTIVE)
        s.add(plan)
        if template:
            tpl = s.scalars(select(PlanTemplate).where(PlanTemplate.key == template)).first()
            if tpl is None:
                raise CsdeskError(f"no plan template {template!r}")
            _instantiate(plan, tpl.body, start)
            if end is None:
                last = max([o.due_date for o in plan.objectives if o.due_date] or [start])
                plan.period_end = last
        s.flush()
        return plan.id


def _instantiate(plan: SuccessPlan, body: dict[str, Any], start: date) -> None:
    def day(n: Any) -> date | None:
        return start + timedelta(days=int(n)) if n is not None else None

    for i, o in enumerate(body.get("objectives", [])):
        objective = Objective(position=i, title=o["title"], kpi_name=o.get("kpi_name"),
                              kpi_unit=o.get("kpi_unit"), baseline=o.get("baseline"),
                              current=o.get("baseline"), target=o.get("target"),
                              due_date=day(o.get("due_days")),
                              owner_side=OwnerSide(o.get("owner_side", "customer")))
        for j, m in enumerate(o.get("milestones", [])):
            milestone = Milestone(position=j, title=m["title"], due_date=day(m.get("due_days")),
                                  owner_side=OwnerSide(m.get("owner_side", "vendor")),
                                  is_first_value=bool(m.get("first_value")))
            for k, t in enumerate(m.get("tasks", [])):
                milestone.tasks.append(PlanTask(
                    position=k, title=t["title"], due_date=day(t.get("due_days")),
                    assignee_side=OwnerSide(t.get("assignee_side", "vendor"))))
            objective.milestones.append(milestone)
        plan.objectives.append(objective)


# -- editing: one function per node kind, each version-checked ----------------------------

PlanNode = Objective | Milestone | PlanTask
_MODELS: dict[str, type[PlanNode]] = {
    "objective": Objective, "milestone": Milestone, "task": PlanTask}
_FIELDS = {
    "objective": {"title", "kpi_name", "kpi_unit", "baseline", "current", "target",
                  "due_date", "status", "owner_side", "owner_contact_id"},
    "milestone": {"title", "due_date", "done_date", "status", "owner_side"},
    "task": {"title", "due_date", "done", "assignee_side"},
}


def _plan_of(s: Session, kind: str, node: object) -> SuccessPlan:
    # ``kind`` names what ``node`` is.
    if kind == "objective":
        return cast(Objective, node).plan
    if kind == "milestone":
        return cast(Milestone, node).objective.plan
    return cast(PlanTask, node).milestone.objective.plan


def _check(kind: str, node: Any, plan: SuccessPlan) -> None:
    if not str(node.title or "").strip():
        raise ValidationError("title", f"a {kind} needs a title")
    due = getattr(node, "due_date", None)
    if due is not None and due < plan.period_start:
        raise ValidationError("due_date", f"the due date {due:%d %b %Y} is before the plan "
                                          f"starts ({plan.period_start:%d %b %Y})")
    if kind == "objective" and node.baseline is not None and node.target is not None \
            and node.baseline == node.target:
        raise ValidationError("target", "the target equals the baseline: there is nothing "
                                        "to move")


def node_fields(kind: str, node: Any) -> dict[str, Any]:
    """The editable fields of an objective, milestone or task, as plain values."""
    return {name: getattr(getattr(node, name), "value", getattr(node, name))
            for name in sorted(_FIELDS[kind])}


def update_node(db: Database, kind: str, node_id: int, changes: dict[str, Any],
                expected_version: int) -> int:
    """Edit fields of an objective, milestone or task; return the new version."""
    bad = set(changes) - _FIELDS[kind]
    if bad:
        raise ValidationError(sorted(bad)[0], f"{sorted(bad)[0]} is not a field of a {kind}")
    with db.write() as s:
        node = cast("PlanNode | None", s.get(_MODELS[kind], node_id))
        if node is None:
            raise ConflictError(f"this {kind} was deleted elsewhere; reload")
        if node.version != expected_version:
            raise ConflictError(
                f"someone else changed this {kind} since you opened it; your edit was not "
                "saved", current=node_fields(kind, node), version=node.version)
        for name, value in changes.items():
            if name == "status":
                enum = {"objective": ObjectiveStatus, "milestone": MilestoneStatus}[kind]
                value = enum(value)
            elif name in ("owner_side", "assignee_side"):
                value = OwnerSide(value)
            setattr(node, name, value)
        plan = _plan_of(s, kind, node)
        _check(kind, node, plan)
        if isinstance(node, Objective):  # kind == "objective"
            _settle_status(node, plan, set_by_csm="status" in changes)
        if isinstance(node, Milestone):  # kind == "milestone"
            if "status" in changes or "done_date" in changes:
                if node.status == MilestoneStatus.DONE and node.done_date is None:
                    node.done_date = clock.today()
                if node.status != MilestoneStatus.DONE and "status" in changes:
                    node.done_date = None
            if node.is_first_value and node.done_date is not None:
                _reach_first_value(s, plan.account_id, node.done_date)
            qbr_meetings.sync_from_milestone(s, node)  # a QBR commitment follows its step
        s.flush()
        return node.version


def _settle_status(o: Objective, plan: SuccessPlan, *, set_by_csm: bool) -> None:
    """Keep the stored status the one shown: a status the CSM sets that differs from what
    the numbers say is an override (shown as one); one that agrees, or any change of the
    numbers while not overridden, leaves the numbers in charge."""
    computed, _why = objective_status(
        stored=o.status.value, baseline=o.baseline, current=o.current, target=o.target,
        start=plan.period_start, due=o.due_date, today=clock.today())
    if set_by_csm:
        o.status_overridden = o.status.value != computed
    elif not o.status_overridden:
        o.status = ObjectiveStatus(computed)


def clear_status_override(db: Database, objective_id: int, expected_version: int) -> int:
    """Let the numbers decide the objective's status again."""
    with db.write() as s:
        o = s.get(Objective, objective_id)
        if o is None or o.version != expected_version:
            raise ConflictError("someone else changed this objective since you opened it")
        o.status_overridden = False
        _settle_status(o, o.plan, set_by_csm=False)
        s.flush()
        return o.version


def _reach_first_value(s: Any, account_id: int, when: date) -> None:
    account = s.get(Account, account_id)
    if account.first_value_date is None or account.first_value_date > when:
        account.first_value_date = when


def add_node(db: Database, kind: str, parent_id: int, title: str, *,
             position: int | None = None, **fields: Any) -> int:
    """A new objective (parent: plan), milestone (parent: objective) or task (parent:
    milestone) at ``position`` (default: last)."""
    parent_model = {"objective": SuccessPlan, "milestone": Objective, "task": Milestone}[kind]
    relation = {"objective": "objectives", "milestone": "milestones", "task": "tasks"}[kind]
    with db.write() as s:
        parent = s.get(parent_model, parent_id)
        if parent is None:
            raise CsdeskError(f"no parent for the new {kind}")
        siblings = getattr(parent, relation)
        node = _MODELS[kind](title=title.strip(), **fields)
        siblings.insert(len(siblings) if position is None else position, node)
        for i, sib in enumerate(siblings):
            sib.position = i
        plan = cast(SuccessPlan, parent) if kind == "objective" else _plan_of(
            s, {"milestone": "objective", "task": "milestone"}[kind], parent)
        _check(kind, node, plan)
        s.flush()
        return node.id


def delete_node(db: Database, kind: str, node_id: int) -> None:
    with db.write() as s:
        node = s.get(_MODELS[kind], node_id)
        if node is not None:
            s.delete(node)


def node_snapshot(db: Database, kind: str, node_id: int) -> dict[str, Any]:
    """Everything needed to recreate a node (and its children) after a delete (undo)."""
    with db.read() as s:
        node = s.get(_MODELS[kind], node_id)
        if node is None:
            raise CsdeskError(f"no {kind} {node_id}")
        return _snap(kind, node)


def _snap(kind: str, node: Any) -> dict[str, Any]:
    data = {f: getattr(node, f) for f in _FIELDS[kind]}
    data = {k: (v.value if hasattr(v, "value") and not isinstance(v, (int, float, str))
                else v) for k, v in data.items()}
    data["position"] = node.position
    if kind == "milestone":
        data["is_first_value"] = node.is_first_value
        data["children"] = [_snap("task", t) for t in node.tasks]
    if kind == "objective":
        data["children"] = [_snap("milestone", m) for m in node.milestones]
    return data


def restore_node(db: Database, kind: str, parent_id: int, data: dict[str, Any]) -> int:
    """Recreate a deleted node with its children at its old position; return its new id."""
    data = dict(data)
    children = data.pop("children", [])
    position = data.pop("position", None)
    title = data.pop("title")
    fields = {k: v for k, v in data.items() if v is not None}
    for k in ("status", "owner_side", "assignee_side"):
        if k in fields:
            fields[k] = ({"objective": ObjectiveStatus, "milestone": MilestoneStatus}[kind]
                         if k == "status" else OwnerSide)(fields[k])
    node_id = add_node(db, kind, parent_id, title, position=position, **fields)
    child_kind = {"objective": "milestone", "milestone": "task"}.get(kind)
    for child in children:
        assert child_kind is not None  # only objectives and milestones have children
        restore_node(db, child_kind, node_id, child)
    return node_id


def move_node(db: Database, kind: str, node_id: int, new_parent_id: int,
              position: int) -> tuple[int, int]:
    """Reorder or re-parent a node; return its old (parent id, position) for undo."""
    relation = {"objective": "objectives", "milestone": "milestones", "task": "tasks"}[kind]
    parent_attr = {"objective": "plan", "milestone": "objective", "task": "milestone"}[kind]
    parent_model = {"objective": SuccessPlan, "milestone": Objective, "task": Milestone}[kind]
    with db.write() as s:
        node = cast("PlanNode | None", s.get(_MODELS[kind], node_id))
        new_parent = cast("SuccessPlan | Objective | Milestone | None",
                          s.get(parent_model, new_parent_id))
        if node is None or new_parent is None:
            raise CsdeskError(f"cannot move this {kind} there")
        old_parent = getattr(node, parent_attr)
        new_plan = new_parent if kind == "objective" else _plan_of(
            s, {"milestone": "objective", "task": "milestone"}[kind], new_parent)
        if new_plan.id != _plan_of(s, kind, node).id:
            raise CsdeskError("a step can move only within its own plan")
        old = (old_parent.id, node.position)
        fk = {"objective": "plan_id", "milestone": "objective_id", "task": "milestone_id"}[kind]
        # Re-point the foreign key rather than moving between collections: removing from
        # the old parent's list would delete the node (delete-orphan).
        setattr(node, fk, new_parent.id)
        s.flush()
        s.expire(old_parent, [relation])
        s.expire(new_parent, [relation])
        siblings = [n for n in getattr(new_parent, relation) if n.id != node.id]
        siblings.insert(max(0, min(position, len(siblings))), node)
        for i, sib in enumerate(siblings):
            sib.position = i
        if old_parent is not new_parent:
            for i, sib in enumerate(n for n in getattr(old_parent, relation)
                                    if n.id != node.id):
                sib.position = i
        s.flush()
        return old


def set_stakeholders(db: Database, plan_id: int, contact_ids: list[int]) -> None:
    """The customer's people involved in the plan (contacts of the same account)."""

    with db.write() as s:
        plan = s.get(SuccessPlan, plan_id)
        if plan is None:
            raise CsdeskError(f"no success plan {plan_id}")
        chosen = s.scalars(select(Contact).where(Contact.id.in_(contact_ids),
                                                 Contact.account_id == plan.account_id)).all()
        plan.stakeholders = list(chosen)


def stakeholder_ids(db: Database, plan_id: int) -> list[int]:
    with db.read() as s:
        plan = s.get(SuccessPlan, plan_id)
        return [c.id for c in plan.stakeholders] if plan else []


def plan_to_template(db: Database, plan_id: int, key: str, name: str,
                     segment: str | None = None) -> None:
    """Save a plan's structure as a template, its dates as days from the plan's start."""
    view = plan_view(db, plan_id)

    def days(d: date | None) -> int | None:
        return (d - view.period_start).days if d else None

    body = {"objectives": [
        {"title": o.title, "kpi_name": o.kpi_name, "kpi_unit": o.kpi_unit,
         "baseline": o.baseline, "target": o.target, "due_days": days(o.due_date),
         "owner_side": o.owner_side,
         "milestones": [{"title": m.title, "due_days": days(m.due_date),
                         "owner_side": m.owner_side, "first_value": m.is_first_value,
                         "tasks": [{"title": t.title, "due_days": days(t.due_date),
                                    "assignee_side": t.assignee_side} for t in m.tasks]}
                        for m in o.milestones]}
        for o in view.objectives]}
    save_template(db, key, name, body, segment, f"Saved from “{view.title}”")


def set_first_value_milestone(db: Database, milestone_id: int) -> None:
    """Exactly one first value milestone per plan: this one."""
    with db.write() as s:
        milestone = s.get(Milestone, milestone_id)
        if milestone is None:
            raise CsdeskError("no such milestone")
        plan = milestone.objective.plan
        for o in plan.objectives:
            for m in o.milestones:
                m.is_first_value = m.id == milestone_id
        if milestone.done_date is not None:
            _reach_first_value(s, plan.account_id, milestone.done_date)


def first_value_milestone_id(db: Database, plan_id: int) -> int | None:
    with db.read() as s:
        return s.scalar(select(Milestone.id).join(Objective).where(
            Objective.plan_id == plan_id, Milestone.is_first_value.is_(True)))


# -- templates ------------------------------------------------------------------------------


def templates(db: Database, segment: str | None = None) -> list[tuple[str, str, str | None]]:
    """(key, name, segment) of the templates, the segment's own first."""
    with db.read() as s:
        rows = [(key, name, seg) for key, name, seg in s.execute(
            select(PlanTemplate.key, PlanTemplate.name, PlanTemplate.segment)
            .order_by(PlanTemplate.name)).tuples()]
    return sorted(rows, key=lambda r: r[2] != segment)


def save_template(db: Database, key: str, name: str, body: dict[str, Any],
                  segment: str | None = None, description: str | None = None) -> None:
    with db.write() as s:
        tpl = s.scalars(select(PlanTemplate).where(PlanTemplate.key == key)).first()
        if tpl is None:
            s.add(PlanTemplate(key=key, name=name, segment=segment, description=description,
                               body=body))
        else:
            tpl.name, tpl.segment, tpl.body = name, segment, body
            tpl.description = description
