"""The Account aggregate: the customer company and the people a CSM works with there."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from csdesk.models.base import Base, ChildOptions, TimestampMixin, VersionedMixin, str_enum
from csdesk.models.enums import (
    AccountStatus,
    AdvocacyLevel,
    EngagementModel,
    LifecycleStage,
    Segment,
    Sentiment,
)

if TYPE_CHECKING:
    from csdesk.models.commercial import Opportunity, Renewal, Subscription
    from csdesk.models.engagement import Activity, SupportTicket, SurveyResponse
    from csdesk.models.success import SuccessPlan, ValueOutcome
    from csdesk.models.usage import FeatureUsage, UsageSnapshot

# Children of an account go with it: the database cascades (ON DELETE CASCADE) and the ORM
# trusts it (passive_deletes) rather than loading millions of usage rows to delete them.
_CHILD: ChildOptions = {"cascade": "all, delete-orphan", "passive_deletes": True}


class Account(VersionedMixin, TimestampMixin, Base):
    """A customer company in the book of business."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The CRM's id, kept as text: leading zeros and 18-character Salesforce ids survive, and
    # ids that differ only in case stay different (binary comparison on both dialects).
    external_id: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str] = mapped_column(String(255), index=True)
    domain: Mapped[str | None] = mapped_column(String(255), index=True)
    industry: Mapped[str | None] = mapped_column(String(120))
    region: Mapped[str | None] = mapped_column(String(120))
    owner: Mapped[str | None] = mapped_column(String(120), index=True)
    # The effective segment; derived from ARR unless segment_override is set.
    segment: Mapped[Segment] = mapped_column(str_enum(Segment, "segment"), index=True)
    segment_override: Mapped[Segment | None] = mapped_column(str_enum(Segment, "segment_override"))
    engagement_model: Mapped[EngagementModel] = mapped_column(
        str_enum(EngagementModel, "engagement_model")
    )
    lifecycle_stage: Mapped[LifecycleStage] = mapped_column(
        str_enum(LifecycleStage, "lifecycle_stage"), default=LifecycleStage.ONBOARDING
    )
    status: Mapped[AccountStatus] = mapped_column(
        str_enum(AccountStatus, "account_status"), default=AccountStatus.ACTIVE, index=True
    )
    churned_on: Mapped[date | None]
    customer_since: Mapped[date | None]
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), index=True
    )
    first_value_date: Mapped[date | None]
    # The CRM's "Last Activity Date": a touch csdesk has no record of on its timeline.
    last_activity_on: Mapped[date | None]
    # Imported columns with no home of their own are kept here, never dropped.
    custom_fields: Mapped[dict[str, Any]] = mapped_column(default=dict)

    parent: Mapped[Account | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Account]] = relationship(back_populates="parent")
    contacts: Mapped[list[Contact]] = relationship(back_populates="account", **_CHILD)
    subscriptions: Mapped[list[Subscription]] = relationship(back_populates="account", **_CHILD)
    usage: Mapped[list[UsageSnapshot]] = relationship(back_populates="account", **_CHILD)
    feature_usage: Mapped[list[FeatureUsage]] = relationship(back_populates="account", **_CHILD)
    tickets: Mapped[list[SupportTicket]] = relationship(back_populates="account", **_CHILD)
    surveys: Mapped[list[SurveyResponse]] = relationship(back_populates="account", **_CHILD)
    activities: Mapped[list[Activity]] = relationship(back_populates="account", **_CHILD)
    success_plans: Mapped[list[SuccessPlan]] = relationship(back_populates="account", **_CHILD)
    value_outcomes: Mapped[list[ValueOutcome]] = relationship(back_populates="account", **_CHILD)
    renewals: Mapped[list[Renewal]] = relationship(back_populates="account", **_CHILD)
    opportunities: Mapped[list[Opportunity]] = relationship(back_populates="account", **_CHILD)

    __table_args__ = (
        CheckConstraint("length(trim(external_id)) > 0", name="external_id_not_blank"),
        CheckConstraint("length(trim(name)) > 0", name="name_not_blank"),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
    )

    def __repr__(self) -> str:
        return f"Account(id={self.id!r}, external_id={self.external_id!r}, name={self.name!r})"


class Contact(VersionedMixin, TimestampMixin, Base):
    """A person at a customer account, with the roles that matter to a CSM."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    external_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    title: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(64))
    is_champion: Mapped[bool] = mapped_column(Boolean, default=False)
    is_executive_sponsor: Mapped[bool] = mapped_column(Boolean, default=False)
    is_economic_buyer: Mapped[bool] = mapped_column(Boolean, default=False)
    is_user: Mapped[bool] = mapped_column(Boolean, default=True)
    sentiment: Mapped[Sentiment] = mapped_column(
        str_enum(Sentiment, "sentiment"), default=Sentiment.UNKNOWN
    )
    sentiment_on: Mapped[date | None]
    advocacy_level: Mapped[AdvocacyLevel] = mapped_column(
        str_enum(AdvocacyLevel, "advocacy_level"), default=AdvocacyLevel.NONE
    )
    last_contacted: Mapped[date | None]
    left_company: Mapped[bool] = mapped_column(Boolean, default=False)
    left_on: Mapped[date | None]
    notes: Mapped[str | None] = mapped_column(Text)
    custom_fields: Mapped[dict[str, Any]] = mapped_column(default=dict)

    account: Mapped[Account] = relationship(back_populates="contacts")

    __table_args__ = (
        Index("ix_contacts_account_id", "account_id"),
        CheckConstraint("length(trim(name)) > 0", name="name_not_blank"),
    )
