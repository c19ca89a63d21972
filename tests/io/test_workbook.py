"""Reading Excel workbooks: sheets, the header under a title, merged headers, cell text."""

from __future__ import annotations

import stat
from datetime import date, datetime, time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import xlsxwriter

from csdesk.errors import CsvReadError, FileWriteError, ImportUsageError
from csdesk.io import workbook
from csdesk.io.reader import iter_chunks
from csdesk.io.values import excel_serial_dates


def titled_book(path: Path) -> Path:
    """Two sheets; the second has a title, a blank row, a merged two-row header, dates as
    serials in a number-formatted column and as real dates."""
    wb = openpyxl.Workbook()
    notes = wb.active
    notes.title = "Notes"
    notes["A1"] = "read me"
    ws = wb.create_sheet("Accounts")
    ws["A1"] = "Accounts, Q3 export"
    ws.append([])
    ws.append(["Account ID", "Contract", None, "Active"])
    ws.merge_cells("B3:C3")
    ws.append([None, "Renewal Date", "ARR", None])
    ws.append(["A-1", 45292, 1200.0, True])
    ws["B5"].number_format = "0"
    ws.append(["A-2", date(2024, 3, 1), 12.5, False])
    ws.append([])
    ws.append(["A-3", datetime(2024, 3, 1, 10, 30), 3, None])
    wb.save(path)
    return path


def test_sheets_are_listed_with_their_rows(tmp_path: Path) -> None:
    sheets = workbook.list_sheets(titled_book(tmp_path / "b.xlsx"))
    assert [(s.name, s.rows) for s in sheets] == [("Notes", 1), ("Accounts", 8)]


def test_header_below_a_title_and_a_merged_two_row_header(tmp_path: Path) -> None:
    path = titled_book(tmp_path / "b.xlsx")
    with workbook.sheet_as_csv(path, "accounts") as sheet:
        info = sheet.info
        assert info.header == ["Account ID", "Contract Renewal Date", "Contract ARR", "Active"]
        assert (sheet.header.first_row, sheet.header.last_row) == (3, 4)
        assert sheet.header.describe() == "header on rows 3–4; rows 1–2 are a title"
        assert (info.source, info.sheet, info.header_row) == (path, "Accounts", 3)
        chunks = list(iter_chunks(info))
        # the sheet's own row numbers; the blank row 7 is skipped
        assert chunks[0].rows == [5, 6, 8]
        assert chunks[0].records == [["A-1", "45292", "1200", "true"],
                                     ["A-2", "2024-03-01", "12.5", "false"],
                                     ["A-3", "2024-03-01T10:30:00", "3", ""]]
        folder = info.path.parent
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert not folder.exists()  # removed afterwards


def test_the_temporary_csv_is_removed_after_a_failure(tmp_path: Path) -> None:
    path = titled_book(tmp_path / "b.xlsx")
    with pytest.raises(RuntimeError), workbook.sheet_as_csv(path, "Accounts") as sheet:
        folder = sheet.info.path.parent
        raise RuntimeError("boom")
    assert not folder.exists()


def test_default_sheet_is_the_entitys_or_the_first_filled(tmp_path: Path) -> None:
    path = titled_book(tmp_path / "b.xlsx")
    with workbook.sheet_as_csv(path) as sheet:
        assert sheet.info.sheet == "Notes"
    with workbook.sheet_as_csv(path, entity="accounts") as sheet:
        assert sheet.info.sheet == "Accounts"
    with pytest.raises(ImportUsageError, match="'Notes', 'Accounts'"), \
            workbook.sheet_as_csv(path, "Nope"):
        pass


@pytest.mark.parametrize(("value", "text"), [
    (None, ""), ("", ""), ("Acme", "Acme"), (12.0, "12"), (12.5, "12.5"), (7, "7"),
    (True, "true"), (False, "false"), (date(2024, 1, 2), "2024-01-02"),
    (datetime(2024, 1, 2), "2024-01-02"), (datetime(2024, 1, 2, 9, 5), "2024-01-02T09:05:00"),
    (time(9, 30), "09:30:00"), (-3.0, "-3"), (0.1, "0.1"),
])
def test_cell_text(value: object, text: str) -> None:
    assert workbook.cell_text(value) == text


def test_header_detection_plain_and_titled() -> None:
    plain = [["id", "name"], ["1", "a"], ["2", "b"]]
    assert workbook.detect_header(plain).first_row == 1
    titled = [["Report"], [None], ["Generated 2024-01-01", None], ["id", "name", "arr"],
              ["A-1", "Acme", 5.0], ["A-2", "Beta", 6.0]]
    header = workbook.detect_header(titled)
    assert (header.first_row, header.names) == (4, ["id", "name", "arr"])
    # a table that starts in column C
    shifted = [[None, None, "id", "name"], [None, None, "A-1", "Acme"]]
    header = workbook.detect_header(shifted)
    assert (header.first_column, header.names) == (2, ["id", "name"])


def test_excel_serials_only_in_a_plausible_range() -> None:
    text = pd.Series(["45292", "45292.5", "2024", "18263", "x", None], dtype="string")
    assert excel_serial_dates(text).tolist() == ["2024-01-01", "2024-01-01", "2024", "18263",
                                                 "x", pd.NA]


def test_formula_cells_give_their_cached_value(tmp_path: Path) -> None:
    path = tmp_path / "f.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("accounts")
    ws.write_row(0, 0, ["external_id", "name", "seats"])
    ws.write_row(1, 0, ["A-1", "Acme"])
    ws.write_formula(1, 2, "=1+1", None, 42)
    ws.write_row(2, 0, ["A-2", "Beta", 3])
    wb.close()
    with workbook.sheet_as_csv(path) as sheet:
        assert next(iter_chunks(sheet.info)).records == [["A-1", "Acme", "42"],
                                                          ["A-2", "Beta", "3"]]


@pytest.mark.parametrize("content", [b"not a workbook at all", b"PK\x03\x04broken zip",
                                     b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600])
def test_an_unreadable_workbook_is_one_plain_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.xlsx"
    path.write_bytes(content)
    with pytest.raises(CsvReadError) as caught:
        workbook.list_sheets(path)
    assert "bad.xlsx" in str(caught.value) and "\n" not in str(caught.value)


def test_a_password_protected_workbook_is_one_plain_error(tmp_path: Path) -> None:
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = titled_book(tmp_path / "plain.xlsx")
    locked = tmp_path / "locked.xlsx"
    with open(plain, "rb") as fh, open(locked, "wb") as out:
        OOXMLFile(fh).encrypt("secret", out)
    with pytest.raises(CsvReadError, match=r"locked\.xlsx is password-protected"):
        workbook.list_sheets(locked)
    with pytest.raises(CsvReadError, match="password-protected"), \
            workbook.sheet_as_csv(locked):
        pass


def test_an_old_xls_workbook_is_read(tmp_path: Path) -> None:
    import xlwt
    path = tmp_path / "old.xls"
    book = xlwt.Workbook()
    sheet = book.add_sheet("accounts")
    for r, row in enumerate([["external_id", "name", "seats"], ["A-1", "Acme", 12.0]]):
        for c, v in enumerate(row):
            sheet.write(r, c, v)
    book.save(str(path))
    with workbook.sheet_as_csv(path) as converted:
        assert next(iter_chunks(converted.info)).records == [["A-1", "Acme", "12"]]


def test_a_full_temporary_folder_is_one_plain_line(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import errno
    import tempfile

    path = titled_book(tmp_path / "b.xlsx")
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))

    def full(*_args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(workbook, "write_csv", full)
    with pytest.raises(FileWriteError, match="the disk is full") as caught, \
            workbook.sheet_as_csv(path, "Accounts"):
        pass
    assert "sheet 'Accounts' of b.xlsx" in str(caught.value)
    assert list(temp.iterdir()) == []  # the temporary folder went with it
