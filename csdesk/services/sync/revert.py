"""Undo the latest import from its field history, as one transaction.

The import's history rows say what it changed (old and new value of each field), which
records it created (``*created*``) and each updated record's version and updated_at before
(``*row*``). A revert sets every changed field back, restores version and updated_at,
deletes the records the import created, drops the import's history rows and marks its log
entry *reverted*: the book is as it was before the import.

It refuses, and changes nothing, when a later change (a hand edit) touched a field the import
changed or a record it created, or when a record the import created has since gained records
of its own (a contact added to a new account) — undoing would throw that work away.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    CursorResult,
    Table,
    bindparam,
    delete,
    false,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from csdesk import clock
from csdesk.db import Database
from csdesk.errors import CsdeskError
from csdesk.models import Base, FieldHistory, ImportLog
from csdesk.models.enums import ImportStatus
from csdesk.models.history import CREATED, ROW
from csdesk.services.history import CUSTOM_PREFIX, decode, field_label


class RevertRefused(CsdeskError):
    """The latest import cannot be undone (said why, in the CSM's words)."""


@dataclass(frozen=True)
class LatestImport:
    import_log_id: int
    file: str  # the imported file's name
    entity: str
    started_at: datetime
    inserted: int
    updated: int


@dataclass(frozen=True)
class Reverted:
    import_log_id: int
    file: str
    entity: str
    fields_restored: int
    records_updated: int
    records_deleted: int


def _file(source: str) -> str:
    return source.replace("\\", "/").rsplit("/", 1)[-1]


def _latest(s: Session) -> ImportLog | None:
    return s.scalars(select(ImportLog).where(ImportLog.status == ImportStatus.APPLIED)
                     .order_by(ImportLog.id.desc()).limit(1)).first()


def latest_import(db: Database) -> LatestImport | None:
    """The import a revert would undo (None: there is none)."""
    with db.read() as s:
        log = _latest(s)
        if log is None:
            return None
        return LatestImport(log.id, _file(log.source), log.entity, log.started_at,
                            log.inserted, log.updated)


class _Checked(Exception):
    """Leaves a dry run's transaction without writing (rolled back), with its answer."""

    def __init__(self, done: Reverted) -> None:
        super().__init__("dry run")
        self.done = done


def revert_latest_import(db: Database, *, dry_run: bool = False) -> Reverted:
    """Undo the latest import (see the module docstring); raise :class:`RevertRefused`.
    ``dry_run``: every check and the whole revert, rolled back: what a revert would do, or
    the same refusal."""
    try:
        return _revert(db, dry_run)
    except _Checked as checked:
        return checked.done


def _revert(db: Database, dry_run: bool) -> Reverted:
    with db.write() as s:
        log = _latest(s)
        if log is None:
            raise RevertRefused("there is no import to revert")
        name = f"the import of {_file(log.source)} on {log.started_at:%d %b %Y}"
        if log.entity == "book":
            raise RevertRefused(f"the latest change is a generated demo book, not an import "
                                f"({log.source}); nothing was reverted")
        h = FieldHistory.__table__
        rows = s.execute(select(h.c.id, h.c.entity, h.c.record_id, h.c.field, h.c.old_value)
                         .where(h.c.import_log_id == log.id).order_by(h.c.id)).all()
        if not rows:
            raise RevertRefused(
                f"{name} kept no field history ({log.entity} imports and imports made before "
                f"csdesk kept history cannot be reverted); the backup taken before it can "
                f"restore the book")
        edited_since = _refuse_later_changes(s, name, rows)
        created: dict[str, list[int]] = defaultdict(list)
        first_old: dict[tuple[str, int], dict[str, str | None]] = defaultdict(dict)
        for _id, entity, record_id, field, old in rows:
            if field == CREATED:
                created[entity].append(record_id)
            else:  # the earliest row of a field holds its value before the import
                first_old[(entity, record_id)].setdefault(field, old)
        _refuse_adopted(s, name, created)
        restored = _restore(s, first_old, created, edited_since)
        deleted = 0
        order = [t.name for t in reversed(Base.metadata.sorted_tables)]
        for entity in sorted(created, key=order.index):
            table = Base.metadata.tables[entity]
            ids = created[entity]
            for at in range(0, len(ids), 10_000):
                gone = s.execute(delete(table).where(table.c.id.in_(ids[at:at + 10_000])),
                                 execution_options={"synchronize_session": False})
                deleted += cast("CursorResult[Any]", gone).rowcount
        s.execute(delete(h).where(h.c.import_log_id == log.id))
        log.status = ImportStatus.REVERTED
        log.message = f"reverted on {clock.today().isoformat()}"
        updated = sum(1 for (e, r) in first_old if r not in set(created.get(e, ())))
        done = Reverted(log.id, _file(log.source), log.entity, restored, updated, deleted)
        if dry_run:
            raise _Checked(done)  # rolled back: nothing written
        return done


def _refuse_later_changes(s: Session, name: str, rows: Sequence[Any]
                          ) -> set[tuple[str, int]]:
    """Refuse when a later change touched what the import changed; return the records a
    later change touched elsewhere (their version moves on, it is not wound back)."""
    h = FieldHistory.__table__
    last = max(r[0] for r in rows)
    touched = {(r[1], r[2], r[3]) for r in rows if not r[3].startswith("*")}
    new_records = {(r[1], r[2]) for r in rows if r[3] == CREATED}
    later = s.execute(select(h.c.entity, h.c.record_id, h.c.field, h.c.day, h.c.source)
                      .where(h.c.id > last).order_by(h.c.id)).all()
    edited: set[tuple[str, int]] = set()
    for entity, record_id, field, day, source in later:
        edited.add((entity, record_id))
        if (entity, record_id, field) in touched or (entity, record_id) in new_records:
            what = "a hand edit" if source == "edit" else "a later import"
            label = field_label(field)
            raise RevertRefused(
                f"{name} cannot be reverted: {what} on {day:%d %b %Y} changed "
                f"{label.lower() if not field.startswith(CUSTOM_PREFIX) else label} of "
                f"{_record_name(s, entity, record_id)} after it; nothing was reverted "
                f"(set the value back by hand, or restore the backup taken before the "
                f"import)")
    return edited


def _record_name(s: Session, entity: str, record_id: int) -> str:
    table = Base.metadata.tables[entity]
    for col in ("name", "external_id"):
        if col in table.c:
            value = s.execute(select(table.c[col]).where(table.c.id == record_id)).scalar()
            if value:
                return f"{entity.rstrip('s')} {value}"
    return f"{entity.rstrip('s')} #{record_id}"


def _derived(table: Table) -> list[Any]:
    """Conditions for rows csdesk derives and recomputes (they go with their account):
    health scores, and playbook tasks nobody has touched since a rule made them."""
    if table.name == "health_snapshots":
        return [false()]
    if table.name == "tasks":
        return [or_(table.c.rule_id.is_(None), table.c.version > 1)]
    return []


def _refuse_adopted(s: Session, name: str, created: dict[str, list[int]]) -> None:
    """Records that point to a record the import created, and that it did not create
    (derived rows aside: they are deleted with it)."""
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            parent = fk.column.table.name
            if parent not in created or table.name in ("field_history", "import_logs"):
                continue
            col = fk.parent
            mine = set(created.get(table.name, ()))
            ids = created[parent]
            for at in range(0, len(ids), 10_000):
                stmt = select(table.c.id if "id" in table.c else func.count()).where(
                    col.in_(ids[at:at + 10_000]), *_derived(table))
                found = [r[0] for r in s.execute(stmt)]
                if "id" in table.c:
                    found = [i for i in found if i not in mine]
                elif found and found[0] == 0:
                    found = []
                if found:
                    raise RevertRefused(
                        f"{name} cannot be reverted: {len(found)} {table.name} added since "
                        f"belong to {parent} it created; nothing was reverted")


def _restore(s: Session, first_old: dict[tuple[str, int], dict[str, str | None]],
             created: dict[str, list[int]], edited_since: set[tuple[str, int]]) -> int:
    """Set each changed field of each record back; return how many fields."""
    n = 0
    gone = {e: set(ids) for e, ids in created.items()}
    by_shape: dict[tuple[str, tuple[str, ...]], list[dict[str, Any]]] = defaultdict(list)
    bumped: dict[str, list[int]] = defaultdict(list)
    for (entity, record_id), fields in first_old.items():
        if record_id in gone.get(entity, ()):
            continue  # deleted anyway
        table = Base.metadata.tables[entity]
        values: dict[str, Any] = {}
        custom = {f[len(CUSTOM_PREFIX):]: v for f, v in fields.items()
                  if f.startswith(CUSTOM_PREFIX)}
        if custom:
            now = s.execute(select(table.c.custom_fields).where(table.c.id == record_id)
                            ).scalar() or {}
            now = dict(now)
            for key, text in custom.items():
                if text is None:
                    now.pop(key, None)
                else:
                    now[key] = decode(text)
            values["custom_fields"] = now
        for f, text in fields.items():
            if f == ROW and (entity, record_id) in edited_since:
                bumped[entity].append(record_id)  # edited since: a new version, not the old
            elif f == ROW and text is not None:
                state = json.loads(text)
                if "version" in table.c and state.get("version") is not None:
                    values["version"] = state["version"]
                if "updated_at" in table.c and state.get("updated_at") is not None:
                    values["updated_at"] = decode(state["updated_at"], table.c.updated_at)
            elif not f.startswith(("*", CUSTOM_PREFIX)):
                values[f] = decode(text, table.c[f])
        n += sum(1 for f in fields if not f.startswith("*"))
        if values:
            by_shape[(entity, tuple(sorted(values)))].append({"_id": record_id, **values})
    for (entity, cols), params in by_shape.items():
        table = Base.metadata.tables[entity]
        s.execute(update(table).where(table.c.id == bindparam("_id"))
                  .values({c: bindparam(c) for c in cols}), params,
                  execution_options={"synchronize_session": False})
    for entity, ids in bumped.items():  # someone saw the edited version: it moves on
        table = Base.metadata.tables[entity]
        moved: dict[str, Any] = {"version": table.c.version + 1} if "version" in table.c \
            else {}
        if "updated_at" in table.c:
            moved["updated_at"] = clock.now()
        if moved:
            s.execute(update(table).where(table.c.id.in_(ids)).values(moved),
                      execution_options={"synchronize_session": False})
    return n
