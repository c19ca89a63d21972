"""What every new book starts with: the default health model and the playbook catalogue.

Both are data, seeded once into the book (never overwritten), so the CSM can edit them and
later versions of csdesk can add to them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from csdesk.db import Database
from csdesk.models import HealthModel, PlanTemplate, PlaybookRule
from csdesk.models.enums import Priority

HEALTH_INPUTS: tuple[str, ...] = (
    "seat_utilisation",
    "usage_trend",
    "adoption_breadth",
    "days_since_proactive_touch",
    "relationship",
    "support_load",
    "sentiment",
    "time_to_first_value",
    "csm_sentiment",
    "login_volume",
    "csm_pulse",
    "usage_change",
    "users_change",
    "days_of_silence",
)

DEFAULT_HEALTH_CONFIG: dict[str, Any] = {
    "inputs": {
        "seat_utilisation": {"enabled": True, "weight": 20},
        "usage_trend": {"enabled": True, "weight": 15},
        "adoption_breadth": {"enabled": True, "weight": 15},
        "days_since_proactive_touch": {"enabled": True, "weight": 10},
        "relationship": {"enabled": True, "weight": 15},
        "support_load": {"enabled": True, "weight": 10},
        "sentiment": {"enabled": True, "weight": 10},
        "time_to_first_value": {"enabled": True, "weight": 5},
        "csm_sentiment": {"enabled": True, "weight": 5},
        "login_volume": {"enabled": False, "weight": 0},
        # Off: shown beside the score, never blended into it unless the CSM turns it on.
        "csm_pulse": {"enabled": False, "weight": 0},
        # Off until calibration shows the book's churn follows them.
        "usage_change": {"enabled": False, "weight": 0},
        "users_change": {"enabled": False, "weight": 0},
        "days_of_silence": {"enabled": False, "weight": 0},
    },
    "bands": {"green": 70, "yellow": 40},
    "stale_manual_days": 90,
    # A score needs this much evidence: at least min_inputs inputs present, carrying at
    # least min_weight of the enabled weight. Below it the account has no score ("not
    # enough data"), never a number made from one or two inputs.
    "evidence": {"min_inputs": 3, "min_weight": 0.5},
}


@dataclass(frozen=True)
class RuleSpec:
    key: str
    name: str
    description: str
    task_title: str
    priority: Priority
    due_offset_days: int
    params: dict[str, Any] = field(default_factory=dict)
    checklist: tuple[str, ...] = ()


BUILTIN_RULES: tuple[RuleSpec, ...] = (
    RuleSpec(
        "health_drop", "Health dropped", "Health turned red, or fell by N points in 30 days.",
        "Run the at-risk save play", Priority.HIGH, 3, {"drop_points": 20, "window_days": 30},
        ("Review health breakdown", "Call the champion", "Agree a recovery plan"),
    ),
    RuleSpec(
        "onboarding_stall", "Onboarding stalled",
        "An onboarding account has not reached its first value milestone by day N (and is "
        "not a customer of more than a year, whose stage is stale).",
        "Unblock onboarding", Priority.HIGH, 5, {"day": 30, "until_day": 365},
        ("Find the blocker", "Re-plan the first value milestone"),
    ),
    RuleSpec(
        "renewal_checkpoint", "Renewal checkpoint",
        "A renewal checkpoint (180/120/90/60/30 days by segment) has been reached.",
        "Renewal step", Priority.MEDIUM, 7, {"checkpoints": [180, 120, 90, 60, 30]},
    ),
    RuleSpec(
        "no_proactive_touch", "No proactive touch",
        "No proactive touch for N days (by engagement model).",
        "Reach out proactively", Priority.MEDIUM, 7,
        {"high_touch": 14, "mid_touch": 30, "tech_touch": 90},
    ),
    RuleSpec(
        "relationship_risk", "Relationship at risk",
        "The champion left, or the executive sponsor has been quiet for N days.",
        "Rebuild the relationship", Priority.HIGH, 7,
        {"sponsor_quiet_days": 90, "champion_left_within_days": 180},
        ("Identify a new champion", "Book an executive check-in"),
    ),
    RuleSpec(
        "adoption_plateau", "Adoption plateau", "Feature breadth flat for N days.",
        "Run the adoption play", Priority.LOW, 14, {"flat_days": 60},
    ),
    RuleSpec(
        "expansion_signal", "Expansion signal", "An expansion signal fired.",
        "Qualify expansion", Priority.MEDIUM, 14,
    ),
    RuleSpec(
        "nps_detractor", "NPS detractor", "An NPS answer of 6 or less.",
        "Follow up with the detractor", Priority.HIGH, 7, {"max_score": 6, "within_days": 30},
    ),
    RuleSpec(
        "nps_promoter", "NPS promoter", "An NPS answer of 9 or more: ask for advocacy.",
        "Advocacy ask", Priority.LOW, 14, {"min_score": 9, "within_days": 30},
        ("Ask for a review", "Offer a case study", "Ask to be a reference"),
    ),
    RuleSpec(
        "qbr_due", "QBR due",
        "No QBR recorded within N months (by engagement model; 0: none). The checklist adds "
        "the previous QBR's open commitments and decisions to follow up.",
        "Hold the QBR", Priority.MEDIUM, 14,
        {"high_touch_months": 3, "mid_touch_months": 6, "tech_touch_months": 0},
        ("Agree the date and attendees", "Prepare the QBR deck", "Record the QBR in csdesk"),
    ),
)


def ensure_defaults(db: Database) -> None:
    """Seed the default health model, plan templates and any built-in rule the book lacks.

    A book that has them all is only read: no write lock is taken, so a reader (an account
    page explaining its health on the reading lane) can call this freely."""
    with db.read() as s:
        complete = (set(DEFAULT_TEMPLATES) <= set(s.scalars(select(PlanTemplate.key)))
                    and s.scalar(select(HealthModel.id).limit(1)) is not None
                    and {spec.key for spec in BUILTIN_RULES}
                    <= set(s.scalars(select(PlaybookRule.key))))
    if complete:
        return
    with db.write() as s:
        have_templates = set(s.scalars(select(PlanTemplate.key)))
        for key, t in DEFAULT_TEMPLATES.items():
            if key not in have_templates:
                s.add(PlanTemplate(key=key, name=t["name"], segment=t["segment"],
                                   description=t["description"], body=t["body"]))
        if s.scalar(select(HealthModel.id).limit(1)) is None:
            s.add(HealthModel(name="Default", version=1, segment=None,
                              config=DEFAULT_HEALTH_CONFIG, is_active=True,
                              notes="Shipped default: equal-ish weights, not yet calibrated."))
        have = set(s.scalars(select(PlaybookRule.key)))
        for spec in BUILTIN_RULES:
            if spec.key in have:
                continue
            s.add(PlaybookRule(
                key=spec.key, name=spec.name, description=spec.description,
                enabled=True, params=dict(spec.params), task_title=spec.task_title,
                due_offset_days=spec.due_offset_days, priority=spec.priority,
                checklist=list(spec.checklist),
            ))


def _ms(title: str, days: int, side: str = "vendor", first: bool = False,
        tasks: tuple[tuple[str, int, str], ...] = ()) -> dict[str, Any]:
    return {"title": title, "due_days": days, "owner_side": side, "first_value": first,
            "tasks": [{"title": t, "due_days": d, "assignee_side": a} for t, d, a in tasks]}


DEFAULT_TEMPLATES: dict[str, dict[str, Any]] = {
    "enterprise-onboarding": {
        "name": "Enterprise onboarding (30/60/90)", "segment": "enterprise",
        "description": "Kick-off to first value in 30 days, adoption by 60, outcomes by 90.",
        "body": {"objectives": [
            {"title": "Go live and reach first value", "kpi_name": "Teams live", "kpi_unit":
             "teams", "baseline": 0, "target": 5, "due_days": 30, "owner_side": "vendor",
             "milestones": [
                 _ms("Kick-off with sponsor and champion", 5, "vendor", tasks=(
                     ("Confirm success criteria from the handoff", 3, "vendor"),
                     ("Share the mutual action plan", 5, "vendor"))),
                 _ms("First team live in production", 30, "customer", first=True, tasks=(
                     ("Connect data sources", 14, "customer"),
                     ("Admin training", 21, "vendor")))]},
            {"title": "Adopt across the business", "kpi_name": "Weekly active users",
             "kpi_unit": "users", "baseline": 0, "target": 200, "due_days": 60,
             "owner_side": "customer", "milestones": [
                 _ms("All teams onboarded", 60, "customer", tasks=(
                     ("Train team leads", 45, "vendor"),))]},
            {"title": "Prove the business outcome", "kpi_name": "Hours saved a week",
             "kpi_unit": "h", "baseline": 0, "target": 40, "due_days": 90,
             "owner_side": "customer", "milestones": [
                 _ms("90-day business review", 90, "vendor", tasks=(
                     ("Collect before/after metrics", 80, "customer"),))]},
        ]},
    },
    "mid-market-adoption": {
        "name": "Mid-market adoption", "segment": "mid_market",
        "description": "First value in 30 days, then broaden use within a quarter.",
        "body": {"objectives": [
            {"title": "Reach first value", "kpi_name": "Key workflows live", "kpi_unit":
             "workflows", "baseline": 0, "target": 3, "due_days": 30, "owner_side": "vendor",
             "milestones": [
                 _ms("Kick-off", 3, "vendor"),
                 _ms("First workflow live", 30, "customer", first=True, tasks=(
                     ("Import data", 10, "customer"),))]},
            {"title": "Broaden adoption", "kpi_name": "Seat utilisation", "kpi_unit": "%",
             "baseline": 20, "target": 75, "due_days": 90, "owner_side": "customer",
             "milestones": [_ms("Adoption check-in", 60, "vendor")]},
        ]},
    },
    "smb-tech-touch": {
        "name": "SMB tech-touch onboarding", "segment": "smb",
        "description": "Self-guided onboarding with two check-ins.",
        "body": {"objectives": [
            {"title": "Get set up and see value", "kpi_name": "Active users", "kpi_unit":
             "users", "baseline": 0, "target": 5, "due_days": 30, "owner_side": "customer",
             "milestones": [
                 _ms("Workspace configured", 7, "customer"),
                 _ms("First report shared", 21, "customer", first=True),
                 _ms("30-day check-in", 30, "vendor")]},
        ]},
    },
}
