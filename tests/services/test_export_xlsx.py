"""Excel export: typed cells, text never a formula, a frozen filtered header, a private file
written whole or not at all; and the round trip book → .xlsx → new book → .xlsx."""

from __future__ import annotations

import os
import stat
import zipfile
from datetime import date
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from csdesk.config import resolve_database
from csdesk.db import Database
from csdesk.errors import FileWriteError, ReplaceRefused
from csdesk.io import entities
from csdesk.io.xlsx_export import SheetTooLarge
from csdesk.models import Account
from csdesk.progress import Cancelled
from csdesk.services.book.info import book_info
from csdesk.services.demo.generate import generate_demo
from csdesk.services.sync import export as export_service
from csdesk.services.sync.export import export_workbook
from csdesk.services.sync.importer import ImportRequest, run_import, run_workbook_import

AS_OF = date(2026, 11, 22)


@pytest.fixture
def small_book(tmp_path: Path) -> Database:
    with Database.open(resolve_database(tmp_path / "small.sqlite")) as db:
        generate_demo(db, accounts=20, seed=3, as_of=AS_OF, usage_weeks=4)
    return Database.open(resolve_database(tmp_path / "small.sqlite"))


def cells(path: Path) -> dict[str, list[list[object]]]:
    book = CalamineWorkbook.from_path(str(path))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def sorted_cells(path: Path) -> dict[str, list[list[object]]]:
    return {name: [rows[0], *sorted(rows[1:], key=repr)] for name, rows in cells(path).items()}


def test_round_trip_gives_the_same_cells(small_book: Database, tmp_path: Path) -> None:
    first = tmp_path / "book.xlsx"
    done = export_workbook(small_book, first)
    assert [r.entity for r in done] == list(entities.IMPORT_ORDER)
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    with Database.open(resolve_database(tmp_path / "copy.sqlite")) as copy:
        results = run_workbook_import(copy, first)
        assert all(r.written and not r.error_count for r in results), \
            [(r.entity, r.errors[:2]) for r in results]
        source_counts, copy_counts = book_info(small_book).counts, book_info(copy).counts
        for table in ("accounts", "contacts", "subscriptions", "renewals", "opportunities",
                      "usage_snapshots", "feature_usage", "support_tickets",
                      "survey_responses", "activities"):
            assert copy_counts[table] == source_counts[table], table
        again = tmp_path / "again.xlsx"
        export_workbook(copy, again)
        # importing it a second time changes nothing
        assert all(r.inserted == r.updated == 0 for r in run_workbook_import(copy, first))
    assert sorted_cells(first) == sorted_cells(again)
    small_book.close()


def test_typed_cells_and_the_injection_guard(db: Database, tmp_path: Path) -> None:
    with db.write() as s:
        s.add(Account(external_id="X1", name='=HYPERLINK("http://x")', segment="smb",
                      engagement_model="tech_touch", customer_since=date(2024, 2, 29),
                      custom_fields={"note": "+1", "code": "00123", "at": "@SUM(A1)"}))
    path = tmp_path / "accounts.xlsx"
    export_workbook(db, path, entity="accounts")
    sheet = cells(path)["accounts"]
    header, row = sheet[0], sheet[1]
    got = dict(zip(header, row, strict=True))
    assert got["name"] == '=HYPERLINK("http://x")'
    assert (got["custom.note"], got["custom.code"], got["custom.at"]) == \
        ("+1", "00123", "@SUM(A1)")
    assert got["customer_since"] == date(2024, 2, 29)
    with zipfile.ZipFile(path) as zf:
        xml = zf.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<hyperlink" not in xml  # no formula, no link
    assert '<pane ySplit="1"' in xml and "<autoFilter" in xml  # frozen, filtered header
    # and it imports back as the same name
    with Database.open(resolve_database(tmp_path / "other.sqlite")) as other:
        run_import(other, ImportRequest(path, entity="accounts"))
        with other.read() as s:
            acc = s.query(Account).one()
            assert acc.name == '=HYPERLINK("http://x")'
            assert acc.custom_fields["note"] == "+1"


def test_money_numbers_percent_dates_bools(small_book: Database, tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    export_workbook(small_book, path)
    small_book.close()
    book = cells(path)
    subs = dict(zip(book["subscriptions"][0], book["subscriptions"][1], strict=True))
    assert isinstance(subs["arr"], float) and isinstance(subs["seats"], (int, float))
    assert isinstance(subs["start_date"], date) and isinstance(subs["auto_renew"], bool)
    at = book["renewals"][0].index("likelihood")
    likely = [r[at] for r in book["renewals"][1:] if r[at] != ""]
    assert likely and all(isinstance(v, float) and 0 <= v <= 1 for v in likely)
    with zipfile.ZipFile(path) as zf:
        styles = zf.read("xl/styles.xml").decode()
    assert "0.0%" in styles and "yyyy-mm-dd" in styles and "#,##0.00" in styles


def test_refuses_to_overwrite_and_keeps_the_old_file_on_failure(
        small_book: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "book.xlsx"
    path.write_bytes(b"my own workbook")
    with pytest.raises(ReplaceRefused, match="--overwrite"):
        export_workbook(small_book, path)
    assert path.read_bytes() == b"my own workbook"

    real = export_service._rows

    def failing(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        header, rows, kinds = real(*args, **kwargs)  # type: ignore[arg-type]

        def broken():  # type: ignore[no-untyped-def]
            yield from rows
            raise OSError(28, "No space left on device")
        return header, broken(), kinds

    monkeypatch.setattr(export_service, "_rows", failing)
    with pytest.raises(FileWriteError, match=r"the disk is full.*the previous file is kept"):
        export_workbook(small_book, path, overwrite=True)
    assert path.read_bytes() == b"my own workbook"
    assert [n for n in os.listdir(tmp_path) if "book" in n] == ["book.xlsx"]  # no half file
    monkeypatch.undo()
    export_workbook(small_book, path, overwrite=True)
    assert zipfile.is_zipfile(path) and stat.S_IMODE(path.stat().st_mode) == 0o600
    small_book.close()


def test_cancel_and_a_cell_too_long_for_excel_keep_the_old_file(db: Database,
                                                                tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    path.write_bytes(b"the previous workbook")
    with pytest.raises(Cancelled):
        export_workbook(db, path, overwrite=True, cancel=lambda: True)
    with db.write() as s:
        s.add(Account(external_id="X1", name="Long", segment="smb",
                      engagement_model="tech_touch", custom_fields={"note": "x" * 40_000}))
    with pytest.raises(SheetTooLarge, match="more than an Excel cell's 32,767") as caught:
        export_workbook(db, path, overwrite=True)
    assert "\n" not in str(caught.value)
    assert path.read_bytes() == b"the previous workbook"
    assert [n for n in os.listdir(tmp_path) if "xlsx" in n] == ["book.xlsx"]
