"""The book-of-business schema: SQLAlchemy 2.x typed models, one module per aggregate.

The models load on first use (``from csdesk.models import Account``), all at once, which
registers every table on :data:`Base.metadata` (Alembic compares it against the
migrations). ``csdesk.models.enums`` alone needs no SQLAlchemy: ``csdesk --help`` and the
other commands that never touch a book start without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from csdesk.models.account import Account, Contact
    from csdesk.models.base import Base
    from csdesk.models.commercial import Opportunity, Renewal, Subscription
    from csdesk.models.engagement import Activity, SupportTicket, SurveyResponse, activity_contacts
    from csdesk.models.feedback import FeatureRequest, ProductItem, ProductUpdate
    from csdesk.models.health import HealthModel, HealthSnapshot
    from csdesk.models.history import FieldHistory
    from csdesk.models.money import ExchangeRate
    from csdesk.models.playbooks import PlaybookRule, Task
    from csdesk.models.pulse import PulseEntry
    from csdesk.models.qbr import QbrAttendee, QbrCommitment, QbrMeeting
    from csdesk.models.success import (
        Handoff,
        Milestone,
        Objective,
        PlanTask,
        PlanTemplate,
        SuccessPlan,
        ValueOutcome,
        plan_stakeholders,
    )
    from csdesk.models.system import ImportLog, Setting
    from csdesk.models.usage import FeatureUsage, UsageSnapshot

__all__ = [
    "Account",
    "Activity",
    "Base",
    "Contact",
    "ExchangeRate",
    "FeatureRequest",
    "FeatureUsage",
    "FieldHistory",
    "Handoff",
    "HealthModel",
    "HealthSnapshot",
    "ImportLog",
    "Milestone",
    "Objective",
    "Opportunity",
    "PlanTask",
    "PlanTemplate",
    "PlaybookRule",
    "ProductItem",
    "ProductUpdate",
    "PulseEntry",
    "QbrAttendee",
    "QbrCommitment",
    "QbrMeeting",
    "Renewal",
    "Setting",
    "Subscription",
    "SuccessPlan",
    "SupportTicket",
    "SurveyResponse",
    "Task",
    "UsageSnapshot",
    "ValueOutcome",
    "activity_contacts",
    "plan_stakeholders",
]


_MODULES = ("account", "base", "commercial", "engagement", "feedback", "health", "history",
            "money", "playbooks", "pulse", "qbr", "success", "system", "usage")


def _load() -> dict[str, Any]:
    """Import every model module (all at once, so every mapper and table is there)."""
    from importlib import import_module

    found: dict[str, Any] = {}
    for module in _MODULES:
        found.update(vars(import_module(f"csdesk.models.{module}")))
    return found


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    names = _load()
    globals().update((k, names[k]) for k in __all__)
    return names[name]
