"""qbr meetings: a QBR per account and quarter, its attendees and its commitments

Revision ID: f3b8d2a6c9e1
Revises: e7a3b9c1d5f2
Create Date: 2026-12-01 09:00:00

- ``qbr_meetings``: account, day held, quarter (2026Q4, one per account), our attendees,
  decisions and documents (JSON lists), the next QBR's day, notes.
- ``qbr_attendees``: the customer's people at it (a contact where there is one, and a name).
- ``qbr_commitments``: side (customer/vendor), who, what, due, done, and the success plan
  milestone it became.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "f3b8d2a6c9e1"
down_revision: str | None = "e7a3b9c1d5f2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _stamps() -> list[sa.Column[Any]]:
    return [sa.Column("version", sa.Integer(), nullable=False),
            sa.Column("created_at", sa.DateTime(), nullable=False),
            sa.Column("updated_at", sa.DateTime(), nullable=False)]


def upgrade() -> None:
    op.create_table(
        "qbr_meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("quarter", sa.String(length=6), nullable=False),
        sa.Column("our_attendees", sa.JSON(), nullable=False),
        sa.Column("decisions", sa.JSON(), nullable=False),
        sa.Column("documents", sa.JSON(), nullable=False),
        sa.Column("next_qbr_on", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        *_stamps(),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"],
                                name=op.f("fk_qbr_meetings_account_id_accounts"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qbr_meetings")),
        sa.UniqueConstraint("account_id", "quarter",
                            name=op.f("uq_qbr_meetings_account_id_quarter")),
    )
    op.create_index("ix_qbr_meetings_account_id_held_on", "qbr_meetings",
                    ["account_id", "held_on"], unique=False)

    op.create_table(
        "qbr_attendees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["qbr_meetings.id"],
                                name=op.f("fk_qbr_attendees_meeting_id_qbr_meetings"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"],
                                name=op.f("fk_qbr_attendees_contact_id_contacts"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qbr_attendees")),
    )
    op.create_index(op.f("ix_qbr_attendees_meeting_id"), "qbr_attendees", ["meeting_id"],
                    unique=False)
    op.create_index(op.f("ix_qbr_attendees_contact_id"), "qbr_attendees", ["contact_id"],
                    unique=False)

    op.create_table(
        "qbr_commitments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("side", sa.Enum("customer", "vendor", name="qbr_commitment_side",
                                  native_enum=False, create_constraint=True), nullable=False),
        sa.Column("who", sa.String(length=255), nullable=False),
        sa.Column("what", sa.String(length=500), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("milestone_id", sa.Integer(), nullable=True),
        *_stamps(),
        sa.ForeignKeyConstraint(["meeting_id"], ["qbr_meetings.id"],
                                name=op.f("fk_qbr_commitments_meeting_id_qbr_meetings"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["milestone_id"], ["milestones.id"],
                                name=op.f("fk_qbr_commitments_milestone_id_milestones"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qbr_commitments")),
    )
    op.create_index(op.f("ix_qbr_commitments_meeting_id"), "qbr_commitments", ["meeting_id"],
                    unique=False)
    op.create_index(op.f("ix_qbr_commitments_milestone_id"), "qbr_commitments",
                    ["milestone_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_qbr_commitments_milestone_id"), table_name="qbr_commitments")
    op.drop_index(op.f("ix_qbr_commitments_meeting_id"), table_name="qbr_commitments")
    op.drop_table("qbr_commitments")
    op.drop_index(op.f("ix_qbr_attendees_contact_id"), table_name="qbr_attendees")
    op.drop_index(op.f("ix_qbr_attendees_meeting_id"), table_name="qbr_attendees")
    op.drop_table("qbr_attendees")
    op.drop_index("ix_qbr_meetings_account_id_held_on", table_name="qbr_meetings")
    op.drop_table("qbr_meetings")
