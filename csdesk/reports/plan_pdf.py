"""The success plan as a handout: the mutual action plan, without a portal login.

Built from a :class:`~csdesk.services.plans.success_plans.PlanView` alone (no queries).
"""

from __future__ import annotations

import io
import os

from reportlab.lib.styles import ParagraphStyle

from csdesk.reports.document import Branding, ProgressBar, Report
from csdesk.services.formatting import format_date, format_number
from csdesk.services.plans.success_plans import ObjectiveView, PlanView


def _nice(value: str) -> str:
    return value.replace("_", " ").capitalize()


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _kpi(o: ObjectiveView) -> str:
    if o.baseline is None and o.target is None:
        return ""
    unit = f" {o.kpi_unit}" if o.kpi_unit else ""
    name = f"{o.kpi_name}: " if o.kpi_name else ""
    return (f"{name}{format_number(o.baseline)} → {format_number(o.current)} "
            f"(target {format_number(o.target)}){unit}")


def plan_report(plan: PlanView, branding: Branding | None = None) -> Report:
    r = Report(f"Success plan — {plan.account_name}", branding)
    r.masthead(f"Success plan — {plan.account_name}",
               f"{plan.title} · from {format_date(plan.period_start)}"
               + (f" to {format_date(plan.period_end)}" if plan.period_end else "")
               + f" · {_nice(plan.status)}")
    facts = [f"Milestones done: {_pct(plan.completion)}",
             f"Outcomes, on average: {_pct(plan.outcome_progress)} of the way to target",
             f"Overdue items: {plan.overdue}"]
    if plan.first_value_milestone:
        reached = (f" — reached after {plan.days_to_first_value} days"
                   if plan.days_to_first_value is not None else " — not reached yet")
        facts.append(f"First value milestone: {plan.first_value_milestone}{reached}")
    for line in facts:
        r.paragraph(line)
    if plan.stakeholders:
        r.paragraph("Stakeholders: " + ", ".join(plan.stakeholders))
    if not plan.objectives:
        r.spacer()
        r.paragraph("This plan has no objectives yet.")
    for o in plan.objectives:
        r.heading(o.title)
        owner = _nice(o.owner_side) + (f" ({o.owner_contact})" if o.owner_contact else "")
        r.add(r.para(r.text(f"Status: {_nice(o.status)} · owner: {owner} · due "
                            f"{format_date(o.due_date)}")
                     + (" · " + r.warn("overdue") if o.overdue else ""),
                     ParagraphStyle("meta", r.styles.small, keepWithNext=1)))
        if _kpi(o):
            r.add(r.para(r.text(_kpi(o)), ParagraphStyle("kpi", r.styles.body, keepWithNext=1)))
        if o.bar is not None:  # the bar objective_state gives, agreeing with the status
            r.add(ProgressBar(o.bar, r.branding.accent, o.bar_label))
        rows: list[list[object]] = []
        for m in o.milestones:
            star = "★ " if m.is_first_value else ""
            status = r.text(_nice(m.status)) + (" " + r.warn("overdue") if m.overdue else "")
            rows.append([f"{star}{m.title}", _nice(m.owner_side), format_date(m.due_date),
                         format_date(m.done_date), r.para(status, r.styles.cell)])
            for t in m.tasks:
                status = "Done" if t.done else "Open"
                rows.append([r.para("• " + r.text(t.title), r.styles.cell_indent),
                             _nice(t.assignee_side), format_date(t.due_date), "",
                             r.para(r.text(status) + (" " + r.warn("overdue") if t.overdue
                                                      else ""), r.styles.cell)])
        if rows:
            r.table(["Milestone / task", "Owner", "Due", "Done", "Status"], rows,
                    [46, 12, 14, 14, 16])
    if any(m.is_first_value for o in plan.objectives for m in o.milestones):
        r.spacer()
        r.paragraph("★ marks the first value milestone: the moment the customer first gets "
                    "the outcome they bought.", r.styles.small)
    return r


def write_plan_pdf(plan: PlanView, out: str | os.PathLike[str] | io.BytesIO,
                   branding: Branding | None = None) -> set[str]:
    """Write the PDF; return the characters no font could print (empty when all did)."""
    return plan_report(plan, branding).build(out)
