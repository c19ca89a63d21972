"""Field history: the old and new value of every field an import or a hand edit changed."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from csdesk.models.base import Base, str_enum, utcnow
from csdesk.models.enums import HistorySource

CREATED = "*created*"  # the field of the one row that says an import created the record
# the field of the one row that keeps an updated record's version and updated_at as they were
# before the import (JSON), so a revert restores them too
ROW = "*row*"


class FieldHistory(Base):
    """One field of one record changed on ``day``: from ``old_value`` to ``new_value``.

    ``entity`` is the record's table (accounts, contacts, subscriptions…), ``field`` its
    column, or ``custom:<name>`` for a custom field. Values are text: a string as it is, any
    other value as JSON (a date as its ISO form); a blank is NULL (see
    ``services.book.history.encode``). ``day`` is the day the value took effect: the file's
    as-of date when the import gave one, else the day of the import or edit. A record an
    import created has one row with field ``*created*``, and a record it updated one with
    field ``*row*`` (its version and updated_at before), so the import can be reverted.
    Fields whose name starts with ``*`` are this bookkeeping, not fields of the record.
    Rows are written only for changes; an unchanged re-import writes none.
    """

    __tablename__ = "field_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(String(64))
    record_id: Mapped[int]
    field: Mapped[str] = mapped_column(String(255))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    day: Mapped[date]
    source: Mapped[HistorySource] = mapped_column(str_enum(HistorySource, "history_source"))
    import_log_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_logs.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_field_history_entity_field_record_id_day", "entity", "field", "record_id",
              "day"),
    )
