"""The CSM's pulse of an account: a dated 1–5 rating with up to three reasons."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from csdesk.models.base import Base, TimestampMixin


class PulseEntry(TimestampMixin, Base):
    """How the CSM rates the account on ``day``: 1 about to churn … 5 thriving.

    A health *input* of its own (``csm_pulse``), shown beside the computed health and never
    blended into it unless the CSM turns it on in the health model.
    """

    __tablename__ = "csm_pulses"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    day: Mapped[date]
    rating: Mapped[int] = mapped_column(Integer)
    # Up to three reason codes from the book's editable list (services.health.pulse).
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    note: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(120))

    __table_args__ = (
        Index("ix_csm_pulses_account_id_day", "account_id", "day"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
    )
