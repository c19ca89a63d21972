"""objective status follows the numbers unless the CSM overrides it

Revision ID: 5b0e7c1d2a44
Revises: 62c59c4ed3f6
Create Date: 2026-11-26 02:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5b0e7c1d2a44"
down_revision: str | None = "62c59c4ed3f6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing objectives follow their numbers from now on: none is an override yet.
    with op.batch_alter_table("objectives", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status_overridden", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("objectives", schema=None) as batch_op:
        batch_op.drop_column("status_overridden")
