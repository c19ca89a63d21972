"""Product usage: the large time series that adoption and health are computed from.

These tables hold millions of rows, so they carry no version counter or timestamps and are
written in bulk (see ``csdesk.db.bulk``), one row per account and date (and feature).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from csdesk.models.base import Base

if TYPE_CHECKING:
    from csdesk.models.account import Account


class UsageSnapshot(Base):
    """An account's usage on one date (typically weekly)."""

    __tablename__ = "usage_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    date: Mapped[dt.date]
    active_users: Mapped[int | None] = mapped_column(Integer)
    licensed_seats: Mapped[int | None] = mapped_column(Integer)
    # The product's key value event (Slack's "messages sent"): what the magic number is found on.
    key_events: Mapped[int | None] = mapped_column(Integer)
    features_used: Mapped[int | None] = mapped_column(Integer)
    logins: Mapped[int | None] = mapped_column(Integer)

    account: Mapped[Account] = relationship(back_populates="usage")

    __table_args__ = (
        # Leading account_id: serves "this account's history" and the per-account aggregates.
        UniqueConstraint("account_id", "date"),
        CheckConstraint("active_users IS NULL OR active_users >= 0", name="active_not_negative"),
        CheckConstraint("licensed_seats IS NULL OR licensed_seats >= 0", name="seats_not_negative"),
    )


class FeatureUsage(Base):
    """Per-feature usage of an account on one date, aggregated from feature events."""

    __tablename__ = "feature_usage"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    date: Mapped[dt.date]
    feature: Mapped[str] = mapped_column(String(120))
    usage_count: Mapped[int] = mapped_column(Integer, default=0)
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    errors: Mapped[int] = mapped_column(Integer, default=0)

    account: Mapped[Account] = relationship(back_populates="feature_usage")

    __table_args__ = (
        UniqueConstraint("account_id", "date", "feature"),
        CheckConstraint("usage_count >= 0", name="count_not_negative"),
    )
