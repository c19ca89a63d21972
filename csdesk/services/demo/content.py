"""Words for the demo book: objectives, ticket subjects, activity summaries, churn reasons."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FEATURE_NAMES = (
    "Dashboards", "Reports", "Workflows", "Alerts", "Integrations", "API", "Forecasting",
    "Approvals", "Mobile app", "Audit log", "SSO", "Data export",
)

# (code, category, weight for unhealthy accounts, weight for healthy ones)
CHURN_REASONS = (
    ("product_gap", "controllable", 3, 1),
    ("service_failure", "controllable", 2, 0.5),
    ("missed_expectations", "controllable", 3, 1),
    ("poor_onboarding", "controllable", 3, 0.5),
    ("no_first_value", "controllable", 3, 0.3),
    ("acquisition", "uncontrollable", 1, 2),
    ("budget_cut", "uncontrollable", 1.5, 2),
    ("business_closed", "uncontrollable", 0.5, 1),
)


def churn_reason(rng: np.random.Generator, h: float) -> tuple[str, str]:
    weights = np.array([r[2] if h < 0 else r[3] for r in CHURN_REASONS], dtype=float)
    pick = CHURN_REASONS[int(rng.choice(len(CHURN_REASONS), p=weights / weights.sum()))]
    return pick[0], pick[1]


def renewal_note(outcome: str) -> str:
    return {
        "renewed": "Renewed on the same terms.",
        "expanded": "Renewed with more seats after a strong year.",
        "downsold": "Renewed with fewer seats; budget pressure.",
        "churned": "Did not renew.",
    }[outcome]


def advocacy(rng: np.random.Generator, h: float) -> str:
    levels = ("none", "passive", "active", "strategic", "evangelist")
    score = h + rng.normal(0, 0.8)
    return levels[int(np.clip(np.floor(score + 1.5), 0, 4))]


_TICKETS = (
    "Cannot export report to Excel", "SSO login fails for new users", "Dashboard loads slowly",
    "Invoice shows wrong seat count", "API rate limit reached", "Workflow stuck in approval",
    "Alert emails not arriving", "Need help configuring integrations", "Data sync delayed",
    "Mobile app crashes on start", "Permission error on shared folder", "Question about billing",
)


def ticket_subjects(rng: np.random.Generator, n: int) -> list[str]:
    return [_TICKETS[i] for i in rng.integers(0, len(_TICKETS), n).tolist()]


_NPS = {
    "detractor": ("Too slow for our team.", "Support took too long.", "Missing features we need.",
                  None),
    "passive": ("Does the job.", "Fine, but onboarding was long.", None, None),
    "promoter": ("Our team relies on it every day.", "Great support and roadmap.",
                 "Saved us hours every week.", None),
}


def nps_comments(rng: np.random.Generator, scores: np.ndarray) -> list[str | None]:
    out: list[str | None] = []
    for s in scores.tolist():
        group = "detractor" if s <= 6 else "passive" if s <= 8 else "promoter"
        options = _NPS[group]
        out.append(options[int(rng.integers(len(options)))])
    return out


_PROACTIVE = (
    ("meeting", "Monthly success check-in"), ("call", "Adoption review call"),
    ("email", "Shared best-practice guide"), ("qbr", "Quarterly business review"),
    ("meeting", "Roadmap preview with sponsor"), ("onsite", "On-site workshop"),
    ("call", "Executive sponsor touch-base"), ("email", "Invited to customer webinar"),
)
_REACTIVE = (
    ("call", "Escalation call about outage"), ("email", "Answered billing question"),
    ("meeting", "Troubleshooting session"), ("note", "Customer raised a complaint"),
    ("call", "Support follow-up"),
)


def activities(rng: np.random.Generator, proactive: np.ndarray) -> tuple[list[str], list[str]]:
    kinds, summaries = [], []
    for p in proactive.tolist():
        options = _PROACTIVE if p else _REACTIVE
        kind, summary = options[int(rng.integers(len(options)))]
        kinds.append(kind)
        summaries.append(summary)
    return kinds, summaries


def plan_title(segment_index: int) -> str:
    return ("Enterprise success plan", "Adoption plan", "Tech-touch onboarding plan",
            "Self-serve plan")[segment_index]


@dataclass(frozen=True)
class ObjectiveSpec:
    title: str
    kpi: str
    unit: str
    baseline: float
    target: float
    dollars_per_unit: float
    method: str
    milestones: tuple[tuple[str, int], ...]


OBJECTIVES = (
    ObjectiveSpec("Cut invoice processing time", "Hours per 100 invoices", "h", 40, 15, 2_600,
                  "Hours saved × loaded hourly cost × yearly volume",
                  (("First invoices processed in production", 30), ("Team trained", 60),
                   ("All regions live", 120))),
    ObjectiveSpec("Reduce churned end customers", "Monthly churn", "%", 4.0, 2.5, 40_000,
                  "Retained revenue per churn point",
                  (("Churn dashboard live", 30), ("Playbooks running", 90))),
    ObjectiveSpec("Faster month-end close", "Days to close", "days", 9, 4, 9_000,
                  "Finance team days saved × daily cost",
                  (("First automated close", 45), ("Close checklist adopted", 90),
                   ("Audit sign-off", 150))),
    ObjectiveSpec("Raise first-contact resolution", "First-contact resolution", "%", 55, 75,
                  1_200, "Fewer repeat contacts × cost per contact",
                  (("Knowledge base connected", 30), ("Agents onboarded", 75))),
    ObjectiveSpec("Increase sales pipeline coverage", "Pipeline coverage", "×", 2.1, 3.5,
                  25_000, "Incremental pipeline × win rate",
                  (("Forecast dashboard adopted", 40), ("Weekly pipeline review", 100))),
    ObjectiveSpec("Lower onboarding time for new hires", "Days to productivity", "days", 30, 12,
                  1_500, "Days saved × new hires × daily cost",
                  (("Training paths published", 30), ("First cohort completed", 80))),
)


_TASKS = ("Kick-off call", "Share data export", "Configure workspace", "Review results",
          "Sign-off from sponsor", "Train admins")


def milestone_tasks(rng: np.random.Generator) -> list[str]:
    k = int(rng.integers(1, 3))
    return [_TASKS[i] for i in rng.choice(len(_TASKS), size=k, replace=False).tolist()]


# CSM pulse reasons (the book's default list, services.health.pulse), by what they say.
PULSE_WORRIES = ("Exec sponsor change", "Budget cuts", "Low adoption", "Product gaps",
                 "Support issues", "Competitor evaluating")
PULSE_STRENGTHS = ("Strong champion", "Expanding use", "Value proven")


# QBR records: who from the customer attends, what is decided, and who promises what
QBR_ATTENDEES = ("Head of Operations", "VP Finance", "IT Director", "Programme Manager",
                 "Team Lead, Accounts Payable", "Chief of Staff")
QBR_DECISIONS = (
    "Roll out to the second business unit next quarter",
    "Move weekly reporting into the product",
    "Keep the current seat count until adoption passes 80 %",
    "Run a joint workshop on the new approval flow",
)
QBR_COMMITMENTS = (
    ("customer", "Name an admin for each region"),
    ("vendor", "Send the single sign-on setup guide"),
    ("customer", "Share last quarter's baseline figures"),
    ("vendor", "Run a training session for new team leads"),
    ("customer", "Confirm the executive sponsor for the next review"),
    ("vendor", "Fix the export timeout raised in the review"),
    ("customer", "Connect the second data source"),
    ("vendor", "Prepare a usage report per team"),
)

