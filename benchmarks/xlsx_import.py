r"""Benchmark: importing a usage sheet from an .xlsx workbook, against the same rows as CSV.

The floor is csdesk's own import of the same rows written as a CSV file, into a fresh book
of the same accounts, in the same run on the same machine. The workbook import adds reading
the sheet with calamine, finding its header and turning its cells into the CSV path's text
(a temporary CSV); everything after that is the same pipeline. Target: at most 3× the floor.

    python benchmarks/xlsx_import.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import csv
import shutil
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import xlsxwriter
from _book import bare_accounts

from csdesk.config import resolve_database
from csdesk.db import Database
from csdesk.services.sync.importer import ImportRequest, run_import

HEADER = ["account_external_id", "date", "active_users", "licensed_seats", "key_events",
          "features_used", "logins"]


def _rows(rows: int, accounts: int) -> list[tuple[str, date, int, int, int, int, int]]:
    start = date(2025, 1, 6)
    out = []
    for n in range(rows):
        week, i = divmod(n, accounts)
        out.append((f"ACC-{i:06d}", start + timedelta(weeks=week), i % 40, 50, (i * 7) % 900,
                    i % 12, i % 300))
    return out


def _timed(book: Path, path: Path) -> tuple[float, int]:
    t0 = time.perf_counter()
    with Database.open(resolve_database(book)) as db:
        result = run_import(db, ImportRequest(path, entity="usage"))
    seconds = time.perf_counter() - t0
    assert result.written and not result.error_count, result.errors[:3]
    return seconds, result.inserted


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--accounts", type=int, default=5_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="csdesk-bench-"))
    data = _rows(args.rows, args.accounts)
    csv_path, xlsx_path = work / "usage.csv", work / "usage.xlsx"
    with open(csv_path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        w.writerows((a, d.isoformat(), *rest) for a, d, *rest in data)
    book = xlsxwriter.Workbook(str(xlsx_path), {"constant_memory": True})
    sheet = book.add_worksheet("usage")
    dates = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, HEADER)
    for r, (account, day, *numbers) in enumerate(data, start=1):
        sheet.write_string(r, 0, account)
        sheet.write_datetime(r, 1, day, dates)
        sheet.write_row(r, 2, numbers)
    book.close()

    for name in ("csv", "xlsx"):
        bare_accounts(work / f"{name}.sqlite", args.accounts)
    csv_s, csv_rows = _timed(work / "csv.sqlite", csv_path)
    xlsx_s, xlsx_rows = _timed(work / "xlsx.sqlite", xlsx_path)
    assert csv_rows == xlsx_rows == args.rows

    from csdesk.io import workbook

    t0 = time.perf_counter()
    with workbook.sheet_as_csv(xlsx_path):
        pass
    convert_s = time.perf_counter() - t0

    print(f"rows:                          {args.rows:,} "
          f"(CSV {csv_path.stat().st_size / 1e6:.1f} MB, "
          f"xlsx {xlsx_path.stat().st_size / 1e6:.1f} MB)")
    print(f"floor (csdesk CSV import):     {csv_s:8.2f} s")
    print(f"csdesk .xlsx import:           {xlsx_s:8.2f} s   ratio {xlsx_s / csv_s:.2f}x "
          "(target ≤ 3x)")
    print(f"the sheet to CSV, on its own:  {convert_s:8.2f} s")
    shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
