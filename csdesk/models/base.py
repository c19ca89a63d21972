"""Declarative base, naming convention and shared column types for every model.

Conventions that every aggregate follows:
- money is an integer number of minor units (cents) plus an ISO 4217 currency code;
- calendar facts are ``Date``; instants are UTC (:class:`UTCDateTime` returns aware values);
- editable records carry ``version`` used as SQLAlchemy's ``version_id_col`` so two editors of
  one record get a conflict (``StaleDataError``) instead of a silent overwrite;
- enumerations are stored as short text with a CHECK constraint (portable to PostgreSQL).
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, TypedDict, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Enum,
    Integer,
    MetaData,
    String,
    Table,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from csdesk import clock

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current instant, timezone-aware in UTC."""
    return clock.instant()


class UTCDateTime(TypeDecorator[datetime]):
    """Stores instants as naive UTC and returns them timezone-aware.

    SQLite keeps no offset, so everything is normalised to UTC on the way in; a naive value
    handed in is taken to be UTC already.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def str_enum(enum_cls: type[enum.Enum], name: str) -> Enum:
    """A portable enum column: VARCHAR plus a named CHECK constraint, storing the values."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_cls),
        values_callable=lambda cls: [m.value for m in cls],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    """Base class of all csdesk models."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    if TYPE_CHECKING:
        # Every csdesk model maps a Table (DeclarativeBase says only FromClause), which the
        # bulk paths hand to insert()/update() and to the sync adapters.
        __table__: ClassVar[Table]
    type_annotation_map = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
    }


class TimestampMixin:
    """created_at / updated_at in UTC, maintained by the ORM."""

    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, nullable=False)


class VersionedMixin:
    """A version counter that turns concurrent edits into a conflict, not a lost update."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        # cls is the mapped class this mixes into, so a Base with its table by now.
        return {"version_id_col": cast("type[Base]", cls).__table__.c.version}


class ChildOptions(TypedDict):
    """The relationship() options an aggregate gives its children (see ``_CHILD`` in models)."""

    cascade: str
    passive_deletes: bool


MONEY = BigInteger  # minor units; BigInteger so a whole book's sums never overflow
CURRENCY = String(3)
