"""Playbook rules and the tasks they (or the CSM) put on the worklist."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from csdesk.models.base import Base, TimestampMixin, VersionedMixin, str_enum
from csdesk.models.enums import Priority, TaskStatus


class PlaybookRule(VersionedMixin, TimestampMixin, Base):
    """A rule that turns a signal in the book into a task, with editable parameters."""

    __tablename__ = "playbook_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    task_title: Mapped[str] = mapped_column(String(255))
    due_offset_days: Mapped[int] = mapped_column(Integer, default=7)
    priority: Mapped[Priority] = mapped_column(
        str_enum(Priority, "rule_priority"), default=Priority.MEDIUM
    )
    checklist: Mapped[list[Any]] = mapped_column(default=list)


class Task(VersionedMixin, TimestampMixin, Base):
    """A to-do on the worklist; ``reason`` says, with the data, why it exists."""

    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    rule_id: Mapped[int | None] = mapped_column(
        ForeignKey("playbook_rules.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(255))
    reason: Mapped[str | None] = mapped_column(Text)
    due_date: Mapped[date | None]
    status: Mapped[TaskStatus] = mapped_column(
        str_enum(TaskStatus, "task_status"), default=TaskStatus.OPEN
    )
    priority: Mapped[Priority] = mapped_column(
        str_enum(Priority, "task_priority"), default=Priority.MEDIUM
    )
    snoozed_until: Mapped[date | None]
    owner: Mapped[str | None] = mapped_column(String(120))
    # account + rule + occurrence: re-running the rules never opens a second task for it.
    dedupe_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    checklist: Mapped[list[Any]] = mapped_column(default=list)
    completed_at: Mapped[datetime | None]
    # The due date the task had before the capacity plan moved it to another day (later: its
    # day was full; earlier, for a renewal step: its day was full of steps); None when the
    # date is the rule's, the CSM's or a snooze's. A re-plan starts from it, so a task the
    # plan pushed comes back when there is room, never before this day.
    planned_from: Mapped[date | None]

    __table_args__ = (Index("ix_tasks_status_due_date", "status", "due_date"),)
