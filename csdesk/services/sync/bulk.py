"""Streaming import of the large time series: usage snapshots and feature events.

A file is read in chunks of 100,000 rows; each chunk is typed and checked column-wise, its
account references resolved from one dictionary, and written with one ``executemany``
upsert, all inside the caller's single transaction. The first row in error stops the
writing (the transaction will be rolled back) but the checking goes on, so the report lists
every problem in the file. Memory stays bounded by the chunk size.

Feature events are aggregated per account, date and feature over the whole file and then
written, so importing the same events again gives the same totals, never double counts. The
events wait for that in a private SQLite file on disk (:class:`_Stage`), never in memory, and
come back sorted by key, a batch of whole groups at a time.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from csdesk.db.bulk import Upserted, upsert_rows
from csdesk.db.scratch import ScratchTable
from csdesk.io import entities
from csdesk.io.fastcsv import ShapeMismatch
from csdesk.io.mapping import Mapping
from csdesk.io.reader import CsvInfo
from csdesk.io.validate import FrameChunk, Issue, ParseOptions, read_frames, type_chunk
from csdesk.io.values import AmbiguousDates
from csdesk.progress import Reporter
from csdesk.services.sync.adapters import ADAPTERS
from csdesk.services.sync.matching import AccountMatcher
from csdesk.services.sync.results import ImportResult, seen_before

MAX_ERROR_RECORDS = 10_000
CHUNK_ROWS = 100_000  # rows a chunk: a 4M-row usage file peaks ~470 MB (549 MB at 200,000)


def _date_codes(values: pd.Series) -> np.ndarray:
    codes, uniques = pd.factorize(values.to_numpy(dtype=object))
    rank = np.argsort(np.argsort(np.array([d.toordinal() for d in uniques], dtype=np.int64)))
    ranked: np.ndarray = rank[codes]
    return ranked


def _iso_dates(values: pd.Series) -> list[str]:
    """ISO strings for a column of dates, converting each distinct date once."""
    codes, uniques = pd.factorize(values)
    iso = np.array([d.isoformat() for d in uniques], dtype=object)
    strings: list[str] = iso[codes].tolist()
    return strings


def import_bulk(session: Session, info: CsvInfo, spec: entities.EntitySpec, mapping: Mapping,
                opts: ParseOptions, result: ImportResult, rep: Reporter) -> None:
    """Stream the file in; fall back to the exact (slower) reader if the fast one balks.

    Only that fallback rolls back to the savepoint; any other failure is left to the
    caller's transaction as it is (after a full disk SQLite has already rolled everything
    back, and a rollback to the savepoint would only hide why).
    """
    savepoint = session.begin_nested()
    try:
        _import_bulk(session, info, spec, mapping, opts, result, rep, fast=True)
    except ShapeMismatch:
        savepoint.rollback()
        result.rows = result.inserted = result.updated = result.unchanged = 0
        result.error_count = 0
        result.errors, result.error_records = [], {}
        result.notes.append("the file's quoting needed the exact (slower) reader")
        _import_bulk(session, info, spec, mapping, opts, result, rep, fast=False)
    else:
        savepoint.commit()


@dataclass
class _Prepared:
    """One chunk, checked and turned into rows, ready for the writer."""

    rows_seen: int
    bytes_read: int
    issues: list[Issue]
    records: dict[int, list[str]]
    write: list[tuple[object, ...]] | None = None  # usage rows to upsert
    ambiguous: AmbiguousDates | None = None
    left_by_value: int = 0  # rows whose value the CSM said to leave out


# What the reader thread hands the writer: a chunk, the staged totals, the end, or a failure.
_Message = (tuple[Literal["chunk"], _Prepared] | tuple[Literal["totals"], list[tuple[object, ...]]]
            | tuple[Literal["done"], None] | tuple[Literal["error"], BaseException])


class _Producer(threading.Thread):
    """Reads and checks chunks on a second thread while the caller writes the previous one.

    Parsing (pandas' C parser, numpy) and SQLite's ``executemany`` both release the GIL for
    most of their work, so the two cores overlap them; the queue holds at most two chunks,
    which bounds memory. The database is touched only by the caller's thread.
    """

    def __init__(self, info: CsvInfo, spec: entities.EntitySpec, mapping: Mapping,
                 opts: ParseOptions,
                 matcher: AccountMatcher, fast: bool, *, skip_invalid: bool = False) -> None:
        super().__init__(name="csdesk-import-reader", daemon=True)
        self.info, self.spec, self.mapping, self.opts = info, spec, mapping, opts
        self.matcher, self.fast = matcher, fast
        self.queue: queue.Queue[_Message] = queue.Queue(maxsize=2)
        self.stop = threading.Event()
        mapped = mapping.mapped()
        self.value_fields = [f for f in spec.field_names if f in mapped
                             and f not in ("account_external_id", "date", "feature")]
        self.stage: _Stage | None = None  # the feature events, until the file is read
        self.failed = False  # a row in error: nothing will be written, stop staging
        self.skip_invalid = skip_invalid  # rows in error are left out, the rest written

    def run(self) -> None:
        try:
            seen: dict[str, Any] = {}
            if self.spec.name == "feature_events":
                self.stage = _Stage(self.value_fields)
            for chunk in read_frames(self.info, CHUNK_ROWS, fast=self.fast):
                if self.stop.is_set():
                    return
                self._put(("chunk", self._prepare(chunk, seen)))
            if self.stage is not None and not self.failed:
                for totals in self.stage.totals(CHUNK_ROWS):
                    if self.stop.is_set():
                        return
                    self._put(("totals", totals))
            self._put(("done", None))
        except BaseException as exc:  # handed to the writer, which re-raises it
            self._put(("error", exc))
        finally:
            if self.stage is not None:
                self.stage.close()

    def _put(self, item: _Message) -> None:
        while not self.stop.is_set():
            try:
                self.queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def _prepare(self, chunk: FrameChunk, seen: dict[str, Any]) -> _Prepared:
        spec, mapped = self.spec, self.mapping.mapped()
        frame, rows, issues = chunk.frame, chunk.rows, list(chunk.issues)
        out = _Prepared(len(frame) + len(chunk.issues), chunk.bytes_read, issues, {})
        try:
            typed = type_chunk(spec, self.mapping, frame, rows, self.opts)
        except AmbiguousDates as exc:
            out.ambiguous = exc
            self.failed = True
            return out
        issues += typed.issues
        out.left_by_value = typed.left_out
        df, rows = typed.frame, typed.rows
        acc = _lookup(df["account_external_id"], self.matcher)
        unknown = acc.isna().to_numpy()
        if unknown.any():
            ext = df["account_external_id"]
            issues += [Issue(int(rows.iat[i]), mapped["account_external_id"], str(ext.iat[i]),
                             self.matcher.reason(str(ext.iat[i])))
                       for i in np.flatnonzero(unknown)]
            df, rows, acc = df[~unknown], rows[~unknown], acc[~unknown]
        df = df.assign(account_id=acc.astype("int64"))
        if spec.name == "usage":
            issues += _duplicates(df, rows, seen, mapped,
                                  mapped["date"] in self.mapping.constants)
        if issues:
            self.failed = self.failed or not self.skip_invalid
            issues.sort(key=lambda e: e.row)
            bad = rows.isin({e.row for e in issues}).to_numpy()
            df, rows = df[~bad], rows[~bad]  # a repeated key's later rows too
            keeper = ImportResult("", "", "", "", {}, {}, None, ())
            _keep_records(keeper, issues, chunk.records, frame, chunk.rows)
            out.records = keeper.error_records
        if spec.name == "usage":
            # In key order, SQLite's unique index is filled page by page (about 15 % faster).
            order = np.lexsort((_date_codes(df["date"]), df["account_id"].to_numpy()))
            df = df.iloc[order]
            data = [df["account_id"].tolist(), _iso_dates(df["date"])]
            data += [_nullable_ints(df[f]) for f in self.value_fields]
            out.write = list(zip(*data, strict=True))
        elif not self.failed and self.stage is not None:
            self.stage.add(_aggregate(df, self.value_fields), rows)
        return out


def _import_bulk(session: Session, info: CsvInfo, spec: entities.EntitySpec, mapping: Mapping,
                 opts: ParseOptions, result: ImportResult, rep: Reporter, *,
                 fast: bool) -> None:
    adapter = ADAPTERS[spec.name]
    table = adapter.table
    keys = ["account_id", "date"] + (["feature"] if spec.name == "feature_events" else [])
    matcher = AccountMatcher(session)
    producer = _Producer(info, spec, mapping, opts, matcher, fast,
                         skip_invalid=_go_on(result))
    done, valid = Upserted(), 0
    label = spec.label.split(" (")[0].lower()
    producer.start()
    try:
        fraction = 0.0
        while True:
            try:
                message = producer.queue.get(timeout=0.25)
            except queue.Empty:  # the reader is still at work: answer a cancel meanwhile
                rep.checkpoint(fraction, f"Importing {label}… {result.rows:,} rows")
                continue
            if message[0] == "error":
                raise message[1]
            if message[0] == "done":
                break
            if message[0] == "totals":  # only sent when no row was in error
                rows = message[1]
                fields = ["usage_count", "duration_seconds", "errors"]
                done += upsert_rows(session, table, ["account_id", "date", "feature", *fields],
                                    keys, rows)
                valid += len(rows)
                continue
            chunk = message[1]
            result.rows += chunk.rows_seen
            result.rows_left_by_value += chunk.left_by_value
            fraction = 0.95 * chunk.bytes_read / max(info.size, 1)
            rep.checkpoint(fraction, f"Importing {label}… {result.rows:,} rows")
            if chunk.ambiguous is not None:
                col = mapping.mapped().get("date", "")
                result.add_issues([Issue(r, col, v, str(chunk.ambiguous))
                                   for r, v in chunk.ambiguous.examples])
                result.stopped = True
                return
            if chunk.issues:
                result.add_issues(chunk.issues)
                result.rows_left_out += len({e.row for e in chunk.issues})
                room = MAX_ERROR_RECORDS - len(result.error_records)
                result.error_records.update(list(chunk.records.items())[:max(room, 0)])
            if result.error_count and not _go_on(result):
                continue  # keep checking, write nothing more
            if chunk.write is not None:
                valid += len(chunk.write)
                cols = ["account_id", "date", *producer.value_fields]
                done += upsert_rows(session, table, cols, keys, chunk.write)
    finally:
        producer.stop.set()
        producer.join()
        result.account_matches = matcher.report()
    if result.error_count and not _go_on(result):
        return
    result.inserted, result.updated = done.inserted, done.updated
    result.unchanged = valid - done.inserted - done.updated


def _go_on(result: ImportResult) -> bool:
    """Whether the valid rows are written after a row in error: when they are asked for,
    and in a dry run (rolled back whatever happens), so its counts say what importing the
    valid rows would do, as the row-by-row import's counts do."""
    return result.skip_invalid or result.dry_run


class _Stage:
    """Feature events parked in a private SQLite file until the whole file is read.

    Summing them in memory held every event (or every account, date and feature) of the
    file at once; here memory holds one chunk. The events come back sorted by key and, within
    a key, in file order, so the totals are summed exactly as one pass over the whole file
    sums them, and written in the same order. The file is deleted when the import ends.
    """

    COLUMNS = ("account_id", "date", "feature", "usage_count", "duration_seconds", "errors")

    def __init__(self, value_fields: list[str]) -> None:
        self.mapped = set(value_fields)  # the dtypes of the sums follow what was mapped
        self.table = ScratchTable({"account_id": "INTEGER", "date": "TEXT", "feature": "TEXT",
                                   "usage_count": "INTEGER", "duration_seconds": "REAL",
                                   "errors": "INTEGER", "row": "INTEGER"},
                                  prefix="csdesk-events-")

    def add(self, events: pd.DataFrame, rows: pd.Series) -> None:
        data = [events["account_id"].tolist(), _iso_dates(events["date"]),
                events["feature"].astype(object).tolist(),
                _nullable_ints(events["usage_count"]),
                _nullable_floats(events["duration_seconds"]),
                _nullable_ints(events["errors"]), rows.tolist()]
        self.table.insert(zip(*data, strict=True))

    def totals(self, batch: int) -> Iterator[list[tuple[object, ...]]]:
        """Rows of (key, usage_count, duration_seconds, errors), whole groups per batch."""
        carry: pd.DataFrame | None = None
        for got in self.table.ordered(self.COLUMNS, ("account_id", "date", "feature", "row"),
                                      batch):
            frame = self._frame(got)
            if carry is not None:
                frame = pd.concat([carry, frame], ignore_index=True)
            # The last key may go on in the next batch: keep it back.
            last = frame.iloc[-1]
            tail = np.ones(len(frame), dtype=bool)
            for key in ("account_id", "date", "feature"):
                tail &= (frame[key] == last[key]).to_numpy(dtype=bool)
            carry = frame[tail]
            if (~tail).any():
                yield self._sums(frame[~tail])
        if carry is not None:
            yield self._sums(carry)

    def _frame(self, got: list[tuple[object, ...]]) -> pd.DataFrame:
        """The events as the one-pass sum saw them: masked dtypes for mapped columns."""
        frame = pd.DataFrame.from_records(got, columns=list(self.COLUMNS))
        frame["account_id"] = frame["account_id"].astype("int64")
        for f, masked, plain in (("usage_count", "Int64", "int64"),
                                 ("duration_seconds", "Float64", "float64"),
                                 ("errors", "Int64", "int64")):
            frame[f] = frame[f].astype(masked if f in self.mapped else plain)
        return frame

    @staticmethod
    def _sums(frame: pd.DataFrame) -> list[tuple[object, ...]]:
        total = frame.groupby(["account_id", "date", "feature"], as_index=False).sum(
            min_count=1)
        data = [total["account_id"].tolist(), total["date"].tolist(),
                total["feature"].tolist(), _nullable_ints(total["usage_count"]),
                _nullable_floats(total["duration_seconds"]), _nullable_ints(total["errors"])]
        return list(zip(*data, strict=True))

    def close(self) -> None:
        self.table.close()


def _keep_records(result: ImportResult, issues: list[Issue], ragged: dict[int, list[str]],
                  frame: pd.DataFrame, rows: pd.Series) -> None:
    """The original fields of rows in error, for the error report (bounded)."""
    row_numbers = rows.to_numpy(dtype=np.int64)
    for e in issues:
        if len(result.error_records) >= MAX_ERROR_RECORDS:
            return
        if e.row in ragged:
            result.error_records[e.row] = ragged[e.row]
            continue
        at = int(np.searchsorted(row_numbers, e.row))
        if at < len(row_numbers) and row_numbers[at] == e.row:
            result.error_records[e.row] = [str(v) for v in frame.iloc[at].tolist()]


def _lookup(ext: pd.Series, matcher: AccountMatcher) -> pd.Series:
    """Account id per row (by external id, domain or name), resolving each distinct value
    once and counting its rows for the match report."""
    codes, uniques = pd.factorize(ext.to_numpy(dtype=object))
    values = uniques.tolist()
    matcher.count(values, np.bincount(codes[codes >= 0], minlength=len(values)).tolist())
    found = pd.array([*matcher.resolve_all(values), None], dtype="Int64")
    return pd.Series(found.take(codes), index=ext.index)


def _nullable_ints(col: pd.Series) -> list[int | None]:
    ints: list[int | None] = pd.array(col, dtype="Int64").to_numpy(dtype=object,
                                                                  na_value=None).tolist()
    return ints


def _nullable_floats(col: pd.Series) -> list[float | None]:
    return [None if v is None else float(v) for v in
            pd.array(col, dtype="Float64").to_numpy(dtype=object, na_value=None).tolist()]


def _aggregate(df: pd.DataFrame, value_fields: list[str]) -> pd.DataFrame:
    out = df[["account_id", "date", "feature"]].copy()
    out["usage_count"] = df["usage_count"].fillna(1) if "usage_count" in df else 1
    out["duration_seconds"] = df.get("duration_seconds", np.nan)
    out["errors"] = df["errors"].fillna(0) if "errors" in df else 0
    return out


def _duplicates(df: pd.DataFrame, rows: pd.Series, seen: dict[str, Any],
                mapped: dict[str, str], one_date: bool = False) -> list[Issue]:
    """The same account and date twice in the file (across chunks too), vectorised; told
    on the account column when every row has the same date (a snapshot)."""
    codes, uniques = pd.factorize(df["date"].to_numpy(dtype=object))
    ordinals = np.array([d.toordinal() for d in uniques], dtype=np.int64)[codes]
    keys = df["account_id"].to_numpy(dtype=np.int64) * 1_000_000 + ordinals
    field = "account_external_id" if one_date else "date"
    return [Issue(int(rows.iat[at]), mapped[field], str(df[field].iat[at]),
                  f"the same account and date as row {first}")
            for at, first in seen_before(keys, rows, seen)]
