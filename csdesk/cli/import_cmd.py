"""``csdesk import``: run the import service and report the way a terminal user needs."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from csdesk.config import DatabaseLocation
from csdesk.db import Database
from csdesk.errors import CsdeskError, CsvReadError, ImportUsageError
from csdesk.io import workbook
from csdesk.io.mapping import CUSTOM, IGNORE, confidence
from csdesk.io.validate import Issue
from csdesk.services.formatting import counted
from csdesk.services.sync.importer import (
    CancelledTooLate,
    ImportRequest,
    book_sheets,
    run_folder_import,
    run_import,
    run_workbook_import,
    write_error_report,
)
from csdesk.services.sync.results import ImportResult

SHOWN_ERRORS = 20
SHOWN_CHANGES = 20


def _value_overrides(pairs: list[str]) -> dict[str, dict[str, str]]:
    """``COLUMN:VALUE=VALUE`` pairs as column → {the file's value: csdesk's value}."""
    out: dict[str, dict[str, str]] = {}
    for pair in pairs:
        left, sep, target = pair.rpartition("=")
        column, colon, value = left.partition(":")
        if not sep or not colon or not column or not target.strip():
            raise ImportUsageError(f"--map-value takes COLUMN:VALUE=VALUE, not {pair!r}")
        out.setdefault(column, {})[value.strip()] = target.strip()
    return out


def _overrides(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        column, sep, target = pair.partition("=")
        if not sep or not column:
            raise ImportUsageError(f"--map takes COLUMN=FIELD, not {pair!r}")
        out[column] = target.strip() or IGNORE
    return out


def _progress(fraction: float, message: str) -> None:
    if sys.stderr.isatty():
        print(f"\r{fraction:4.0%} {message[:60]:<60}", end="", file=sys.stderr, flush=True)


class _CtrlC:
    """Ctrl-C during an import asks it to cancel, as the window's Cancel button does: it is
    rolled back, or, once committed, the one line says what was written. A second Ctrl-C
    interrupts at once."""

    def __init__(self) -> None:
        self.asked = False
        self._previous: Any = None

    def __call__(self) -> bool:
        return self.asked

    def _handler(self, _signum: int, _frame: object) -> None:
        if self.asked:
            raise KeyboardInterrupt
        self.asked = True

    def __enter__(self) -> _CtrlC:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


def run_import_command(args: argparse.Namespace, location: DatabaseLocation) -> int:
    path = args.file.expanduser()
    if not path.exists():
        raise ImportUsageError(f"no file or folder at {path}")
    with _CtrlC() as ctrl_c:
        return _run(args, location, path, ctrl_c)


def _run(args: argparse.Namespace, location: DatabaseLocation, path: Path,
         ctrl_c: _CtrlC) -> int:
    is_book = workbook.is_workbook(path)
    if args.sheet is not None and not is_book:
        raise ImportUsageError(f"--sheet is for a workbook (.xlsx, .xlsm, .xls); {path.name} "
                               "is not one")
    if is_book and (args.encoding or args.delimiter):
        raise ImportUsageError("--encoding and --delimiter are for a CSV file; a workbook's "
                               "cells are read as they are")
    one_file = bool(args.entity or args.map or args.map_value or args.mapping)
    with Database.open(location) as db:
        try:
            whole_book = is_book and not one_file and args.sheet is None and \
                bool(book_sheets(path))
            if path.is_dir() or whole_book:
                if one_file:
                    raise ImportUsageError("a folder import takes csdesk's own export files; "
                                           "--entity, --map, --map-value and --mapping are "
                                           "for one file")
                book = run_workbook_import if whole_book else run_folder_import
                if args.base_currency and not args.dry_run:
                    from csdesk.services.book.segments import change_base_currency

                    change_base_currency(db, args.base_currency)
                results = book(db, path, dry_run=args.dry_run, date_format=args.date_format,
                               progress=_progress, cancel=ctrl_c)
            else:
                request = ImportRequest(
                    path=path, entity=args.entity, profile=args.profile,
                    mapping_name=args.mapping, overrides=_overrides(args.map),
                    value_overrides=_value_overrides(args.map_value), key=args.key,
                    date_format=args.date_format, encoding=args.encoding,
                    delimiter=args.delimiter, decimal=args.decimal, dry_run=args.dry_run,
                    save_mapping=args.save_mapping, skip_invalid=args.skip_invalid,
                    as_of=args.as_of, measure=args.measure,
                    sheet=args.sheet, base_currency=args.base_currency)
                results = [run_import(db, request, progress=_progress, cancel=ctrl_c)]
        except CsvReadError as exc:
            return _unreadable(args, path, exc)
        finally:
            if sys.stderr.isatty():
                print("\r" + " " * 66 + "\r", end="", file=sys.stderr)
    if ctrl_c.asked and any(r.written for r in results):
        raise CancelledTooLate(results)
    failed = [r for r in results if r.error_count]
    if args.errors is not None and failed:
        write_error_report(failed[0], args.errors.expanduser())
    if args.json:
        payload = results[0].as_json() if len(results) == 1 else \
            {"files": [r.as_json() for r in results],
             "written": all(r.written for r in results) and not failed}
        # Indented while it is short enough to read; a large import's (20,000 accounts
        # matched, say) is written compactly: the indenting encoder is pure Python, ten
        # times slower than the compact one (0.6 s at 20,000 accounts).
        short = sum(r.rows for r in results) <= 10_000
        print(json.dumps(payload, indent=2 if short else None, ensure_ascii=False))
    else:
        for r in results:
            _print(r)
        if args.errors is not None and failed:
            print(f"Rows in error written to {args.errors} (fix them and import that file "
                  "with the same options).")
        elif any(r.written and r.rows_left_out for r in results):
            print("--errors FILE writes the rows left out to a file, to fix and import again.")
    # Rows in error fail the import, unless the valid ones were asked for (and the file was
    # read to its end, for real).
    return 1 if any(not r.skip_invalid or r.stopped for r in failed) else 0


def _unreadable(args: argparse.Namespace, path: object, exc: CsvReadError) -> int:
    if args.json:
        issue = Issue(exc.row or 0, "", "", exc.reason)
        print(json.dumps({"inserted": 0, "updated": 0, "unchanged": 0,
                          "errors": [issue.as_json()], "written": False, "encoding": None,
                          "delimiter": None, "mapping": {}}, indent=2))
        return 1
    raise CsdeskError(f"{path}: {exc}")


def _print(r: ImportResult) -> None:
    delim = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}.get(r.delimiter,
                                                                           r.delimiter)
    profile = f" ({r.profile} profile)" if r.profile else ""
    read_as = f"sheet {r.sheet!r}" if r.sheet else f"{r.encoding}, {delim}-separated"
    print(f"{r.source} → {r.entity}{profile}: {read_as}, key {'+'.join(r.key)}")
    print(f"  decimal mark: {r.decimal_text}")
    for note in r.notes:
        print(f"  note: {note}")
    for column, target in r.mapping.items():
        shown = {CUSTOM: "custom field", IGNORE: "not imported"}.get(target, target)
        how = r.mapping_how.get(column, "")
        sure = confidence(how)
        print(f"  {column!r:<32} → {shown}  ({how}{f'; {sure}' if sure else ''})")
    for name, values in r.value_maps.items():
        shown = ", ".join(f"{v!r} → {t}" for v, t in values.items())
        print(f"  {name} values: {shown}")
    if r.account_matches is not None and r.account_matches.values:
        print(f"  accounts: {r.account_matches.summary()}")
    verb = "would be" if r.dry_run or (r.error_count and not r.written) else "were"
    print(f"{r.inserted:,} {verb} inserted, {r.updated:,} updated, {r.unchanged:,} unchanged, "
          f"{r.error_count:,} in error.")
    for c in r.changes[:SHOWN_CHANGES]:
        print(f"  {c.key}: {c.field} {c.old!r} → {c.new!r}")
    if len(r.changes) > SHOWN_CHANGES:
        print(f"  … and {len(r.changes) - SHOWN_CHANGES} more changes")
    for e in r.errors[:SHOWN_ERRORS]:
        where = f"row {e.row}" + (f", column {e.column!r}" if e.column else "")
        print(f"  {where}: {e.reason} (value {e.value!r})")
    if r.error_count > SHOWN_ERRORS:
        print(f"  … and {r.error_count - SHOWN_ERRORS:,} more problems")
    unmapped = next((e for e in r.errors if e.reason.endswith("(map the value to one of them)")),
                    None)
    if unmapped is not None:
        print(f"  say what a value means with --map-value \"{unmapped.column}:{unmapped.value}"
              "=VALUE\" (one of the values listed; or leave_out to leave those rows out, or "
              "keep_as_custom to import them with the word kept as a custom field)")
    if r.rows_left_by_value:
        verb = ("was" if r.rows_left_by_value == 1 else "were") if r.written else "would be"
        print(f"{counted(r.rows_left_by_value, 'row')} {verb} left out because of a value "
              "mapped to leave_out.")
    if r.kept_typed:
        print(f"{counted(r.kept_typed, 'rate')} typed by hand {'was' if r.written else 'would be'}"
              " kept: the file's rate for that currency and day is not used.")
    if r.written and r.rows_left_out:
        was = "was" if r.rows_left_out == 1 else "were"
        print(f"{counted(r.rows_left_out, 'row')} in error {was} left out, as asked "
              "(--skip-invalid).")
    if r.written:
        print(f"Imported. A backup of the book before the import: {r.backup}")
        if (r.inserted or r.updated) and r.entity != "rates":
            print("Health is scored by `csdesk health` (or Ctrl+R in the window): until then "
                  "new and changed accounts show their last score, or none.")
    elif r.error_count and r.stopped:
        print("Nothing was written: the file could not be read to its end.")
    elif r.error_count and r.skip_invalid and r.dry_run:
        print("Dry run: the valid rows would be imported and the rows in error left out.")
    elif r.error_count and r.skip_invalid:
        print("Nothing was written: no valid row had anything to change.")
    elif r.error_count:
        print("Nothing was written: fix the rows in error and import again, or import the "
              "valid rows and leave these out with --skip-invalid.")
    elif r.dry_run:
        print("Dry run: nothing was written.")
    else:
        print("Nothing to change: the book already holds this file.")


def run_revert_command(args: argparse.Namespace, location: DatabaseLocation) -> int:
    """csdesk revert-import [--dry-run]: undo the latest import from its field history."""
    from csdesk.services.sync.revert import latest_import, revert_latest_import

    with Database.open(location, create=False) as db:
        latest = latest_import(db)
        if latest is None:
            print("No import to revert.")
            return 0
        what = (f"the import of {latest.file} ({latest.entity}, {latest.inserted:,} inserted, "
                f"{latest.updated:,} updated) on {latest.started_at:%d %b %Y %H:%M} UTC")
        done = revert_latest_import(db, dry_run=args.dry_run)  # a refusal is the same
    verb, removed = ("Would revert", "would be removed") if args.dry_run else ("Reverted",
                                                                             "removed")
    print(f"{verb} {what}: {done.fields_restored:,} fields set back on "
          f"{done.records_updated:,} records, {done.records_deleted:,} records it created "
          f"{removed}.")
    return 0
