"""csm pulse: the CSM's dated 1–5 rating of an account, with up to three reasons

Revision ID: e7a3b9c1d5f2
Revises: c4f1d2e8a6b3
Create Date: 2026-11-30 09:00:00

- ``csm_pulses``: account, day, rating (1–5), reasons (JSON list of codes), note, author.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e7a3b9c1d5f2"
down_revision: str | None = "c4f1d2e8a6b3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "csm_pulses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("author", sa.String(length=120), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_csm_pulses_rating_range")),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"],
                                name=op.f("fk_csm_pulses_account_id_accounts"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_csm_pulses")),
    )
    op.create_index("ix_csm_pulses_account_id_day", "csm_pulses", ["account_id", "day"],
                    unique=False)


def downgrade() -> None:
    op.drop_index("ix_csm_pulses_account_id_day", table_name="csm_pulses")
    op.drop_table("csm_pulses")
