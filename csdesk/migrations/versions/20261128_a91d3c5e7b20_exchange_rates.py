"""exchange rates to the book's base currency, by day

Revision ID: a91d3c5e7b20
Revises: 7c2e9a4b1f30
Create Date: 2026-11-28 10:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a91d3c5e7b20"
down_revision: str | None = "7c2e9a4b1f30"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "exchange_rates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("rate_to_base", sa.Float(), nullable=False),
        sa.Column("source", sa.Enum("typed", "imported", name="rate_source", native_enum=False,
                                    create_constraint=True), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("length(currency) = 3", name=op.f("ck_exchange_rates_currency_code")),
        sa.CheckConstraint("rate_to_base > 0", name=op.f("ck_exchange_rates_rate_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_rates")),
        sa.UniqueConstraint("currency", "day", name=op.f("uq_exchange_rates_currency_day")),
    )


def downgrade() -> None:
    op.drop_table("exchange_rates")
