"""Exchange rates to the book's base currency, by day."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Float, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from csdesk.models.base import Base, str_enum, utcnow
from csdesk.models.enums import RateSource


class ExchangeRate(Base):
    """One unit of ``currency`` is worth ``rate_to_base`` units of the base currency from
    ``day`` until the next rate of that currency."""

    __tablename__ = "exchange_rates"

    id: Mapped[int] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    day: Mapped[date]
    rate_to_base: Mapped[float] = mapped_column(Float)
    source: Mapped[RateSource] = mapped_column(str_enum(RateSource, "rate_source"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("currency", "day"),
        CheckConstraint("rate_to_base > 0", name="rate_positive"),
        CheckConstraint("length(currency) = 3", name="currency_code"),
    )
