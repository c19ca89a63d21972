"""The book-of-business schema: SQLAlchemy 2.x typed models, one module per aggregate.

Importing this package registers every table on :data:`Base.metadata`, which Alembic
compares against the migrations.
"""

from __future__ import annotations

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
