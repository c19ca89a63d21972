"""feature requests: product items, per-account asks, and the CSM's product updates

Revision ID: b8d4f2a6c913
Revises: f3b8d2a6c9e1
Create Date: 2026-12-02 09:00:00

- ``product_items``: one ask as the product team tracks it (title, normalised key, external
  id, status, shipped date, internal note).
- ``feature_requests``: an account's ask (title, detail, kind, who asked, when), grouped under
  a product item; goes with its account.
- ``product_updates``: the releases the CSM tells customers about, optionally delivering a
  product item.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b8d4f2a6c913"
down_revision: str | None = "f3b8d2a6c9e1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATUS = ("new", "under_review", "planned", "in_progress", "shipped", "wont_do")
_KIND = ("feature_request", "product_gap", "bug")


def upgrade() -> None:
    op.create_table(
        "product_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("key", sa.String(length=500), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=True),
        sa.Column("status", sa.Enum(*_STATUS, name="product_status", native_enum=False,
                                    create_constraint=True, length=12), nullable=False),
        sa.Column("shipped_on", sa.Date(), nullable=True),
        sa.Column("internal_note", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("length(trim(title)) > 0",
                           name=op.f("ck_product_items_title_not_blank")),
        sa.CheckConstraint("(status = 'shipped') = (shipped_on IS NOT NULL)",
                           name=op.f("ck_product_items_shipped_has_date")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_items")),
        sa.UniqueConstraint("key", name=op.f("uq_product_items_key")),
        sa.UniqueConstraint("external_id", name=op.f("uq_product_items_external_id")),
    )
    op.create_table(
        "feature_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("kind", sa.Enum(*_KIND, name="request_kind", native_enum=False,
                                  create_constraint=True, length=15), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("asked_by", sa.String(length=255), nullable=True),
        sa.Column("asked_on", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("length(trim(title)) > 0",
                           name=op.f("ck_feature_requests_title_not_blank")),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"],
                                name=op.f("fk_feature_requests_account_id_accounts"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["item_id"], ["product_items.id"],
                                name=op.f("fk_feature_requests_item_id_product_items"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"],
                                name=op.f("fk_feature_requests_contact_id_contacts"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feature_requests")),
    )
    op.create_index("ix_feature_requests_account_id", "feature_requests", ["account_id"],
                    unique=False)
    op.create_index("ix_feature_requests_item_id", "feature_requests", ["item_id"],
                    unique=False)
    op.create_index(op.f("ix_feature_requests_contact_id"), "feature_requests",
                    ["contact_id"], unique=False)
    op.create_table(
        "product_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("released_on", sa.Date(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("length(trim(title)) > 0",
                           name=op.f("ck_product_updates_title_not_blank")),
        sa.ForeignKeyConstraint(["item_id"], ["product_items.id"],
                                name=op.f("fk_product_updates_item_id_product_items"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_updates")),
    )
    op.create_index(op.f("ix_product_updates_released_on"), "product_updates",
                    ["released_on"], unique=False)
    op.create_index(op.f("ix_product_updates_item_id"), "product_updates", ["item_id"],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_product_updates_item_id"), table_name="product_updates")
    op.drop_index(op.f("ix_product_updates_released_on"), table_name="product_updates")
    op.drop_table("product_updates")
    op.drop_index(op.f("ix_feature_requests_contact_id"), table_name="feature_requests")
    op.drop_index("ix_feature_requests_item_id", table_name="feature_requests")
    op.drop_index("ix_feature_requests_account_id", table_name="feature_requests")
    op.drop_table("feature_requests")
    op.drop_table("product_items")
