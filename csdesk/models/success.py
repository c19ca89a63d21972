"""Success plans (objective → milestone → task) and the log of value delivered."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from csdesk.models.base import (
    CURRENCY,
    MONEY,
    Base,
    ChildOptions,
    TimestampMixin,
    VersionedMixin,
    str_enum,
)
from csdesk.models.enums import MilestoneStatus, ObjectiveStatus, OwnerSide, PlanStatus

if TYPE_CHECKING:
    from csdesk.models.account import Account, Contact

_CHILD: ChildOptions = {"cascade": "all, delete-orphan", "passive_deletes": True}

plan_stakeholders = Table(
    "plan_stakeholders",
    Base.metadata,
    Column("plan_id", ForeignKey("success_plans.id", ondelete="CASCADE"), primary_key=True),
    Column("contact_id", ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True),
)


class SuccessPlan(VersionedMixin, TimestampMixin, Base):
    """The mutual action plan agreed with the customer; one active per account."""

    __tablename__ = "success_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(255))
    period_start: Mapped[date]
    period_end: Mapped[date | None]
    status: Mapped[PlanStatus] = mapped_column(
        str_enum(PlanStatus, "plan_status"), default=PlanStatus.DRAFT
    )

    account: Mapped[Account] = relationship(back_populates="success_plans")
    objectives: Mapped[list[Objective]] = relationship(
        back_populates="plan", order_by="Objective.position", **_CHILD
    )
    stakeholders: Mapped[list[Contact]] = relationship(secondary=plan_stakeholders)

    __table_args__ = (
        Index("ix_success_plans_account_id", "account_id"),
        CheckConstraint(
            "period_end IS NULL OR period_end >= period_start", name="period_ordered"
        ),
    )


class Objective(VersionedMixin, TimestampMixin, Base):
    """A business outcome in the customer's words, measured by a KPI from baseline to target."""

    __tablename__ = "objectives"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("success_plans.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(500))
    kpi_name: Mapped[str | None] = mapped_column(String(255))
    kpi_unit: Mapped[str | None] = mapped_column(String(64))
    baseline: Mapped[float | None] = mapped_column(Float)
    current: Mapped[float | None] = mapped_column(Float)
    target: Mapped[float | None] = mapped_column(Float)
    due_date: Mapped[date | None]
    status: Mapped[ObjectiveStatus] = mapped_column(
        str_enum(ObjectiveStatus, "objective_status"), default=ObjectiveStatus.NOT_STARTED
    )
    # The CSM set the status against what the numbers say (success_plans.objective_status);
    # otherwise the status follows baseline, current, target and the due date.
    status_overridden: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    owner_side: Mapped[OwnerSide] = mapped_column(
        str_enum(OwnerSide, "objective_owner_side"), default=OwnerSide.CUSTOMER
    )
    owner_contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )

    plan: Mapped[SuccessPlan] = relationship(back_populates="objectives")
    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="objective", order_by="Milestone.position", **_CHILD
    )
    owner_contact: Mapped[Contact | None] = relationship()


class Milestone(VersionedMixin, TimestampMixin, Base):
    """A dated step toward an objective; one per plan is the first value milestone."""

    __tablename__ = "milestones"

    id: Mapped[int] = mapped_column(primary_key=True)
    objective_id: Mapped[int] = mapped_column(
        ForeignKey("objectives.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(500))
    due_date: Mapped[date | None]
    done_date: Mapped[date | None]
    status: Mapped[MilestoneStatus] = mapped_column(
        str_enum(MilestoneStatus, "milestone_status"), default=MilestoneStatus.PLANNED
    )
    owner_side: Mapped[OwnerSide] = mapped_column(
        str_enum(OwnerSide, "milestone_owner_side"), default=OwnerSide.VENDOR
    )
    is_first_value: Mapped[bool] = mapped_column(Boolean, default=False)

    objective: Mapped[Objective] = relationship(back_populates="milestones")
    tasks: Mapped[list[PlanTask]] = relationship(
        back_populates="milestone", order_by="PlanTask.position", **_CHILD
    )


class PlanTask(VersionedMixin, TimestampMixin, Base):
    """A to-do under a milestone, assigned to the customer's side or ours."""

    __tablename__ = "plan_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    milestone_id: Mapped[int] = mapped_column(
        ForeignKey("milestones.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(500))
    assignee_side: Mapped[OwnerSide] = mapped_column(
        str_enum(OwnerSide, "plan_task_assignee_side"), default=OwnerSide.VENDOR
    )
    due_date: Mapped[date | None]
    done: Mapped[bool] = mapped_column(Boolean, default=False)

    milestone: Mapped[Milestone] = relationship(back_populates="tasks")


class ValueOutcome(VersionedMixin, TimestampMixin, Base):
    """Dated, evidenced value delivered to the customer: the record a QBR proves value from."""

    __tablename__ = "value_outcomes"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    objective_id: Mapped[int | None] = mapped_column(
        ForeignKey("objectives.id", ondelete="SET NULL"), index=True
    )
    occurred_on: Mapped[date]
    title: Mapped[str] = mapped_column(String(500))
    metric_name: Mapped[str | None] = mapped_column(String(255))
    metric_unit: Mapped[str | None] = mapped_column(String(64))
    metric_before: Mapped[float | None] = mapped_column(Float)
    metric_after: Mapped[float | None] = mapped_column(Float)
    value_cents: Mapped[int | None] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(CURRENCY, default="USD")
    value_method: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[str | None] = mapped_column(Text)
    evidence_url: Mapped[str | None] = mapped_column(String(2000))
    evidence_file: Mapped[str | None] = mapped_column(String(1000))
    confirmed_by: Mapped[str | None] = mapped_column(String(255))
    confirmed_on: Mapped[date | None]

    account: Mapped[Account] = relationship(back_populates="value_outcomes")

    __table_args__ = (
        Index("ix_value_outcomes_account_id_occurred_on", "account_id", "occurred_on"),
        CheckConstraint("value_cents IS NULL OR value_cents >= 0", name="value_not_negative"),
    )


class PlanTemplate(VersionedMixin, TimestampMixin, Base):
    """A reusable success plan (per segment), with due dates as days from the plan's start.

    ``body``: {"objectives": [{"title", "kpi_name", "kpi_unit", "baseline", "target",
    "due_days", "owner_side", "milestones": [{"title", "due_days", "owner_side",
    "first_value", "tasks": [{"title", "due_days", "assignee_side"}]}]}]}
    """

    __tablename__ = "plan_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    segment: Mapped[str | None] = mapped_column(String(32))
    description: Mapped[str | None] = mapped_column(Text)
    body: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Handoff(VersionedMixin, TimestampMixin, Base):
    """What sales sold and promised, handed to CS: the start of the first success plan."""

    __tablename__ = "handoffs"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"),
                                            unique=True)
    products: Mapped[str | None] = mapped_column(Text)
    seats: Mapped[int | None] = mapped_column(Integer)
    arr_cents: Mapped[int | None] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(CURRENCY, default="USD")
    term_months: Mapped[int | None] = mapped_column(Integer)
    promises: Mapped[str | None] = mapped_column(Text)
    commitments: Mapped[str | None] = mapped_column(Text)
    success_criteria: Mapped[list[Any]] = mapped_column(default=list)
    economic_buyer_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"))
    champion_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    sponsor_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    go_live_date: Mapped[date | None]
    first_value_date: Mapped[date | None]
    risks: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("seats IS NULL OR seats >= 0", name="seats_not_negative"),
        CheckConstraint("arr_cents IS NULL OR arr_cents >= 0", name="arr_not_negative"),
    )
