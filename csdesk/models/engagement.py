"""What happens between a customer and the vendor: tickets, surveys and CSM activities."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from csdesk.models.base import Base, TimestampMixin, VersionedMixin, str_enum
from csdesk.models.enums import ActivityKind, SurveyKind, TicketPriority, TicketStatus

if TYPE_CHECKING:
    from csdesk.models.account import Account, Contact


class SupportTicket(TimestampMixin, Base):
    """A support case raised by the customer."""

    __tablename__ = "support_tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    external_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    subject: Mapped[str] = mapped_column(String(500))
    opened_on: Mapped[date]
    closed_on: Mapped[date | None]
    priority: Mapped[TicketPriority] = mapped_column(
        str_enum(TicketPriority, "ticket_priority"), default=TicketPriority.NORMAL
    )
    status: Mapped[TicketStatus] = mapped_column(
        str_enum(TicketStatus, "ticket_status"), default=TicketStatus.OPEN
    )
    is_escalation: Mapped[bool] = mapped_column(Boolean, default=False)
    custom_fields: Mapped[dict[str, Any]] = mapped_column(default=dict)

    account: Mapped[Account] = relationship(back_populates="tickets")

    __table_args__ = (
        Index("ix_support_tickets_account_id_opened_on", "account_id", "opened_on"),
        CheckConstraint("closed_on IS NULL OR closed_on >= opened_on", name="closed_after_open"),
    )


class SurveyResponse(TimestampMixin, Base):
    """An NPS (0–10) or CSAT (1–5) answer, with the customer's comment."""

    __tablename__ = "survey_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[SurveyKind] = mapped_column(str_enum(SurveyKind, "survey_kind"))
    score: Mapped[int] = mapped_column(Integer)
    responded_on: Mapped[date]
    comment: Mapped[str | None] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    custom_fields: Mapped[dict[str, Any]] = mapped_column(default=dict)

    account: Mapped[Account] = relationship(back_populates="surveys")
    contact: Mapped[Contact | None] = relationship()

    __table_args__ = (
        Index("ix_survey_responses_account_id_responded_on", "account_id", "responded_on"),
        CheckConstraint(
            "(kind = 'nps' AND score BETWEEN 0 AND 10)"
            " OR (kind = 'csat' AND score BETWEEN 1 AND 5)",
            name="score_range",
        ),
    )


activity_contacts = Table(
    "activity_contacts",
    Base.metadata,
    Column(
        "activity_id", ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("contact_id", ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True),
)


class Activity(VersionedMixin, TimestampMixin, Base):
    """A touchpoint on the account's timeline: note, call, meeting, email, QBR or on-site."""

    __tablename__ = "activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    kind: Mapped[ActivityKind] = mapped_column(str_enum(ActivityKind, "activity_kind"))
    occurred_on: Mapped[date]
    summary: Mapped[str] = mapped_column(String(500))
    details: Mapped[str | None] = mapped_column(Text)
    # Proactive: the CSM reached out first; reactive: answering the customer or a fire.
    proactive: Mapped[bool] = mapped_column(Boolean, default=True)
    owner: Mapped[str | None] = mapped_column(String(120))
    external_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    custom_fields: Mapped[dict[str, Any]] = mapped_column(default=dict)

    account: Mapped[Account] = relationship(back_populates="activities")
    contacts: Mapped[list[Contact]] = relationship(secondary=activity_contacts)

    __table_args__ = (
        Index("ix_activities_account_id_occurred_on", "account_id", "occurred_on"),
    )


__all__ = ["Activity", "SupportTicket", "SurveyResponse", "activity_contacts"]
