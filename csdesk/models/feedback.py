"""Product feedback: customers' asks, the product items they group into, and the product
updates the CSM keeps for the QBR's "what's new and roadmap".

A :class:`ProductItem` is one thing the product team could build (one row however many
accounts asked for it); a :class:`FeatureRequest` is one account's ask, pointing at the item
it is "the same as". Grouping is the CSM's call: a new ask joins the item of the same
normalised title (``key``) unless the CSM names another item.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from csdesk.models.base import Base, TimestampMixin, VersionedMixin, str_enum
from csdesk.models.enums import ProductStatus, RequestKind


class ProductItem(VersionedMixin, TimestampMixin, Base):
    """One ask as the product team tracks it: title, status and the day it shipped."""

    __tablename__ = "product_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    # The normalised title (casefolded, spaces collapsed): asks of the same words group here.
    key: Mapped[str] = mapped_column(String(500), unique=True)
    # The id in the product team's tool (a Jira key, a Productboard id), for status imports.
    external_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    status: Mapped[ProductStatus] = mapped_column(
        str_enum(ProductStatus, "product_status"), default=ProductStatus.NEW)
    shipped_on: Mapped[date | None]
    # Ours alone: never printed in a customer's document.
    internal_note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("length(trim(title)) > 0", name="title_not_blank"),
        CheckConstraint("(status = 'shipped') = (shipped_on IS NOT NULL)",
                        name="shipped_has_date"),
    )


class FeatureRequest(VersionedMixin, TimestampMixin, Base):
    """An account's ask, in its own words, grouped under a product item."""

    __tablename__ = "feature_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("product_items.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(500))
    detail: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[RequestKind] = mapped_column(
        str_enum(RequestKind, "request_kind"), default=RequestKind.FEATURE_REQUEST)
    # Who asked: a contact of the account where there is one, else the name as typed.
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    asked_by: Mapped[str | None] = mapped_column(String(255))
    asked_on: Mapped[date]

    __table_args__ = (
        Index("ix_feature_requests_account_id", "account_id"),
        Index("ix_feature_requests_item_id", "item_id"),
        CheckConstraint("length(trim(title)) > 0", name="title_not_blank"),
    )


class ProductUpdate(VersionedMixin, TimestampMixin, Base):
    """A release the CSM tells customers about, optionally delivering a product item."""

    __tablename__ = "product_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    released_on: Mapped[date] = mapped_column(index=True)
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("product_items.id", ondelete="SET NULL"), index=True)

    __table_args__ = (
        CheckConstraint("length(trim(title)) > 0", name="title_not_blank"),
    )
