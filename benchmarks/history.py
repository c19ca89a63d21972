r"""Benchmark: what the field history costs an import, and how fast a value as of a day reads.

Each import is timed in the same run on fresh copies of the same book, with the field
history (as csdesk runs) and without it (``importer.KEEP_HISTORY = False``, the same code
writing no history rows), alternately, three times each; the ratio of the best times is the
cost. Three imports:

- the 1M-row usage import (usage snapshots are dated rows themselves and keep no field
  history: only the import log is opened earlier);
- 100,000 new accounts (one ``*created*`` row each, so the import can be reverted);
- a re-import of those accounts that changes every row (owner and a custom field: two
  field rows plus one ``*row*`` row per account).

Then the as-of read of one field for all 100,000 accounts (each with history), against a
floor: a plain SELECT of that column through the same session (and, for scale, the bare
DB-API rows of that SELECT).

    python benchmarks/history.py [--rows 1000000] [--accounts 100000] [--reads-only]
"""

from __future__ import annotations

import argparse
import csv
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from _book import bare_accounts
from sqlalchemy import func, select

from csdesk.config import resolve_database
from csdesk.db import Database
from csdesk.models import Account, FieldHistory
from csdesk.services import history
from csdesk.services.sync import importer
from csdesk.services.sync.importer import ImportRequest, run_import


def _usage_file(path: Path, rows: int, accounts: int) -> int:
    weeks = -(-rows // accounts)
    start = date(2025, 1, 6)
    written = 0
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["account_external_id", "date", "active_users", "licensed_seats",
                    "key_events", "features_used", "logins"])
        for week in range(weeks):
            d = (start + timedelta(weeks=week)).isoformat()
            for i in range(accounts):
                if written == rows:
                    return written
                w.writerow([f"ACC-{i:06d}", d, i % 40, 50, (i * 7) % 900, i % 12, i % 300])
                written += 1
    return written


def _accounts_file(path: Path, accounts: int, version: int) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["external_id", "name", "owner", "industry", "Sponsor mood"])
        for i in range(accounts):
            w.writerow([f"NEW-{i:06d}", f"New account {i}", f"CSM {(i + version) % 40}",
                        "Software", f"mood {(i + version) % 7}"])


def _timed(book: Path, request: ImportRequest, keep: bool) -> tuple[float, int, int]:
    importer.KEEP_HISTORY = keep
    try:
        t0 = time.perf_counter()
        with Database.open(resolve_database(book)) as db:
            result = run_import(db, request)
        seconds = time.perf_counter() - t0
    finally:
        importer.KEEP_HISTORY = True
    assert result.written, result.errors[:3]
    return seconds, result.inserted + result.updated, result.history_rows


def _pair(work: Path, base: Path, name: str, request: ImportRequest,
          prepare: ImportRequest | None = None, repeats: int = 3,
          ) -> tuple[float, float, int, int]:
    """(with, without, rows, history rows), the best of ``repeats`` runs of each, taken in
    turn (without, with, without, …) so that a warm cache or a busy machine favours
    neither; every run on its own fresh copy of ``base``."""
    best: dict[bool, float] = {}
    rows = hist = 0
    for n in range(repeats):
        for keep in (False, True) if n % 2 == 0 else (True, False):
            book = work / f"{name}-{keep}.sqlite"
            book.unlink(missing_ok=True)
            shutil.copy(base, book)
            if prepare is not None:
                _timed(book, prepare, keep)
            seconds, count, written = _timed(book, request, keep)
            best[keep] = min(best.get(keep, seconds), seconds)
            if keep:
                rows, hist = count, written
    return best[True], best[False], rows, hist


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--usage-accounts", type=int, default=20_000)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--reads-only", action="store_true",
                        help="only the as-of reads (the book is built, not timed)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="csdesk-bench-"))
    try:
        empty = work / "empty.sqlite"
        Database.open(resolve_database(empty)).close()
        first, second = work / "accounts-1.csv", work / "accounts-2.csv"
        _accounts_file(first, args.accounts, 0)
        _accounts_file(second, args.accounts, 1)
        create = ImportRequest(first, entity="accounts")
        change = ImportRequest(second, entity="accounts")
        if args.reads_only:
            shutil.copy(empty, work / "change-True.sqlite")
            _timed(work / "change-True.sqlite", create, True)
            _timed(work / "change-True.sqlite", change, True)
        else:
            base = work / "bare.sqlite"
            bare_accounts(base, args.usage_accounts)
            usage = work / "usage.csv"
            n = _usage_file(usage, args.rows, args.usage_accounts)
            w, wo, rows, hist = _pair(work, base, "usage",
                                      ImportRequest(usage, entity="usage"))
            print(f"usage import, {n:,} rows:", flush=True)
            print(f"  without history {wo:8.2f} s   with {w:8.2f} s   ratio {w / wo:.2f}x "
                  f"({hist:,} history rows)", flush=True)
            w, wo, rows, hist = _pair(work, empty, "create", create)
            print(f"accounts import, {rows:,} new accounts:")
            print(f"  without history {wo:8.2f} s   with {w:8.2f} s   ratio {w / wo:.2f}x "
                  f"({hist:,} history rows)", flush=True)
            w, wo, rows, hist = _pair(work, empty, "change", change, prepare=create)
            print(f"accounts re-import changing every one of {rows:,} rows (2 fields each):")
            print(f"  without history {wo:8.2f} s   with {w:8.2f} s   ratio {w / wo:.2f}x "
                  f"({hist:,} history rows)", flush=True)

        with Database.open(resolve_database(work / "change-True.sqlite")) as db:
            with db.read() as s:
                ids = list(s.scalars(select(Account.id)))
                stored = s.scalar(select(func.count()).select_from(FieldHistory))
            day = date.today() - timedelta(days=1)
            for field in ("owner", "custom:Sponsor mood"):
                column = (Account.owner if field == "owner"
                          else Account.custom_fields["Sponsor mood"])
                floor = raw = took = float("inf")
                quoted = field.removeprefix("custom:").replace('"', '""')
                sql = ("SELECT id, owner FROM accounts" if field == "owner" else
                       f"SELECT id, json_extract(custom_fields, '$.\"{quoted}\"') "
                       "FROM accounts")
                for _ in range(5):  # the best of five of each, in turn
                    t0 = time.perf_counter()
                    with db.read() as s:
                        plain = s.execute(select(Account.id, column)).all()
                    floor = min(floor, time.perf_counter() - t0)
                    t0 = time.perf_counter()
                    with db.read() as s:
                        cursor = s.connection().exec_driver_sql(sql).cursor
                        assert cursor is not None
                        cursor.fetchall()
                    raw = min(raw, time.perf_counter() - t0)
                    t0 = time.perf_counter()
                    values = history.values_as_of(db, "accounts", field, ids, day)
                    took = min(took, time.perf_counter() - t0)
                assert len(values) == len(plain) == len(ids)
                assert all(v.startswith(("CSM", "mood")) for v in values.values())
                print(f"as-of read of {field!r} for {len(ids):,} accounts "
                      f"({stored:,} history rows in the book):")
                print(f"  floor: SELECT of the column {floor:6.3f} s (its DB-API rows alone "
                      f"{raw:.3f} s)   as of a day {took:6.3f} s   ratio {took / floor:.2f}x "
                      f"({took / raw:.1f}x the DB-API rows)   "
                      f"{'under' if took < 0.5 else 'OVER'} 0.5 s")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
