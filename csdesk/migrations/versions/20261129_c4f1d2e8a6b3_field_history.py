"""field history: the old and new value of each field an import or an edit changed

Revision ID: c4f1d2e8a6b3
Revises: a91d3c5e7b20
Create Date: 2026-11-29 09:00:00

- ``field_history``: entity, record id, field, old and new value (text), the day the value
  took effect, the source (import or edit) and the import it came from.
- Import status ``reverted``: an import undone afterwards (csdesk revert-import).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c4f1d2e8a6b3"
down_revision: str | None = "a91d3c5e7b20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = ("applied", "dry_run", "failed", "cancelled")


def _statuses(values: Sequence[str]) -> None:
    with op.batch_alter_table("import_logs") as batch_op:
        batch_op.drop_constraint(op.f("ck_import_logs_import_status"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_import_logs_import_status"),
            sa.text(f"status IN ({', '.join(repr(v) for v in values)})"))


def upgrade() -> None:
    op.create_table(
        "field_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=64), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=255), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("source", sa.Enum("import", "edit", name="history_source",
                                    native_enum=False, create_constraint=True, length=6),
                  nullable=False),
        sa.Column("import_log_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["import_log_id"], ["import_logs.id"],
                                name=op.f("fk_field_history_import_log_id_import_logs"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_field_history")),
    )
    op.create_index("ix_field_history_entity_field_record_id_day", "field_history",
                    ["entity", "field", "record_id", "day"], unique=False)
    op.create_index(op.f("ix_field_history_import_log_id"), "field_history",
                    ["import_log_id"], unique=False)
    _statuses((*STATUSES, "reverted"))


def downgrade() -> None:
    op.execute("UPDATE import_logs SET status = 'cancelled' WHERE status = 'reverted'")
    _statuses(STATUSES)
    op.drop_index(op.f("ix_field_history_import_log_id"), table_name="field_history")
    op.drop_index("ix_field_history_entity_field_record_id_day", table_name="field_history")
    op.drop_table("field_history")
