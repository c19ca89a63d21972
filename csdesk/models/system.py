"""Bookkeeping: the import log and key/value settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from csdesk.models.base import Base, str_enum, utcnow
from csdesk.models.enums import ImportStatus


class ImportLog(Base):
    """One import (or generated book): what came in, how it was mapped, what it changed."""

    __tablename__ = "import_logs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    source: Mapped[str] = mapped_column(String(1000))
    file_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    entity: Mapped[str] = mapped_column(String(64))
    status: Mapped[ImportStatus] = mapped_column(str_enum(ImportStatus, "import_status"))
    mapping: Mapped[dict[str, Any]] = mapped_column(default=dict)
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    inserted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list[Any]] = mapped_column(default=list)
    message: Mapped[str | None] = mapped_column(Text)


class Setting(Base):
    """A named setting stored with the book (branding, bands, saved mappings…)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
