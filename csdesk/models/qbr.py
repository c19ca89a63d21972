"""QBRs as meetings: who came, what was decided, and who committed to what by when."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from csdesk.models.base import Base, ChildOptions, TimestampMixin, VersionedMixin, str_enum
from csdesk.models.enums import OwnerSide

_CHILD: ChildOptions = {"cascade": "all, delete-orphan", "passive_deletes": True}


class QbrMeeting(VersionedMixin, TimestampMixin, Base):
    """One quarterly business review held with an account (at most one per quarter)."""

    __tablename__ = "qbr_meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    held_on: Mapped[date]
    quarter: Mapped[str] = mapped_column(String(6))  # 2026Q4 (services.periods.quarter_of)
    # Our side's names, and the decisions taken, in order
    our_attendees: Mapped[list[Any]] = mapped_column(default=list)
    decisions: Mapped[list[Any]] = mapped_column(default=list)
    # The documents produced for it: [{"kind": "pdf" | "deck" | …, "path": "…"}]
    documents: Mapped[list[Any]] = mapped_column(default=list)
    next_qbr_on: Mapped[date | None]
    notes: Mapped[str | None] = mapped_column(Text)

    attendees: Mapped[list[QbrAttendee]] = relationship(
        back_populates="meeting", order_by="QbrAttendee.position", **_CHILD)
    commitments: Mapped[list[QbrCommitment]] = relationship(
        back_populates="meeting", order_by="QbrCommitment.position", **_CHILD)

    __table_args__ = (
        UniqueConstraint("account_id", "quarter"),
        Index("ix_qbr_meetings_account_id_held_on", "account_id", "held_on"),
    )


class QbrAttendee(Base):
    """Someone from the customer at a QBR: a contact where there is one, else a name."""

    __tablename__ = "qbr_attendees"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("qbr_meetings.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    name: Mapped[str] = mapped_column(String(255))  # kept if the contact is removed

    meeting: Mapped[QbrMeeting] = relationship(back_populates="attendees")


class QbrCommitment(VersionedMixin, TimestampMixin, Base):
    """Who (the customer's side or ours) said at a QBR they would do what, by when.

    ``milestone_id`` is the step it became in the account's active success plan: completing
    either completes both (services.plans.qbr_meetings).
    """

    __tablename__ = "qbr_commitments"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("qbr_meetings.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    side: Mapped[OwnerSide] = mapped_column(str_enum(OwnerSide, "qbr_commitment_side"))
    who: Mapped[str] = mapped_column(String(255))
    what: Mapped[str] = mapped_column(String(500))
    due_on: Mapped[date]
    done_on: Mapped[date | None]
    milestone_id: Mapped[int | None] = mapped_column(
        ForeignKey("milestones.id", ondelete="SET NULL"), index=True)

    meeting: Mapped[QbrMeeting] = relationship(back_populates="commitments")
