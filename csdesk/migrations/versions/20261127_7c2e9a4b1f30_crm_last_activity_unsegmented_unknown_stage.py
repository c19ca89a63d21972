"""a CRM's last activity date; accounts with no known ARR are unsegmented; stage unknown

Revision ID: 7c2e9a4b1f30
Revises: 5b0e7c1d2a44
Create Date: 2026-11-27 08:40:00

- ``accounts.last_activity_on``: a CRM's "Last Activity Date", part of the last touch.
- Segment ``unsegmented`` (accounts and per-segment health models): an account whose ARR
  nobody gave is no longer filed as Self-Serve. The value is 11 characters, so the columns
  widen from 10.
- Lifecycle stage ``unknown``: an imported account whose file says nothing of its stage.

Existing rows keep their values: no account changes segment or stage by this upgrade.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c2e9a4b1f30"
down_revision: str | None = "5b0e7c1d2a44"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEGMENTS = ("enterprise", "mid_market", "smb", "self_serve")
STAGES = ("onboarding", "adoption", "value", "renewal", "expansion")

# (table, column, the CHECK's name under the naming convention, old values, new values)
CHECKS = (
    ("accounts", "segment", "ck_accounts_segment", SEGMENTS, (*SEGMENTS, "unsegmented")),
    ("accounts", "segment_override", "ck_accounts_segment_override", SEGMENTS,
     (*SEGMENTS, "unsegmented")),
    ("accounts", "lifecycle_stage", "ck_accounts_lifecycle_stage", STAGES, (*STAGES, "unknown")),
    ("health_models", "segment", "ck_health_models_health_model_segment", SEGMENTS,
     (*SEGMENTS, "unsegmented")),
)


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _swap(new: bool) -> None:
    for table in ("accounts", "health_models"):
        with op.batch_alter_table(table) as batch_op:
            for t, column, name, old_values, new_values in CHECKS:
                if t != table:
                    continue
                values = new_values if new else old_values
                batch_op.drop_constraint(op.f(name), type_="check")
                batch_op.alter_column(column, existing_type=sa.String(),
                                      type_=sa.String(max(len(v) for v in values)))
                batch_op.create_check_constraint(op.f(name), sa.text(_in(column, values)))


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_activity_on", sa.Date(), nullable=True))
    _swap(new=True)


def downgrade() -> None:
    # The new values have no older equivalent: unsegmented accounts go back to Self-Serve
    # (what older versions filed them as) and an unknown stage to onboarding.
    op.execute("UPDATE accounts SET segment = 'self_serve' WHERE segment = 'unsegmented'")
    op.execute("UPDATE accounts SET segment_override = NULL "
               "WHERE segment_override = 'unsegmented'")
    op.execute("UPDATE accounts SET lifecycle_stage = 'onboarding' "
               "WHERE lifecycle_stage = 'unknown'")
    op.execute("UPDATE health_models SET segment = NULL WHERE segment = 'unsegmented'")
    _swap(new=False)
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("last_activity_on")
