"""`csdesk import book.xlsx` and `csdesk export book.xlsx`: sheets, the sheet's own row
numbers, dry run, --skip-invalid, the error file, and typed, guarded, private exports."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from datetime import date
from pathlib import Path

import openpyxl
from python_calamine import CalamineWorkbook
from sqlalchemy import select

from csdesk.config import DatabaseLocation, resolve_database
from csdesk.db import Database
from csdesk.models import Account, Subscription
from tests.workbooks import titled_workbook


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "csdesk", *args], capture_output=True,
                          text=True, env=dict(os.environ), timeout=120)


def accounts_book(path: Path) -> Path:
    """A workbook as a CSM gets it: a cover sheet, then a titled table with problems."""
    wb = titled_workbook(
        path, cover=("Cover", "Q3 accounts"), sheet="Customers", title="Customer list",
        header=["Account ID", "Account Name", "ARR", "Renewal Date"],
        rows=[["A-1", "Acme", 1200.5, 45292],  # a date serial, as a number
              ["A-2", None, 99, date(2024, 5, 1)],  # row 5: no name
              ["A-3", "Globex", "lots", date(2024, 6, 1)],  # row 6: not money
              ["A-4", "Initech", 10, date(2024, 7, 1)]])
    wb["Customers"]["D4"].number_format = "0"
    wb.save(path)
    return path


def test_import_a_sheet_with_the_sheets_row_numbers(tmp_path: Path) -> None:
    src = accounts_book(tmp_path / "accounts.xlsx")
    book = str(tmp_path / "b.sqlite")
    errors = tmp_path / "errors.csv"
    dry = run("import", str(src), "--sheet", "Customers", "--entity", "accounts",
              "--dry-run", "--json", "--errors", str(errors), "--db", book)
    assert dry.returncode == 1, dry.stderr
    out = json.loads(dry.stdout)
    assert out["sheet"] == "Customers" and out["file"] == str(src)
    assert [(e["row"], e["column"]) for e in out["errors"]] == [(5, "Account Name"), (6, "ARR")]
    assert (out["inserted"], out["written"]) == (2, False)
    lines = errors.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].endswith("csdesk_row,csdesk_errors")
    assert [line.split(",")[-2] for line in lines[1:]] == ["5", "6"]

    done = run("import", str(src), "--sheet", "customers", "--skip-invalid", "--db", book)
    assert done.returncode == 0, done.stderr
    assert "sheet 'Customers'" in done.stdout
    assert "header on row 3; rows 1–2 are a title" in done.stdout
    with Database.open(resolve_database(Path(book))) as db, db.read() as s:
        got = {a.external_id: a.name for a in s.scalars(select(Account))}
        renewals = {sub.account.external_id: sub.end_date
                    for sub in s.scalars(select(Subscription))}
    assert got == {"A-1": "Acme", "A-4": "Initech"}
    assert renewals["A-1"] == date(2024, 1, 1)  # the serial read as a date


def test_sheet_usage_errors(tmp_path: Path) -> None:
    src = accounts_book(tmp_path / "accounts.xlsx")
    book = str(tmp_path / "b.sqlite")
    unknown = run("import", str(src), "--sheet", "Nope", "--db", book)
    assert unknown.returncode == 2
    assert "'Cover', 'Customers'" in unknown.stderr and "Traceback" not in unknown.stderr
    csv_file = tmp_path / "a.csv"
    csv_file.write_text("external_id,name\nA-1,Acme\n", encoding="utf-8")
    on_csv = run("import", str(csv_file), "--sheet", "x", "--db", book)
    assert on_csv.returncode == 2 and "--sheet is for a workbook" in on_csv.stderr
    bad = tmp_path / "broken.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really")
    broken = run("import", str(bad), "--entity", "accounts", "--db", book)
    assert broken.returncode == 1 and "Traceback" not in broken.stderr
    assert "cannot be read as an Excel workbook" in broken.stderr
    assert broken.stderr.count("\n") == 1


def test_export_a_workbook_and_import_it_whole(demo_location: DatabaseLocation,
                                               tmp_path: Path) -> None:
    out = tmp_path / "book.xlsx"
    done = run("export", str(out), "--db", str(demo_location.path))
    assert done.returncode == 0, done.stderr
    assert "accounts" in done.stdout and "usage" in done.stdout
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    before = out.read_bytes()
    again = run("export", str(out), "--db", str(demo_location.path))
    assert again.returncode == 1 and "--overwrite" in again.stderr
    assert out.read_bytes() == before
    one = run("export", str(out), "--entity", "accounts", "--overwrite",
              "--db", str(demo_location.path))
    assert one.returncode == 0 and "accounts" in one.stdout
    assert CalamineWorkbook.from_path(str(out)).sheet_names == ["accounts"]
    # the folder export is unchanged
    folder = run("export", str(tmp_path / "csv"), "--db", str(demo_location.path))
    assert folder.returncode == 0 and (tmp_path / "csv" / "accounts.csv").exists()

    whole = tmp_path / "whole.xlsx"
    assert run("export", str(whole), "--db", str(demo_location.path)).returncode == 0
    imported = run("import", str(whole), "--json", "--db", str(tmp_path / "new.sqlite"))
    assert imported.returncode == 0, imported.stderr
    files = json.loads(imported.stdout)
    assert files["written"] is True
    assert [f["sheet"] for f in files["files"]][:4] == ["rates", "accounts", "contacts",
                                                         "subscriptions"]


def test_a_workbooks_numbers_are_read_with_a_point(tmp_path: Path) -> None:
    """1.234 in a number cell is one and a bit, never a question about the decimal mark."""
    book = str(tmp_path / "b.sqlite")
    accounts = tmp_path / "a.csv"
    accounts.write_text("external_id,name\nA-1,Acme\n", encoding="utf-8")
    assert run("import", str(accounts), "--entity", "accounts", "--db", book).returncode == 0
    src = tmp_path / "events.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "feature_events"
    wb.active.append(["account_external_id", "date", "feature", "usage_count",
                      "duration_seconds"])
    wb.active.append(["A-1", date(2026, 1, 5), "reports", 3, 1.234])
    wb.save(src)
    done = run("import", str(src), "--json", "--db", book)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert (out["inserted"], out["decimal"], out["decimal_how"]) == \
        (1, ".", "a workbook's numbers")
