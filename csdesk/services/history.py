"""Field history: what a field was on a given day, and the list of a record's changes.

Imports and hand edits write one ``field_history`` row per field they change (see
:class:`HistoryWriter`); nothing is written for a value that did not change. This module is
the one reader: :func:`values_as_of` gives the value of one field for many records as of a
day with one query, whatever the number of records; :func:`field_history` lists one
record's changes for display; :func:`fields_with_history` says which fields have any.

Values are stored as text (:func:`encode`): a string as it is (quoted as JSON only when it
would read as a number, ``true``/``false``/``null`` or JSON, so it reads back as the same
string), a date in its ISO form, anything else as JSON; a blank is NULL.
"""

from __future__ import annotations

import enum
import json
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    Numeric,
    String,
    Table,
    TypeDecorator,
    cast,
    exists,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from csdesk import clock
from csdesk.db import Database
from csdesk.db.bulk import bulk_insert
from csdesk.models import Base, FieldHistory, ImportLog
from csdesk.models.enums import HistorySource
from csdesk.models.history import CREATED, ROW

__all__ = ["CREATED", "CUSTOM_PREFIX", "ROW", "Change", "HistoryWriter", "account_changes",
           "decode", "encode", "field_history", "field_label", "fields_with_history",
           "has_history", "recent_changes_text", "record_edit", "values_as_of",
           "values_on_days"]

CUSTOM_PREFIX = "custom:"
FEW = 500  # up to this many records, ask for them by id; more, read the field for all


# -- values as text -----------------------------------------------------------------------

_JSONISH = frozenset('-0123456789tfn"[{')


def encode(value: Any) -> str | None:
    """A value as the text the history keeps (None for a blank)."""
    if value is None:
        return None
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, str):
        if value and value[0] in _JSONISH:
            try:
                json.loads(value)
            except ValueError:
                return value
            return json.dumps(value)  # "123" stays a string, not the number 123
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "item"):
        value = value.item()  # numpy scalar
    return json.dumps(value, default=str)


def decode(text: str | None, column: Any = None) -> Any:
    """The value :func:`encode` wrote, typed as ``column`` (a table column) when given."""
    if text is None:
        return None
    kind = getattr(column, "type", None)
    if isinstance(kind, TypeDecorator):
        kind = kind.impl  # UTCDateTime is a DateTime
    if isinstance(kind, Date) and not isinstance(kind, DateTime):
        return date.fromisoformat(text)
    if isinstance(kind, DateTime):
        return datetime.fromisoformat(text)
    if text[:1] in _JSONISH:
        try:
            value = json.loads(text)
        except ValueError:
            return text
        if isinstance(kind, Integer) and not isinstance(value, bool) and value is not None:
            return int(value)
        if isinstance(kind, Float | Numeric) and value is not None:
            return float(value)
        if isinstance(kind, Boolean) and value is not None:
            return bool(value)
        return value
    return text


# -- writing ------------------------------------------------------------------------------


_COLUMNS = ("entity", "record_id", "field", "old_value", "new_value", "day", "source",
            "import_log_id", "created_at")


class HistoryWriter:
    """Collects the changes of one transaction and writes them with one executemany (plain
    DB-API: an import that changes every row of 100,000 writes 300,000 history rows)."""

    def __init__(self, day: date, source: HistorySource | str,
                 import_log_id: int | None = None) -> None:
        self.day = day
        self.source = HistorySource(source).value
        self.import_log_id = import_log_id
        self.rows: list[tuple[Any, ...]] = []
        # as SQLAlchemy stores them, so rows written here and by the ORM read back alike
        self._day = day.isoformat()
        self._now = clock.now().astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        self.written = 0  # rows written so far

    def _row(self, entity: str, record_id: int, field: str, old: str | None,
             new: str | None) -> tuple[Any, ...]:
        return (entity, record_id, field, old, new, self._day, self.source,
                self.import_log_id, self._now)

    def change(self, entity: str, record_id: int, field: str, old: Any, new: Any) -> None:
        old_text, new_text = encode(old), encode(new)
        if old_text != new_text:
            self.rows.append(self._row(entity, record_id, field, old_text, new_text))

    def created(self, entity: str, record_ids: list[int]) -> None:
        """Records this import created (a revert deletes them)."""
        self.rows += [self._row(entity, i, CREATED, None, None) for i in record_ids]

    def row_state(self, entity: str, record_id: int, version: Any, updated_at: Any) -> None:
        """An updated record's version and updated_at before the change (for a revert)."""
        state = (f'{{"version": {int(version)}, ' if version is not None else "{") + \
            (f'"updated_at": "{encode(updated_at)}"}}' if updated_at is not None else
             '"updated_at": null}')
        self.rows.append(self._row(entity, record_id, ROW, state, None))

    def flush(self, session: Session) -> int:
        n = len(self.rows)
        if self.rows:
            bulk_insert(session, FieldHistory.__table__, _COLUMNS, self.rows)
            self.rows = []
            self.written += n
        return n


def record_edit(session: Session, table: Table, record_id: int, old: dict[str, Any],
                new: dict[str, Any]) -> int:
    """History rows for a hand edit of one record (today, source "edit"); ``old`` and
    ``new`` by column, ``custom_fields`` compared name by name."""
    writer = HistoryWriter(clock.today(), HistorySource.EDIT)
    for col, value in new.items():
        if col == "custom_fields":
            before, after = old.get(col) or {}, value or {}
            for name in sorted(set(before) | set(after)):
                writer.change(table.name, record_id, CUSTOM_PREFIX + name, before.get(name),
                              after.get(name))
        elif col in old:
            writer.change(table.name, record_id, col, old[col], value)
    return writer.flush(session)


# -- reading ------------------------------------------------------------------------------


def _table(entity: str) -> Table:
    table = Base.metadata.tables.get(entity)
    if table is None or entity in ("field_history", "import_logs", "settings"):
        raise ValueError(f"no history is kept for {entity!r}")
    return table


def _session(session_or_db: Session | Database) -> Any:
    if isinstance(session_or_db, Database):
        return session_or_db.read()
    from contextlib import nullcontext

    return nullcontext(session_or_db)


def values_as_of(session_or_db: Session | Database, entity: str, field: str,
                 record_ids: list[int] | None, day: date) -> dict[int, Any]:
    """The value of ``field`` of each record as of ``day`` (``None`` for every record).

    The value as of a day is the new value of the latest change on or before it; with none,
    the old value of the earliest change after it; with no change at all, the value the
    record holds now. One query for the field, however many records.
    """
    table = _table(entity)
    h = FieldHistory.__table__
    current, column = _current(table, field)
    wanted = None if record_ids is None else set(record_ids)
    few = wanted is not None and len(wanted) <= FEW
    # One statement: the field's changes (an index range; the day as text, as ISO dates
    # compare, so no date is parsed per row), and the value now of each record that has no
    # change of it (an index probe each, no JSON read for the others).
    changes = (select(h.c.record_id, cast(h.c.day, String), h.c.id, h.c.old_value,
                      h.c.new_value, null())
               .where(h.c.entity == entity, h.c.field == field))
    h2 = h.alias("h2")
    unchanged = (select(table.c.id, null(), null(), null(), null(), current)
                 .where(~exists().where(h2.c.entity == entity, h2.c.field == field,
                                        h2.c.record_id == table.c.id)))
    if few:
        assert wanted is not None
        changes = changes.where(h.c.record_id.in_(sorted(wanted)))
        unchanged = unchanged.where(table.c.id.in_(sorted(wanted)))
    on = day.isoformat()
    with _session(session_or_db) as s:
        conn = s.connection()
        result = conn.execute(union_all(changes, unchanged))
        # 100,000 accounts in well under half a second: the DB-API rows as they are, with
        # the column's own conversion applied only to the values used as they are now
        rows = result.cursor.fetchall() if result.cursor is not None else []
        result.close()
        convert = None if column is None else column.type.result_processor(conn.dialect,
                                                                            None)
    out: dict[int, Any] = {}
    before: dict[int, tuple[str, int, str | None]] = {}  # latest change on or before
    after: dict[int, tuple[str, int, str | None]] = {}  # earliest change after
    for rid, hday, hid, old, new, now in rows:
        if wanted is not None and rid not in wanted:
            continue
        if hday is None:  # no change of the field: the value now
            value = convert(now) if convert is not None and now is not None else now
            out[rid] = value.value if isinstance(value, enum.Enum) else value
        elif hday <= on:
            seen = before.get(rid)
            if seen is None or (hday, hid) > seen[:2]:
                before[rid] = (hday, hid, new)
        else:
            seen = after.get(rid)
            if seen is None or (hday, hid) < seen[:2]:
                after[rid] = (hday, hid, old)
    text = column is None or _textual(column)  # a stored text is the value itself
    for found in (after, before):  # a change on or before the day wins
        for rid, (_d, _i, got) in found.items():
            out[rid] = got if text and (got is None or got[:1] not in _JSONISH) else \
                decode(got, column)
    return out


def _textual(column: Any) -> bool:
    kind = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl
    return not isinstance(kind, Date | DateTime | Integer | Float | Numeric | Boolean)


def _current(table: Table, field: str) -> tuple[Any, Any]:
    """The expression of a field's current value, and its column (None: a custom field,
    read as the text or number its JSON holds)."""
    if field.startswith(CUSTOM_PREFIX):
        return table.c.custom_fields[field[len(CUSTOM_PREFIX):]].as_string(), None
    if field not in table.c:
        raise ValueError(f"{table.name} has no field {field!r}")
    return table.c[field], table.c[field]


def values_on_days(session_or_db: Session | Database, entity: str, field: str,
                   record_ids: Sequence[int], days: Sequence[date]) -> list[Any]:
    """The value of ``field`` of ``record_ids[i]`` as of ``days[i]``, for each i (the rule
    of :func:`values_as_of`, each pair on its own day: a calibration's outcomes each have
    their cut-off). One query for the field's changes and one for its values now."""
    table = _table(entity)
    h = FieldHistory.__table__
    current, column = _current(table, field)
    wanted = sorted(set(record_ids))
    few = len(wanted) <= FEW
    changes: dict[int, list[tuple[date, str | None, str | None]]] = {}
    now: dict[int, Any] = {}
    with _session(session_or_db) as s:
        stmt = (select(h.c.record_id, h.c.day, h.c.old_value, h.c.new_value)
                .where(h.c.entity == entity, h.c.field == field)
                .order_by(h.c.record_id, h.c.day, h.c.id))
        if few:
            stmt = stmt.where(h.c.record_id.in_(wanted))
        for rid, hday, old, new in s.execute(stmt):
            changes.setdefault(rid, []).append((hday, old, new))
        values = select(table.c.id, current)
        if few:
            values = values.where(table.c.id.in_(wanted))
        for rid, value in s.execute(values):
            now[rid] = value.value if isinstance(value, enum.Enum) else value
    out: list[Any] = []
    for rid, day in zip(record_ids, days, strict=True):
        rows = changes.get(rid)
        if not rows:
            out.append(now.get(rid))
            continue
        at = bisect_right([r[0] for r in rows], day)  # changes on or before the day
        out.append(decode(rows[at - 1][2], column) if at else decode(rows[0][1], column))
    return out


def fields_with_history(session_or_db: Session | Database, entity: str) -> set[str]:
    """The fields of ``entity`` that have at least one change recorded."""
    h = FieldHistory.__table__
    with _session(session_or_db) as s:
        return {f for (f,) in s.execute(select(h.c.field).distinct()
                                        .where(h.c.entity == entity))
                if not f.startswith("*")}


def has_history(session_or_db: Session | Database, entity: str,
                field: str | None = None) -> bool:
    """Whether any change of ``field`` (any field) of ``entity`` is recorded."""
    h = FieldHistory.__table__
    cond = [h.c.entity == entity, h.c.field.not_in([CREATED, ROW])]
    if field is not None:
        cond.append(h.c.field == field)
    with _session(session_or_db) as s:
        return s.execute(select(h.c.id).where(*cond).limit(1)).first() is not None


@dataclass(frozen=True)
class Change:
    """One recorded change of one field of a record, for display."""

    field: str
    old: str | None  # as stored (text)
    new: str | None
    day: date
    source: str  # import | edit
    file: str | None  # the imported file's name
    entity: str = "accounts"

    @property
    def label(self) -> str:
        name = field_label(self.field)
        if self.entity != "subscriptions":
            return name
        return f"Contract {name if name.split()[0].isupper() else name[0].lower() + name[1:]}"

    def shown(self, text: str | None) -> str:
        """A stored value as the CSM reads it."""
        if text is None or text == "":
            return "—"
        if self.field.endswith("_cents"):
            try:
                return f"{int(text) / 100:,.2f}"
            except ValueError:
                return text
        value = decode(text)
        if isinstance(value, str) and not self.field.startswith(CUSTOM_PREFIX):
            return value.replace("_", " ")
        return value if isinstance(value, str) else json.dumps(value)

    @property
    def how(self) -> str:
        if self.field == CREATED:
            return f"created by the import of {self.file}" if self.file else "created"
        if self.source == "edit":
            return "edited by hand"
        return f"import of {self.file}" if self.file else "import"


def field_history(session_or_db: Session | Database, entity: str, record_id: int,
                  field: str | None = None) -> list[Change]:
    """The changes of one record (of one field), newest first; a creation is listed with
    field ``*created*``."""
    h = FieldHistory.__table__
    stmt = (select(h.c.field, h.c.old_value, h.c.new_value, h.c.day, h.c.source,
                   ImportLog.source)
            .outerjoin(ImportLog, ImportLog.id == h.c.import_log_id)
            .where(h.c.entity == entity, h.c.record_id == record_id)
            .order_by(h.c.day.desc(), h.c.id.desc()))
    stmt = stmt.where(h.c.field == field) if field is not None else \
        stmt.where(h.c.field != ROW)
    with _session(session_or_db) as s:
        rows = s.execute(stmt).all()
    return [Change(f, old, new, d, src.value if isinstance(src, enum.Enum) else src,
                   _name(file), entity) for f, old, new, d, src, file in rows]


def account_changes(db: Database, account_id: int) -> list[Change]:
    """An account's changes and those of its subscriptions (its contract), newest first."""
    from csdesk.models import Subscription

    with db.read() as s:
        subs = list(s.scalars(select(Subscription.id)
                              .where(Subscription.account_id == account_id)))
        out = field_history(s, "accounts", account_id)
        for sub in subs:
            out += [c for c in field_history(s, "subscriptions", sub) if c.field != CREATED]
    return sorted(out, key=lambda c: c.day, reverse=True)


def recent_changes_text(changes: list[Change], field: str, limit: int = 5) -> str:
    """A field's latest changes, one a line (for a tooltip); empty when it has none."""
    mine = [c for c in changes if c.field == field and c.entity == "accounts"][:limit]
    return "\n".join(f"{c.day:%d %b %Y}: {c.shown(c.old)} → {c.shown(c.new)} ({c.how})"
                     for c in mine)


def _name(path: str | None) -> str | None:
    if path is None:
        return None
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def field_label(field: str) -> str:
    """A field's name as a CSM reads it (segment_override → Segment override)."""
    if field.startswith(CUSTOM_PREFIX):
        return field[len(CUSTOM_PREFIX):]
    if field == CREATED:
        return "Created"
    words = field.replace("_cents", "").replace("_", " ").capitalize()
    return " ".join(w.upper() if w.lower() in ("arr", "mrr") else w for w in words.split())
