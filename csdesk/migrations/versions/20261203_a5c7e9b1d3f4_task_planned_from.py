"""tasks: the due date a task had before the capacity plan moved it

Revision ID: a5c7e9b1d3f4
Revises: b8d4f2a6c913
Create Date: 2026-12-03 09:00:00

- ``tasks.planned_from``: the due date before the daily capacity plan moved the task to
  another day (None: the date is the rule's, the CSM's or a snooze's). A re-plan (the tasks a
  day raised) brings a moved task back towards it, never before it; a snoozed task has none,
  so it is never pulled back.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a5c7e9b1d3f4"
down_revision: str | None = "b8d4f2a6c913"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("planned_from", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_column("planned_from")
