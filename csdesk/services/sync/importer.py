"""CSV import: map, validate, preview (dry run) and apply as one all-or-nothing transaction.

The flow for one file: detect encoding, delimiter and header (``io.reader``); map columns
(``io.mapping``); type and check every cell (``io.validate``); check references against the
book; compare with what the book holds on the chosen key; then either report (dry run) or
write everything in one transaction after a verified backup, with an ImportLog entry.
Importing the same file again finds every row unchanged and writes nothing.

Usage and feature events stream in chunks (``services.sync.bulk``); everything else is
read whole (a CRM export of 100,000 accounts is a few tens of megabytes).
"""

from __future__ import annotations

import contextlib
import csv
import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import bindparam, func, insert, select, tuple_, update
from sqlalchemy.orm import Session

from csdesk import clock
from csdesk.db import Database
from csdesk.db import backup as backups
from csdesk.errors import (
    CsdeskError,
    FileWriteError,
    ImportUsageError,
    MappingIncomplete,
    ReplaceRefused,
)
from csdesk.io import entities, wide, workbook
from csdesk.io.mapping import (
    CUSTOM,
    IGNORE,
    Mapping,
    auto_map,
    detect_entity,
    missing_required,
    value_key,
)
from csdesk.io.reader import CsvInfo, inspect_csv, iter_chunks
from csdesk.io.validate import Issue, ParseOptions, frame_from_chunk, type_chunk
from csdesk.io.values import AmbiguousDates, parse_currency
from csdesk.models import ExchangeRate, FieldHistory, ImportLog, Setting
from csdesk.models.enums import HistorySource
from csdesk.progress import CancelFn, Cancelled, ProgressFn, Reporter
from csdesk.safefile import (
    atomic_open,
    check_replace,
    describe_os_error,
    file_sha256,
    made_by_csdesk,
)
from csdesk.services.base_currency import DEFAULT_BASE
from csdesk.services.book.segments import resegment
from csdesk.services.history import CUSTOM_PREFIX, HistoryWriter
from csdesk.services.money import (
    base_currency_in,
    base_is_set,
    book_currencies,
    code_of,
    set_base_currency_in,
    settle_base_currency,
    without_rate_in,
)
from csdesk.services.sync.adapters import ADAPTERS, Adapter
from csdesk.services.sync.bulk import import_bulk
from csdesk.services.sync.records import Stream, plain
from csdesk.services.sync.results import (
    MAX_CHANGES,
    FieldChange,
    ImportResult,
    account_ids,
    seen_before,
)


@dataclass
class ImportRequest:
    path: Path
    entity: str | None = None
    profile: str | None = None
    mapping_name: str | None = None
    overrides: dict[str, str] = field(default_factory=dict)
    # column → {the file's value: the value csdesk stores} (--map-value COLUMN:VALUE=VALUE)
    value_overrides: dict[str, dict[str, str]] = field(default_factory=dict)
    key: str | None = None
    date_format: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    decimal: str | None = None
    dry_run: bool = False
    save_mapping: str | None = None
    # Write the valid rows even when others are in error (they go to the error file)
    skip_invalid: bool = False
    # Usage: the day of a snapshot without a date column (None: today, from csdesk.clock)
    as_of: date | None = None
    # Usage in a wide file (one column per date): the field each cell counts (None: from
    # what the file says it counts, else active_users)
    measure: str | None = None
    sheet: str | None = None  # a workbook's sheet (default: named after the entity, or the
    # first that holds anything)
    # The book's base currency, chosen with this import (the wizard asks on a first import
    # of money in several currencies; --base-currency)
    base_currency: str | None = None
    # The sheet read into a temporary CSV by :func:`readable` (kept while it is in use)
    converted: CsvInfo | None = field(default=None, repr=False, compare=False)


@contextmanager
def readable(request: ImportRequest) -> Iterator[ImportRequest]:
    """The request, ready to read: a workbook's sheet is turned into a private temporary CSV
    for the length of the block (and removed after it, whatever happens)."""
    if request.converted is not None or not workbook.is_workbook(request.path):
        if request.sheet is not None and not workbook.is_workbook(request.path):
            raise ImportUsageError(f"--sheet is for a workbook (.xlsx, .xlsm, .xls); "
                                   f"{request.path.name} is not one")
        yield request
        return
    with workbook.sheet_as_csv(request.path, request.sheet, entity=request.entity) as sheet:
        yield replace(request, converted=sheet.info)


class CancelledTooLate(Cancelled):
    """Cancel was asked for after the import had been committed: it is in the book.

    ``results`` say what was written; the message says it in one line."""

    def __init__(self, results: list[ImportResult]) -> None:
        written = "; ".join(
            f"{r.inserted:,} inserted and {r.updated:,} updated {_noun(r)} from "
            f"{Path(r.source).name}" for r in results if r.written)
        backup = next((r.backup for r in results if r.backup), None)
        undo = (f"the backup from before it is {backup}" if backup else
                "the database server's own backups hold the state before it")
        super().__init__(f"cancelled too late: the import had already been written "
                         f"({written}); {undo}")
        self.results = results


def _noun(r: ImportResult) -> str:
    return entities.entity(r.entity).label.split(" (")[0].lower()


def _finish(rep: Reporter, results: list[ImportResult]) -> None:
    """After the transaction: a cancel that came during or after the commit cannot undo it,
    so say what was written instead of 'nothing was changed'."""
    if any(r.written for r in results):
        if rep.cancel_requested():
            raise CancelledTooLate(results)
        rep.checkpoint(1.0, "Done")


class _Rollback(Exception):
    """Internal: undo the transaction (dry run, or rows in error)."""


# -- preparing ----------------------------------------------------------------------------


def prepare(db: Database | None, request: ImportRequest, *, strict: bool = True,
            ) -> tuple[CsvInfo, entities.EntitySpec, Mapping, tuple[str, ...]]:
    """Read the header, pick the entity, map the columns and the key (no data read yet).

    ``strict=False`` accepts a mapping that still lacks required fields, for an editor that
    lets the user complete it; otherwise that raises :class:`MappingIncomplete`.
    """
    if request.converted is not None:
        info = request.converted
    elif workbook.is_workbook(request.path):
        raise ValueError("a workbook is read inside readable(request)")
    else:
        info = inspect_csv(request.path, encoding=request.encoding,
                           delimiter=request.delimiter)
    long = _long_form(info, request)
    if long is not None:
        info = long.info  # the usage rows a wide file holds, one per account and date
    name = request.entity or ("usage" if long else None) or detect_entity(info.header) \
        or guess_entity(db, request)
    if name is None:
        raise ImportUsageError(
            f"cannot tell what {(info.source or request.path).name} holds; say which with --entity "
            f"({', '.join(entities.ENTITIES)})")
    try:
        spec = entities.entity(name)
    except KeyError as exc:
        raise ImportUsageError(str(exc.args[0])) from None
    saved, saved_values = (load_mapping(db, request.mapping_name, name)
                           if request.mapping_name else (None, None))
    overrides = dict(request.overrides)
    if long is not None:
        overrides = {long.info.header[0]: "account_external_id", wide.DATE_COLUMN: "date",
                     wide.VALUE_COLUMN: _measure(request, long), **overrides}
    elif request.measure is not None:
        raise ImportUsageError(f"--measure is for a file with one column per date; "
                               f"{request.path.name} has none (map its columns with --map)")
    try:
        mapping = auto_map(spec, info.header, profile=request.profile,
                           overrides=overrides, saved=saved,
                           value_overrides=request.value_overrides, saved_values=saved_values)
    except ValueError as exc:
        raise ImportUsageError(str(exc)) from None
    if long is not None:
        for column, how in zip(long.info.header, ("the wide layout's account column",
                                                  "the date columns' headers",
                                                  "each date column's cells"),
                               strict=True):
            if column not in request.overrides:
                mapping.how[column] = how
    if spec.name == "usage" and "date" not in mapping.mapped():
        _snapshot_date(mapping, request)
    key = choose_key(spec, mapping, request.key)
    missing = missing_required(spec, mapping, key)
    if missing and strict:
        raise MappingIncomplete(
            f"{', '.join(missing)} {'has' if len(missing) == 1 else 'have'} no column in "
            f"{(info.source or request.path).name}; map one with --map COLUMN={missing[0]} "
            f"(columns: {', '.join(info.header)})")
    return info, spec, mapping, key


MEASURES = ("active_users", "key_events", "logins", "features_used", "licensed_seats")
SNAPSHOT_COLUMN = "(snapshot date)"  # the date of a usage file that has no date column


def _long_form(info: CsvInfo, request: ImportRequest) -> wide.LongFile | None:
    """The long form of a wide usage file (one column per date), or None."""
    if request.entity not in (None, "usage"):
        return None
    layout = wide.detect(info)
    return wide.to_long(info, layout) if layout is not None else None


def _measure(request: ImportRequest, long: wide.LongFile) -> str:
    if request.measure is None:
        return long.layout.measure_hint
    if request.measure not in MEASURES:
        raise ImportUsageError(f"--measure takes one of {', '.join(MEASURES)}, not "
                               f"{request.measure!r}")
    return request.measure


def _snapshot_date(mapping: Mapping, request: ImportRequest) -> None:
    """A usage file with no date column is a snapshot: of the day given, else of today."""
    day = request.as_of or clock.today()
    mapping.columns[SNAPSHOT_COLUMN] = "date"
    mapping.constants[SNAPSHOT_COLUMN] = day.isoformat()
    mapping.how[SNAPSHOT_COLUMN] = (
        f"no date column: the snapshot of {day.isoformat()}, "
        + ("as given (--as-of)" if request.as_of else "today (--as-of DATE for another day)"))


CHOICE_SCAN_ROWS = 10_000  # rows read to list a choice column's values
CHOICE_VALUES_SHOWN = 100  # distinct values listed per column


@dataclass(frozen=True)
class ChoiceValue:
    value: str  # as the file writes it
    rows: int  # how many of the rows read hold it
    becomes: str | None  # the choice it is read as (None: not known, a problem)


@dataclass(frozen=True)
class ChoiceColumn:
    """A column mapped to a field with choices, and the values the file holds in it."""

    column: str
    field: str
    choices: tuple[str, ...]
    values: tuple[ChoiceValue, ...]
    rows_read: int  # the values are those of the first rows_read rows


ValueCounts = dict[str, tuple[dict[str, int], int]]  # column → (value → rows, rows read)


def choice_values(db: Database | None, request: ImportRequest,
                  counted_before: ValueCounts | None = None) -> list[ChoiceColumn]:
    """Each choice column's distinct values in the first rows of the file and what each is
    read as (the field's own words, the CRM profile's, a churn flag's, the user's): for the
    wizard to show and let the CSM map. ``counted_before`` keeps each column's counts from
    one call to the next, so a window asking again after each change reads the file only
    for a column it has not counted yet."""
    with readable(request) as request:
        info, spec, mapping, _key = prepare(db, request, strict=False)
        return _choice_columns(info, spec, mapping, counted_before)


@dataclass(frozen=True)
class CurrencyChoice:
    """A first import of money: the currencies the file (and the book) hold, and the base
    csdesk would choose; the wizard asks, once."""

    currencies: tuple[str, ...]  # most used first
    suggested: str


def currency_choice(db: Database | None, request: ImportRequest) -> CurrencyChoice | None:
    """None when there is nothing to ask: the book's base is chosen already, or the file
    holds no currency column."""
    if db is None:
        return None
    with db.read() as s:
        if base_is_set(s):
            return None
        counts = book_currencies(s)
    with readable(request) as request:
        info, spec, mapping, _key = prepare(db, request, strict=False)
        column = mapping.mapped().get("currency")
        if column is None or "currency" not in spec.field_names:
            return None
        seen, _read = _count_values(info, [column])[column]
    codes = parse_currency(pd.Series(list(seen), dtype="string"))
    for code, n in zip(codes.values.tolist(), seen.values(), strict=True):
        if code is not None:
            counts[code] = counts.get(code, 0) + n
    if not counts:
        return None
    ranked = tuple(sorted(counts, key=lambda c: (-counts[c], c)))
    suggested = ranked[0] if len(ranked) == 1 else (DEFAULT_BASE if DEFAULT_BASE in counts
                                                    else ranked[0])
    return CurrencyChoice(ranked, suggested)


def _choice_columns(info: CsvInfo, spec: entities.EntitySpec, mapping: Mapping,
                    counted_before: ValueCounts | None) -> list[ChoiceColumn]:
    columns = {c: f for f, c in mapping.mapped().items() if spec.field(f).kind == "enum"}
    if not columns:
        return []
    known = counted_before if counted_before is not None else {}
    missing = [c for c in columns if c not in known]
    if missing:
        known.update(_count_values(info, missing))
    out = []
    for column, name in columns.items():
        f = spec.field(name)
        lookup = {c: c for c in f.choices} | f.aliases | mapping.values.get(name, {})
        counts, read = known[column]
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].casefold()))
        out.append(ChoiceColumn(column, name, f.choices, tuple(
            ChoiceValue(v, n, lookup.get(value_key(v)))
            for v, n in ranked[:CHOICE_VALUES_SHOWN]), read))
    return out


def _count_values(info: CsvInfo, columns: list[str]) -> ValueCounts:
    """The non-blank values of ``columns`` in the first CHOICE_SCAN_ROWS rows, one per value
    as csdesk reads it (Customer and customer are one, spelt as first seen)."""
    at = {c: info.header.index(c) for c in columns}
    counts: dict[str, dict[str, int]] = {c: {} for c in columns}
    spelling: dict[str, dict[str, str]] = {c: {} for c in columns}
    read = 0
    for chunk in iter_chunks(info, CHOICE_SCAN_ROWS):
        for record in chunk.records[:CHOICE_SCAN_ROWS - read]:
            for c, i in at.items():
                value = record[i].strip() if i < len(record) else ""
                if value:
                    seen = spelling[c].setdefault(value_key(value), value)
                    counts[c][seen] = counts[c].get(seen, 0) + 1
        read += min(len(chunk.records), CHOICE_SCAN_ROWS - read)
        if read >= CHOICE_SCAN_ROWS:
            break
    return {c: (counts[c], read) for c in columns}


def guess_entity(db: Database | None, request: ImportRequest) -> str | None:
    """The entity whose fields the file's columns match best (with every key and required
    field present), for files that are not csdesk's own exports: a HubSpot companies export
    is accounts, whoever imports it (the command line and the wizard alike)."""
    best, best_score = None, 0
    for name in entities.ENTITIES:
        try:
            # by its columns alone: a value map is checked once the entity is known
            _info, _spec, mapping, _key = prepare(db, replace(request, entity=name,
                                                              value_overrides={},
                                                              measure=None))
        except CsdeskError:
            continue
        # a column the file lacks does not count; a known export's profile does
        score = len(mapping.mapped()) - len(mapping.constants) + 2 * bool(mapping.profile)
        if score > best_score:
            best, best_score = name, score
    return best


def choose_key(spec: entities.EntitySpec, mapping: Mapping,
               requested: str | None) -> tuple[str, ...]:
    mapped = set(mapping.mapped())
    if requested:
        wanted = tuple(k.strip() for k in requested.split(","))
        for key in spec.keys:
            if key == wanted or key[:1] == wanted:
                return key
        allowed = " or ".join(",".join(k) for k in spec.keys)
        raise ImportUsageError(f"{spec.name} can be matched on {allowed}, not {requested!r}")
    for key in spec.keys:
        if set(key) <= mapped:
            return key
    return spec.keys[0]


# -- saved mappings -----------------------------------------------------------------------


def _mapping_key(name: str) -> str:
    return f"import.mapping.{name}"


def load_mapping(db: Database | None, name: str, entity: str
                 ) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """A saved mapping: its columns, and its value maps (field → {file value: value})."""
    if db is None:
        raise ImportUsageError("saved mappings live in a book; give --db")
    with db.read() as s:
        row = s.get(Setting, _mapping_key(name))
        if row is None:
            raise ImportUsageError(f"no saved mapping called {name!r}")
        value = row.value
    if value.get("entity") != entity:
        raise ImportUsageError(f"the saved mapping {name!r} is for {value.get('entity')}, "
                               f"not {entity}")
    return dict(value["columns"]), dict(value.get("values", {}))


def save_mapping(db: Database, name: str, entity: str, mapping: Mapping) -> None:
    with db.write() as s:
        s.merge(Setting(key=_mapping_key(name),
                        value={"entity": entity, "columns": dict(mapping.columns),
                               "values": dict(mapping.values)}))


# -- running ------------------------------------------------------------------------------


def run_import(db: Database, request: ImportRequest, *, progress: ProgressFn | None = None,
               cancel: CancelFn | None = None) -> ImportResult:
    """Dry-run or apply one file; rows in error mean nothing is written, unless the request
    asks for the valid rows (``skip_invalid``)."""
    with readable(request) as request:
        return _run_one(db, request, progress, cancel)


def _run_one(db: Database, request: ImportRequest, progress: ProgressFn | None,
             cancel: CancelFn | None) -> ImportResult:
    info, spec, mapping, key = prepare(db, request)
    result = _new_result(info, spec, mapping, key, request)
    rep = Reporter(progress, cancel)
    if request.save_mapping and not request.dry_run:
        save_mapping(db, request.save_mapping, spec.name, mapping)
    with _transaction(db, result, request.dry_run, rep) as session:
        _choose_base(session, request)
        _import_one(session, info, spec, mapping, key, request, result, rep)
        _settle_base(session, [result], request.base_currency)
        if ADAPTERS[spec.name].resegments and not result.error_count:
            resegment(session, history=_history(result))
    _finish(rep, [result])
    return result


def _choose_base(session: Session, request: ImportRequest) -> None:
    if request.base_currency:
        set_base_currency_in(session, code_of(request.base_currency))


def _settle_base(session: Session, results: list[ImportResult],
                 chosen: str | None = None) -> None:
    """A first import of money: the base currency is chosen, and the import says so; any
    import of money says which currencies still have no rate."""
    if any(r.error_count and not r.skip_invalid for r in results):
        return
    session.flush()
    line = (f"Base currency: {code_of(chosen)}, chosen with this import; every total is in "
            "it." if chosen else settle_base_currency(session))
    if line:
        results[-1].notes.append(line)
    money = any("currency" in entities.entity(r.entity).field_names for r in results)
    gaps = without_rate_in(session) if money else []
    if gaps:
        results[-1].notes.append(
            f"No exchange rate yet for {', '.join(gaps)}: totals that include "
            f"{'its' if len(gaps) == 1 else 'their'} amounts are refused until one is added "
            "(csdesk rates --add, a rates file, or Book ▸ Currencies and exchange rates).")


def _new_result(info: CsvInfo, spec: entities.EntitySpec, mapping: Mapping, key: tuple[str, ...],
                request: ImportRequest) -> ImportResult:
    notes = list(info.notes)
    long = wide.origin(info)
    if long is not None:
        notes += long.notes
    notes += [f"{mapping.how[c]}" for c in mapping.constants]
    if request.as_of is not None and spec.name == "usage" and not mapping.constants:
        notes.append(f"--as-of {request.as_of.isoformat()} is not used: the dates are the "
                     f"file's own ({mapping.mapped()['date']!r})")
    skipped = [c for c, t in mapping.columns.items() if t == IGNORE
               and mapping.how.get(c) == "no matching field"]
    if skipped:
        notes.append(f"{spec.label} keep no custom fields, so these columns are not "
                     f"imported: {', '.join(skipped)} (map them with --map COLUMN=FIELD)")
    return ImportResult(
        entity=spec.name, source=str(info.source or request.path), sheet=info.sheet,
        encoding=info.encoding,
        delimiter=info.delimiter, mapping=dict(mapping.columns), mapping_how=dict(mapping.how),
        profile=mapping.profile, key=key, notes=notes, dry_run=request.dry_run,
        date_format=request.date_format,
        header=list(long.layout.header if long is not None else info.header),
        value_maps={f: dict(v) for f, v in mapping.values.items()},
        skip_invalid=request.skip_invalid, history_day=request.as_of or clock.today())


@contextmanager
def _transaction(db: Database, result: ImportResult | list[ImportResult], dry_run: bool,
                 rep: Reporter) -> Iterator[Session]:
    """One write transaction; rolled back for a dry run, when the file could not be read to
    its end, or when any row is in error (unless the valid rows were asked for).

    The write lock is taken first (a writer's transaction) and the pre-import backup second, so
    a book that another program is writing is refused before any backup is made, and the
    backup is exactly the state the import starts from.
    """
    results = result if isinstance(result, list) else [result]
    backup: Path | None = None
    committed = False
    try:
        with db.write() as session:
            session.connection()  # the writer's transaction begins: the lock, or "locked" now
            if not dry_run and db.path is not None:
                backup = db.backup("pre-import", rotate=False, progress=lambda *_: rep.checkpoint(
                    0.0, "Backing up the book…"))
            for r in results:  # first, so the field history can name it (rolled back with it)
                log = _log(session, r)
                session.flush()
                r.import_log_id = log.id
            yield session
            if dry_run or any(r.stopped or (r.error_count and not r.skip_invalid)
                              for r in results):
                raise _Rollback
            if not any(r.inserted or r.updated for r in results):
                raise _Rollback  # nothing to change: leave the book exactly as it was
            for r in results:
                r.written = True
                r.backup = str(backup) if backup else None
                _finish_log(session, r)
        committed = True
    except _Rollback:
        pass
    finally:
        # A backup of a book the import did not change is a copy of the book as it still is:
        # dropped, so failed or cancelled retries never rotate out the backups that matter.
        # Rotation runs only once an import has really been written.
        if backup is not None and db.path is not None:
            if committed:
                backups.rotate_backups(db.path)
            else:
                backups.discard_backup(backup)


def _log(session: Session, result: ImportResult) -> ImportLog:
    """The import's log entry, made when its transaction begins (counts come at the end)."""
    log = ImportLog(
        source=result.source, file_sha256=None, entity=result.entity, status="applied",
        mapping=result.mapping,
        options={"key": list(result.key), "encoding": result.encoding,
                 "delimiter": result.delimiter, "date_format": result.date_format,
                 "profile": result.profile,
                 "history_day": result.history_day.isoformat() if result.history_day
                 else None},
        inserted=0, updated=0, unchanged=0, error_count=0, errors=[])
    session.add(log)
    return log


def _finish_log(session: Session, result: ImportResult) -> None:
    log = session.get(ImportLog, result.import_log_id)
    assert log is not None
    log.file_sha256 = file_sha256(Path(result.source))
    log.inserted, log.updated = result.inserted, result.updated
    log.unchanged, log.finished_at = result.unchanged, clock.now()


KEEP_HISTORY = True  # False only to measure what the field history costs (benchmarks/)


def _history(result: ImportResult) -> HistoryWriter | None:
    """The field history of one import: its changes, on its day, under its log entry."""
    if not KEEP_HISTORY:
        return None
    return HistoryWriter(result.history_day or clock.today(), HistorySource.IMPORT,
                         result.import_log_id)


def _import_one(session: Session, info: CsvInfo, spec: entities.EntitySpec, mapping: Mapping,
                key: tuple[str, ...], request: ImportRequest, result: ImportResult,
                rep: Reporter) -> None:
    opts = ParseOptions(date_format=request.date_format, decimal=request.decimal,
                        excel_serials=info.source is not None)
    if info.source is not None and request.decimal is None:
        # A workbook's number cells come out written with a point (1.234 is one and a bit),
        # whatever the locale they were typed in: nothing to detect or ask.
        opts.decimal, opts.decimal_how = ".", "a workbook's numbers"
    try:
        _import_rows(session, info, spec, mapping, key, opts, result, rep)
    finally:
        result.decimal, result.decimal_how = opts.decimal, opts.decimal_how
        long = wide.origin(info)
        if long is not None:
            _as_in_wide_file(result, long)


def _as_in_wide_file(result: ImportResult, long: wide.LongFile) -> None:
    """Problems and rows in error told as the wide file's own rows and date columns."""
    seen: set[tuple[int, str, str]] = set()
    errors: list[Issue] = []
    for e in result.errors:
        row, column = long.where(e.row, e.column)
        if (row, column, e.reason) in seen:  # an unknown account once, not once a date
            result.error_count -= 1
            continue
        seen.add((row, column, e.reason))
        reason = re.sub(r"\bas row (\d+)",
                        lambda m: f"as row {long.where(int(m[1]), '')[0]}", e.reason)
        errors.append(Issue(row, column, e.value, reason))
    result.errors = errors
    if len(errors) == result.error_count:  # all kept: count the file's rows, not its cells
        result.rows_left_out = len({e.row for e in errors})
    wanted = {long.where(r, "")[0] for r in result.error_records}
    result.error_records = dict(wide.source_records(long, wanted))
    if result.account_matches is not None:
        result.account_matches.unit = "date cell"


def _import_rows(session: Session, info: CsvInfo, spec: entities.EntitySpec, mapping: Mapping,
                 key: tuple[str, ...], opts: ParseOptions, result: ImportResult,
                 rep: Reporter) -> None:
    if spec.bulk:

        import_bulk(session, info, spec, mapping, opts, result, rep)
        return
    state = Stream(lambda: rep.checkpoint(0.0, "Importing…"))
    state.history = _history(result)
    for chunk in iter_chunks(info, chunk_rows(info)):
        fraction = 0.95 * chunk.bytes_read / max(info.size, 1)
        rep.checkpoint(fraction, f"Importing… {result.rows:,} rows")

        def poll(f: float = fraction) -> None:
            rep.checkpoint(f, f"Importing… {result.rows:,} rows")
        state.poll = poll
        result.rows += len(chunk.rows)
        frame, rows, issues = frame_from_chunk(info.header, chunk)
        try:
            typed = type_chunk(spec, mapping, frame, rows, opts)
        except AmbiguousDates as exc:
            issues += [Issue(r, _date_column(spec, mapping), v, str(exc))
                       for r, v in exc.examples] or [
                Issue(0, _date_column(spec, mapping), "", str(exc))]
            _keep_error_records(result, issues, chunk)
            result.stopped = True
            return
        issues += typed.issues
        result.rows_left_by_value += typed.left_out
        if len(typed.rows):
            issues += _upsert_records(session, spec, ADAPTERS[spec.name], mapping, key,
                                      typed.frame, typed.rows, result, state)
        _keep_error_records(result, issues, chunk)
    issues = ADAPTERS[spec.name].rows.after_file(session, mapping, state)
    result.history_rows = state.history.written if state.history is not None else 0
    _keep_error_records(result, issues, None)


MAX_ERROR_RECORDS = 10_000  # rows in error kept as they were, for the error report
POLL_ROWS = 5_000  # rows compared between two looks at cancel
CHUNK_BYTES = 8 << 20  # text read per chunk of a file that is not streamed in bulk


def chunk_rows(info: CsvInfo) -> int:
    """Rows per chunk so that a chunk holds about CHUNK_BYTES of the file (1,000–200,000):
    wide rows (long notes) in smaller chunks, so memory stays the same whatever the file."""
    with open(info.path, "rb") as fh:
        head = fh.read(1 << 20)
    per_row = len(head) / max(1, head.count(b"\n"))
    return int(min(200_000, max(1_000, CHUNK_BYTES // max(per_row, 1))))


def _keep_error_records(result: ImportResult, issues: list[Issue], chunk: Any) -> None:
    """Count the chunk's problems, and keep the rows in error as they were (bounded)."""
    if not issues:
        return
    issues.sort(key=lambda e: e.row)
    result.add_issues(issues)
    if chunk is None:
        return  # problems found after the last chunk: their rows were imported
    bad = {e.row for e in issues}
    result.rows_left_out += len(bad)
    for row, record in zip(chunk.rows, chunk.records, strict=True):
        if row in bad and len(result.error_records) < MAX_ERROR_RECORDS:
            result.error_records[row] = record


def _date_column(spec: entities.EntitySpec, mapping: Mapping) -> str:
    mapped = mapping.mapped()
    for f in spec.fields:
        if f.kind == "date" and f.name in mapped:
            return mapped[f.name]
    return ""


def _upsert_records(session: Session, spec: entities.EntitySpec, adapter: Adapter,
                    mapping: Mapping,
                    key: tuple[str, ...], df: pd.DataFrame, rows: pd.Series,
                    result: ImportResult, state: Stream) -> list[Issue]:
    """Check one chunk against the book and write it; return the problems found.

    Rows in error are left out and the rest written all the same, so the counts say what
    the rest would do: the transaction is rolled back whatever happens next. What only one
    entity needs (an account's segment and contract, a survey answer's contact) is its
    adapter's ``rows``.
    """
    table = adapter.table
    entity = adapter.rows(session, mapping, result, state)
    columns = mapping.mapped()
    issues: list[Issue] = []
    ids = account_ids(session)
    if spec.parent:
        ext = df["account_external_id"]
        df["account_id"] = ext.map(ids)
        unknown = df["account_id"].isna()
        issues += [Issue(int(rows.iat[i]), columns["account_external_id"], str(ext.iat[i]),
                         "no account with this external id in the book")
                   for i in unknown[unknown].index]
    if adapter.checks is not None:
        issues += adapter.checks(df, rows, columns)
    issues += entity.issues(df, rows, columns)
    # The same key twice in one file (in this chunk or an earlier one): which row wins
    # would be a guess; report both.
    key_frame = df[list(key)].astype(str)
    complete = df[list(key)].notna().all(axis=1).to_numpy()
    hashes = pd.util.hash_pandas_object(key_frame, index=False).to_numpy().view(np.int64)
    for at, first in seen_before(hashes[complete], rows[complete], state.seen):
        i = int(np.flatnonzero(complete)[at])
        issues.append(Issue(int(rows.iat[i]), columns[key[0]], " / ".join(key_frame.iloc[i]),
                            f"the same {'/'.join(key)} as row {first}"))
    entity.before_checks(df, rows)
    if issues:
        bad_rows = {e.row for e in issues}
        keep = ~rows.isin(bad_rows)
        df, rows = df[keep.to_numpy()].reset_index(drop=True), rows[keep].reset_index(drop=True)

    db_cols = [adapter.columns[f] for f in df.columns if f in adapter.columns]
    incoming = pd.DataFrame({adapter.columns[f]: df[f] for f in df.columns
                             if f in adapter.columns})
    if spec.parent:
        incoming["account_id"] = df["account_id"].astype("int64")
    entity.add_columns(df, incoming, db_cols)
    has_custom = "custom_fields" in df or entity.extra_custom is not None
    key_cols = [adapter.key_columns[k] for k in key]

    select_cols = list(dict.fromkeys(["id", *key_cols, *db_cols] +
                                     (["custom_fields"] if has_custom else []) +
                                     [c for c in ("version", "updated_at") if c in table.c]))
    wanted = {tuple(plain(v) for v in k)
              for k in incoming[key_cols].itertuples(index=False, name=None)}
    existing = _existing(session, table, select_cols, key_cols, list(wanted))

    records = incoming.astype(object).where(incoming.notna(), None).to_dict("records")
    customs = df["custom_fields"].tolist() if "custom_fields" in df else [{}] * len(df)
    now = clock.now()
    defaults = dict(adapter.defaults)
    if "currency" in defaults and adapter.table is not ExchangeRate.__table__:
        # money with no currency in the file is in the book's base currency
        defaults["currency"] = base_currency_in(session)
    history = state.history
    later = _changed_after(session, history, table.name,
                           [o["id"] for o in existing.values()]) if history else {}
    inserts: list[dict[str, Any]] = []
    updates: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for i, rec in enumerate(records):
        if i % POLL_ROWS == 0:
            state.poll()  # a cancel is answered within a fraction of a second
        rec = {k: plain(v) for k, v in rec.items()}
        custom = dict(customs[i] or {})
        if entity.extra_custom is not None:
            custom.update(entity.extra_custom[i])
        k = tuple(rec[c] for c in key_cols)
        old = existing.get(k)
        elsewhere = entity.row_changes(i, rec)
        if old is None:
            # Every row carries the same keys (one executemany); a blank takes the default.
            new = {**defaults,
                   **{c: v if v is not None else defaults.get(c) for c, v in rec.items()}}
            for c, v in entity.new_defaults(i).items():
                new.setdefault(c, v)
            if "custom_fields" in table.c:
                new["custom_fields"] = custom
            if "version" in table.c:
                new.update(version=1, created_at=now, updated_at=now)
            elif "created_at" in table.c:
                new.update(created_at=now, updated_at=now)
            inserts.append(new)
            result.inserted += 1
        else:
            changed = {c: rec[c] for c in db_cols
                       if c in rec and rec[c] is not None and rec[c] != old.get(c)}
            entity.keep_change(i, changed)
            if has_custom:
                merged = {**(old.get("custom_fields") or {}), **custom}
                if merged != (old.get("custom_fields") or {}):
                    changed["custom_fields"] = merged
            if changed and old["id"] in later and history is not None:
                # A file dated before a change the book has recorded would rewrite the past
                # out of order: the history would no longer read as it happened.
                issues.append(Issue(
                    int(rows.iat[i]), columns.get(key[0], key[0]), "/".join(map(str, k)),
                    f"changed in the book on {later[old['id']]:%d %b %Y}, after this file's "
                    f"date ({history.day:%d %b %Y}): import dated files oldest first"))
                continue
            if not changed and not elsewhere:
                result.unchanged += 1
            else:
                result.updated += 1
                label = "/".join(str(x) for x in k)
                diffs = [(c, old.get(c), v) for c, v in changed.items()
                         if c != "custom_fields"] + elsewhere
                if "custom_fields" in changed:  # one line per custom field that differs
                    before_c = old.get("custom_fields") or {}
                    diffs += [(f"custom: {name}", before_c.get(name), value)
                              for name, value in changed["custom_fields"].items()
                              if before_c.get(name) != value]
                for c, before, after in diffs:
                    if len(result.changes) < MAX_CHANGES:
                        result.changes.append(FieldChange(label, c, before, after))
                if changed:
                    updates.setdefault(tuple(sorted(changed)), []).append(
                        {"_id": old["id"], **changed})
                    if history is not None:
                        _changes_to_history(history, table.name, old, changed)
    if inserts:
        if history is not None:
            new_ids = session.execute(insert(table).returning(table.c.id), inserts).scalars()
            history.created(table.name, list(new_ids))
        else:
            session.execute(insert(table), inserts)
    for cols, params in updates.items():
        values: dict[str, Any] = {c: bindparam(c) for c in cols}
        if "version" in table.c:
            values.update(version=table.c.version + 1, updated_at=now)
        session.execute(update(table).where(table.c.id == bindparam("_id")).values(values),
                        params, execution_options={"synchronize_session": False})
    entity.after_chunk(now)
    if history is not None:
        history.flush(session)
    return issues


def _changed_after(session: Session, history: HistoryWriter, entity: str,
                   ids: list[int]) -> dict[int, date]:
    """Records of ``ids`` with a change (or their creation) recorded after the import's
    day: the latest such day of each."""
    if not ids:
        return {}
    h = FieldHistory.__table__
    out: dict[int, date] = {}
    for at in range(0, len(ids), 10_000):
        for rid, day in session.execute(
                select(h.c.record_id, func.max(h.c.day))
                .where(h.c.entity == entity, h.c.record_id.in_(ids[at:at + 10_000]),
                       h.c.day > history.day)
                .group_by(h.c.record_id)):
            out[rid] = day if isinstance(day, date) else date.fromisoformat(str(day)[:10])
    return out


def _changes_to_history(history: HistoryWriter, entity: str, old: dict[str, Any],
                        changed: dict[str, Any]) -> None:
    """One history row per field the update changes (per custom field that differs)."""
    if "version" in old or "updated_at" in old:
        history.row_state(entity, old["id"], old.get("version"), old.get("updated_at"))
    for c, value in changed.items():
        if c != "custom_fields":
            history.change(entity, old["id"], c, old.get(c), value)
    if "custom_fields" in changed:
        before = old.get("custom_fields") or {}
        for name, value in changed["custom_fields"].items():
            if before.get(name) != value:
                history.change(entity, old["id"], CUSTOM_PREFIX + name, before.get(name),
                               value)


def _existing(session: Session, table: Any, select_cols: list[str], key_cols: list[str],
              wanted: list[tuple[Any, ...]]) -> dict[tuple[Any, ...], dict[str, Any]]:
    """The book's records with the keys of one chunk (not the whole table), by key."""
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    cols = [table.c[c] for c in key_cols]
    step = max(1, 20_000 // len(cols))  # bound parameters per statement
    for at in range(0, len(wanted), step):
        batch = wanted[at:at + step]
        where = cols[0].in_([k[0] for k in batch]) if len(cols) == 1 else \
            tuple_(*cols).in_(batch)
        for rec in session.execute(select(*(table.c[c] for c in select_cols))
                                   .where(where)).mappings():
            row = {c: plain(rec[c]) for c in select_cols}
            out[tuple(row[c] for c in key_cols)] = row
    return out


# -- whole-book folders -------------------------------------------------------------------


def run_folder_import(db: Database, folder: Path, *, dry_run: bool = False,
                      date_format: str | None = None, progress: ProgressFn | None = None,
                      cancel: CancelFn | None = None) -> list[ImportResult]:
    """Import a csdesk whole-book export folder in dependency order, as one transaction."""
    # field_history.csv (export --history) is a record of changes, not data to import
    files = {p.stem: p for p in folder.glob("*.csv") if p.stem != "field_history"}
    if not any(name in files for name in entities.IMPORT_ORDER):
        raise ImportUsageError(f"{folder} holds no csdesk export files "
                               f"({', '.join(n + '.csv' for n in entities.IMPORT_ORDER)})")
    requests = {name: ImportRequest(path, entity=name, dry_run=dry_run,
                                    date_format=date_format) for name, path in files.items()}
    return _run_book(db, requests, dry_run, progress, cancel)


def book_sheets(path: Path) -> list[str]:
    """The sheets of csdesk's own workbook export, by entity name, in import order; empty
    when ``path`` is any other workbook (one of its filled sheets has another name) or holds
    a single entity (imported as one sheet)."""
    filled = [s.name for s in workbook.list_sheets(path) if s.rows]
    names = [n.strip().casefold() for n in filled]
    if len(names) < 2 or not set(names) <= set(entities.IMPORT_ORDER):
        return []
    return [n for n in entities.IMPORT_ORDER if n in names]


def run_workbook_import(db: Database, path: Path, *, dry_run: bool = False,
                        date_format: str | None = None, progress: ProgressFn | None = None,
                        cancel: CancelFn | None = None) -> list[ImportResult]:
    """Import csdesk's own workbook export (a sheet per entity, see :func:`book_sheets`) in
    dependency order, as one transaction, as a whole-book folder is."""
    names = book_sheets(path)
    if not names:
        raise ImportUsageError(f"{path.name} is not a csdesk workbook export (a sheet per "
                               f"entity: {', '.join(entities.IMPORT_ORDER)})")
    requests = {n: ImportRequest(path, entity=n, sheet=n, dry_run=dry_run,
                                 date_format=date_format) for n in names}
    return _run_book(db, requests, dry_run, progress, cancel)


def _run_book(db: Database, requests: dict[str, ImportRequest], dry_run: bool,
              progress: ProgressFn | None, cancel: CancelFn | None) -> list[ImportResult]:
    """Import one request per entity in dependency order, as one transaction."""
    order = [name for name in entities.IMPORT_ORDER if name in requests]
    unknown = sorted(set(requests) - set(entities.IMPORT_ORDER))
    with ExitStack() as stack:
        prepared = []
        for name in order:
            req = stack.enter_context(readable(requests[name]))
            info, spec, mapping, key = prepare(db, req)
            prepared.append((req, info, spec, mapping, key))
        results = [_new_result(info, spec, mapping, key, req)
                   for req, info, spec, mapping, key in prepared]
        if unknown:
            results[0].notes.append(f"not imported (unknown names): {', '.join(unknown)}")
        rep = Reporter(progress, cancel)
        with _transaction(db, results, dry_run, rep) as session:
            for req, *_rest in prepared[:1]:
                _choose_base(session, req)
            for n, ((req, info, spec, mapping, key), result) in enumerate(
                    zip(prepared, results, strict=True)):
                rep.checkpoint(n / len(prepared), f"Importing {spec.label.lower()}…")
                _import_one(session, info, spec, mapping, key, req, result,
                            Reporter(None, cancel))
                session.flush()
                if result.error_count:
                    break
            if not any(r.error_count for r in results):
                _settle_base(session, results)
                # segments follow the contracts: the last file that can move them owns it
                movers = [r for r in results if ADAPTERS[r.entity].resegments] or results
                resegment(session, history=_history(movers[-1]))
    _finish(rep, results)
    return results


# -- error report -------------------------------------------------------------------------


def write_error_report(result: ImportResult, path: Path, *, overwrite: bool = False) -> int:
    """The rows in error, as they were, plus the row number and the reasons: fix and re-import.

    The two extra columns (``csdesk_row``, ``csdesk_errors``) are ignored on import. The file
    imported is never written over, nor any other file but an earlier error report, unless
    ``overwrite`` (a save dialog asked).
    """
    source = Path(result.source)
    with contextlib.suppress(OSError):
        if path.exists() and source.exists() and path.samefile(source):
            raise ReplaceRefused(f"{path} is the file being imported; the rows in error were "
                                 "not written (give another file name)")
    check_replace(path, ours=made_by_csdesk(path, ",".join(entities.ERROR_COLUMNS).encode()),
                  overwrite=overwrite, what="an error report csdesk wrote")
    reasons: dict[int, list[str]] = {}
    for e in result.errors:
        reasons.setdefault(e.row, []).append(
            f"{e.column}: {e.reason}" if e.column else e.reason)
    try:  # whole or not at all, and private: the rows hold the customer's data
        with atomic_open(path, "w", newline="", encoding="utf-8-sig") as fh:
            writer = csv.writer(fh)
            writer.writerow([*result.header, *entities.ERROR_COLUMNS])
            for row in sorted(reasons):
                record = result.error_records.get(row, [])
                record = (record + [""] * len(result.header))[: len(result.header)]
                writer.writerow([*record, row, "; ".join(reasons[row])])
    except OSError as exc:
        raise FileWriteError(f"the list of rows in error was not written: "
                             f"{describe_os_error(exc, path)}") from exc
    return len(reasons)


__all__ = [
    "CUSTOM",
    "IGNORE",
    "CancelledTooLate",
    "ImportRequest",
    "ImportResult",
    "ImportUsageError",
    "book_sheets",
    "prepare",
    "readable",
    "run_folder_import",
    "run_import",
    "run_workbook_import",
    "write_error_report",
]
