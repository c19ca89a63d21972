"""The commercial history of an account: subscriptions (ARR), renewals and expansion deals.

GRR and NRR are computed from the subscription history; the renewal date of an account is the
end of its current subscription unless a Renewal record says otherwise.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from csdesk.models.base import CURRENCY, MONEY, Base, TimestampMixin, VersionedMixin, str_enum
from csdesk.models.enums import (
    BillingFrequency,
    ChurnCategory,
    OpportunityKind,
    OpportunityStage,
    RenewalOutcome,
    RenewalStage,
    RenewalTrack,
)

if TYPE_CHECKING:
    from csdesk.models.account import Account


class Subscription(VersionedMixin, TimestampMixin, Base):
    """One contracted term of an account: plan, seats and ARR between two dates."""

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    external_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    start_date: Mapped[date]
    end_date: Mapped[date]
    plan: Mapped[str | None] = mapped_column(String(120))
    seats: Mapped[int] = mapped_column(Integer, default=0)
    arr_cents: Mapped[int] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(CURRENCY, default="USD")
    auto_renew: Mapped[bool] = mapped_column(Boolean, default=False)
    billing_frequency: Mapped[BillingFrequency] = mapped_column(
        str_enum(BillingFrequency, "billing_frequency"), default=BillingFrequency.ANNUAL
    )
    custom_fields: Mapped[dict[str, Any]] = mapped_column(default=dict)

    account: Mapped[Account] = relationship(back_populates="subscriptions")

    __table_args__ = (
        Index("ix_subscriptions_account_id_end_date", "account_id", "end_date"),
        CheckConstraint("end_date >= start_date", name="ends_after_start"),
        CheckConstraint("arr_cents >= 0", name="arr_not_negative"),
        CheckConstraint("seats >= 0", name="seats_not_negative"),
    )


class Renewal(VersionedMixin, TimestampMixin, Base):
    """A renewal event: forecast while pending, outcome (and churn reason) once decided."""

    __tablename__ = "renewals"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    external_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("subscriptions.id", ondelete="SET NULL"), index=True
    )
    renewal_date: Mapped[date] = mapped_column(index=True)
    current_arr_cents: Mapped[int] = mapped_column(MONEY)
    forecast_arr_cents: Mapped[int | None] = mapped_column(MONEY)
    new_arr_cents: Mapped[int | None] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(CURRENCY, default="USD")
    likelihood: Mapped[float | None] = mapped_column(Float)
    likelihood_note: Mapped[str | None] = mapped_column(Text)
    track: Mapped[RenewalTrack] = mapped_column(
        str_enum(RenewalTrack, "renewal_track"), default=RenewalTrack.STANDARD
    )
    track_override: Mapped[RenewalTrack | None] = mapped_column(
        str_enum(RenewalTrack, "renewal_track_override")
    )
    track_override_reason: Mapped[str | None] = mapped_column(Text)
    stage: Mapped[RenewalStage] = mapped_column(
        str_enum(RenewalStage, "renewal_stage"), default=RenewalStage.NOT_STARTED
    )
    outcome: Mapped[RenewalOutcome] = mapped_column(
        str_enum(RenewalOutcome, "renewal_outcome"), default=RenewalOutcome.PENDING, index=True
    )
    closed_on: Mapped[date | None]
    churn_reason_code: Mapped[str | None] = mapped_column(String(64))
    churn_category: Mapped[ChurnCategory | None] = mapped_column(
        str_enum(ChurnCategory, "churn_category")
    )
    notes: Mapped[str | None] = mapped_column(Text)
    custom_fields: Mapped[dict[str, Any]] = mapped_column(default=dict)

    account: Mapped[Account] = relationship(back_populates="renewals")

    __table_args__ = (
        Index("ix_renewals_account_id", "account_id"),
        CheckConstraint(
            "likelihood IS NULL OR (likelihood >= 0 AND likelihood <= 1)", name="likelihood_range"
        ),
        CheckConstraint("current_arr_cents >= 0", name="arr_not_negative"),
        CheckConstraint(
            "outcome <> 'churned' OR churn_reason_code IS NOT NULL", name="churn_has_reason"
        ),
    )


class Opportunity(VersionedMixin, TimestampMixin, Base):
    """An expansion deal (upsell, cross-sell, seats) found by the CSM and handed to sales."""

    __tablename__ = "opportunities"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    external_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    title: Mapped[str] = mapped_column(String(255))
    kind: Mapped[OpportunityKind] = mapped_column(str_enum(OpportunityKind, "opportunity_kind"))
    signal: Mapped[str | None] = mapped_column(Text)
    amount_cents: Mapped[int] = mapped_column(MONEY, default=0)
    currency: Mapped[str] = mapped_column(CURRENCY, default="USD")
    stage: Mapped[OpportunityStage] = mapped_column(
        str_enum(OpportunityStage, "opportunity_stage"), default=OpportunityStage.IDENTIFIED
    )
    close_date: Mapped[date | None]
    handed_to_sales_on: Mapped[date | None]
    handed_to: Mapped[str | None] = mapped_column(String(120))
    notes: Mapped[str | None] = mapped_column(Text)
    custom_fields: Mapped[dict[str, Any]] = mapped_column(default=dict)

    account: Mapped[Account] = relationship(back_populates="opportunities")

    __table_args__ = (
        Index("ix_opportunities_account_id", "account_id"),
        CheckConstraint("amount_cents >= 0", name="amount_not_negative"),
    )
