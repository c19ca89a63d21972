"""Health configuration (versioned models) and the history of computed scores."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from csdesk.models.base import Base, str_enum, utcnow
from csdesk.models.enums import HealthBand, Segment


class HealthModel(Base):
    """One version of a health-score configuration: inputs on/off, weights and bands.

    Versions are never edited in place: a change (or applying calibration's suggestion) adds
    a new row, so every snapshot can say which configuration produced it.
    """

    __tablename__ = "health_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    version: Mapped[int] = mapped_column(Integer)
    # NULL: applies to every segment without a model of its own.
    segment: Mapped[Segment | None] = mapped_column(str_enum(Segment, "health_model_segment"))
    # {"inputs": {name: {"enabled": bool, "weight": float}}, "bands": {"green": 70, "yellow": 40}}
    config: Mapped[dict[str, Any]]
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("name", "version"),)


class HealthSnapshot(Base):
    """An account's health score on a date, with the components it was computed from."""

    __tablename__ = "health_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    model_id: Mapped[int] = mapped_column(
        ForeignKey("health_models.id", ondelete="RESTRICT"), index=True
    )
    as_of: Mapped[date]
    score: Mapped[float | None] = mapped_column(Float)
    band: Mapped[HealthBand | None] = mapped_column(str_enum(HealthBand, "health_band"))
    adoption_score: Mapped[float | None] = mapped_column(Float)
    inputs_present: Mapped[int] = mapped_column(Integer, default=0)
    inputs_total: Mapped[int] = mapped_column(Integer, default=0)
    # {input: {"value": raw, "normalised": 0-100 or null, "weight": w, "points": p}}
    components: Mapped[dict[str, Any]] = mapped_column(default=dict)

    __table_args__ = (
        UniqueConstraint("account_id", "as_of", "model_id"),
        CheckConstraint("score IS NULL OR (score >= 0 AND score <= 100)", name="score_range"),
    )
