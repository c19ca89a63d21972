"""A large usage sheet (the fast CSV path) under a title: errors name the sheet's rows."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
import xlsxwriter

from csdesk.db import Database
from csdesk.io import fastcsv, validate
from csdesk.services.sync.importer import ImportRequest, run_import


@pytest.mark.parametrize("fast", [True, False])
def test_a_big_usage_sheet_reports_the_sheets_row_numbers(
        db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fast: bool) -> None:
    """Through the C parser's fast path (the size limit lowered to take it) and the csv
    module's."""
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("external_id,name\n" + "".join(f"A-{i},Acct {i}\n" for i in range(40)),
                        encoding="utf-8")
    run_import(db, ImportRequest(accounts, entity="accounts"))

    path = tmp_path / "usage.xlsx"
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("usage")
    dates = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write(0, 0, "Weekly usage, all accounts")  # row 1: a title; row 2 blank
    sheet.write_row(2, 0, ["account_external_id", "date", "active_users", "logins"])
    start = date(2020, 1, 6)
    row = 3
    for day in range(1_000):
        for i in range(40):
            sheet.write_string(row, 0, f"A-{i}")
            sheet.write_datetime(row, 1, start + timedelta(days=day), dates)
            # sheet row 30,002 (0-based 30,001): not a number
            sheet.write_row(row, 2, ["many" if row == 30_001 else i, day])
            row += 1
    sheet.write_string(row, 0, "A-0")  # the last row (40,004): a date that is no date
    sheet.write_string(row, 1, "soon")
    book.close()

    frames = []
    real = fastcsv.iter_frames

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        frames.append(args)
        yield from real(*args, **kwargs)

    monkeypatch.setattr(fastcsv, "iter_frames", spy)
    monkeypatch.setattr(validate, "FAST_MIN_BYTES", 0 if fast else 1 << 40)
    result = run_import(db, ImportRequest(path, entity="usage", dry_run=True))
    assert bool(frames) is fast
    assert result.rows == 40_001
    assert [(e.row, e.column) for e in result.errors] == [(30_002, "active_users"),
                                                         (40_004, "date")]
