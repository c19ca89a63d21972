"""Reading Excel workbooks (.xlsx, .xlsm, .xls, .ods) for import, through python-calamine.

Formulas are never evaluated: a formula cell gives the value Excel saved with it. A sheet is
turned into the text cells the CSV path expects (ISO dates, ``12`` not ``12.0``,
``true``/``false``) and written as a private temporary UTF-8 CSV (:func:`sheet_as_csv`), so
the one import pipeline maps, checks, previews and reports it. Title rows above the table
become blank lines in that CSV, so every row number the import names is the sheet's own.

The header is found, not assumed: the first row whose filled cells are mostly text and that
is followed by data rows about as wide; a header of two rows (a merged cell over two
sub-headers) is joined into one ("Contract Start", "Contract ARR").
"""

from __future__ import annotations

import csv
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from csdesk.errors import CsvReadError, FileWriteError, ImportUsageError
from csdesk.io.reader import CsvInfo, inspect_csv
from csdesk.safefile import describe_os_error

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
HEADER_SCAN_ROWS = 30  # rows looked at for the header
DATA_LOOKAHEAD = 5  # rows after a candidate header that must look like data


def is_workbook(path: Path) -> bool:
    return Path(path).suffix.lower() in WORKBOOK_SUFFIXES


@dataclass(frozen=True)
class SheetInfo:
    name: str
    rows: int  # rows from the first to the last that holds anything
    columns: int


@dataclass(frozen=True)
class Header:
    first_row: int  # 1-based sheet row of the (first) header row
    last_row: int  # 1-based: the same, or the row below for a two-row header
    first_column: int  # 0-based column where the table starts
    names: list[str]

    def describe(self) -> str:
        rows = (f"row {self.first_row}" if self.first_row == self.last_row else
                f"rows {self.first_row}–{self.last_row}")
        text = f"header on {rows}"
        if self.first_row == 2:
            text += "; row 1 is a title"
        elif self.first_row > 2:
            text += f"; rows 1–{self.first_row - 1} are a title"
        return text


def _open(path: Path) -> Any:
    """The calamine workbook, or one plain :class:`CsvReadError` for anything unreadable."""
    from python_calamine import CalamineWorkbook

    try:
        return CalamineWorkbook.from_path(str(path))
    except FileNotFoundError:
        raise CsvReadError(f"cannot read {path}: no such file") from None
    except OSError as exc:
        raise CsvReadError(f"cannot read {path}: {exc.strerror or exc}") from None
    except Exception as exc:  # calamine's errors: password, zip, xml, not a workbook
        raise CsvReadError(_unreadable(path, exc)) from None


def _unreadable(path: Path, exc: Exception) -> str:
    text = f"{type(exc).__name__} {exc}".lower()
    if "password" in text or "encrypt" in text or "cfb" in text:
        return (f"{path.name} is password-protected or encrypted; save it without a "
                "password (or export the sheet as CSV) and import that")
    return (f"{path.name} cannot be read as an Excel workbook (it is damaged or not really "
            "a workbook); open it in Excel and save it again, or export the sheet as CSV")


def _sheet(book: Any, path: Path, name: str) -> Any:
    try:
        return book.get_sheet_by_name(name)
    except Exception as exc:
        raise CsvReadError(_unreadable(path, exc)) from None


def list_sheets(path: Path) -> list[SheetInfo]:
    """Every worksheet with how many rows and columns it spans (charts left out)."""
    book = _open(path)
    out = []
    for meta in book.sheets_metadata:
        if "chart" in str(meta.typ).lower():
            continue
        sheet = _sheet(book, path, meta.name)
        out.append(SheetInfo(meta.name, sheet.height, sheet.width))
    return out


def find_sheet(sheets: Sequence[SheetInfo], name: str) -> SheetInfo:
    for s in sheets:
        if s.name == name:
            return s
    for s in sheets:
        if s.name.strip().casefold() == name.strip().casefold():
            return s
    listed = ", ".join(f"{s.name!r}" for s in sheets)
    raise ImportUsageError(f"the workbook has no sheet {name!r}; its sheets are {listed}")


# -- cells --------------------------------------------------------------------------------


def cell_text(value: Any) -> str:
    """One cell as the CSV path reads it: ISO dates, whole numbers without ``.0``,
    ``true``/``false``, empty for an empty cell."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def _float_text(value: float) -> str:
    if value.is_integer() and -1e15 < value < 1e15:
        return str(int(value))
    return repr(value)


def _same(value: str) -> str:
    return value


# The converters of the common cell types, looked up by type: a sheet of 100,000 rows is
# 700,000 cells, where one call less per cell is a tenth of a second.
_FAST: dict[type, Any] = {str: _same, float: _float_text, date: date.isoformat}


def _text_like(value: Any) -> bool:
    """A filled cell that reads as a label (text that is not a number)."""
    if not isinstance(value, str):
        return False
    s = value.strip().replace(",", "").replace("%", "")
    if not s:
        return False
    try:
        float(s)
    except ValueError:
        return True
    return False


def _filled(row: Sequence[Any]) -> int:
    return sum(1 for v in row if v is not None and v != "" and
               not (isinstance(v, str) and not v.strip()))


# -- the header ---------------------------------------------------------------------------


def detect_header(rows: Sequence[Sequence[Any]],
                  merged: Sequence[tuple[tuple[int, int], tuple[int, int]]] = ()) -> Header:
    """Where the table's header is (see the module's docstring), and its column names.

    ``merged`` are the sheet's merged ranges as calamine gives them ((row, col), (row, col)),
    0-based from the sheet's top-left corner.
    """
    at = _header_row(rows)
    top = list(rows[at])
    spans = [(r0, c0, r1, c1) for (r0, c0), (r1, c1) in merged if r0 == at]
    for _r0, c0, _r1, c1 in spans:  # a merged cell's value fills its whole width
        for c in range(c0 + 1, min(c1, len(top) - 1) + 1):
            if not _filled([top[c]]):
                top[c] = top[c0]
    last = at
    below = list(rows[at + 1]) if at + 1 < len(rows) else []
    if spans and below and _filled(below) and all(
            _text_like(v) for v in below if _filled([v])) and at + 2 < len(rows):
        last = at + 1
        names = []
        for c in range(max(len(top), len(below))):
            t = cell_text(top[c]).strip() if c < len(top) else ""
            b = cell_text(below[c]).strip() if c < len(below) else ""
            names.append(t if not b or b == t else b if not t else f"{t} {b}")
    else:
        names = [cell_text(v).strip() for v in top]
    filled = [i for i, n in enumerate(names) if n]
    first_col = filled[0] if filled else 0
    end = filled[-1] + 1 if filled else len(names)
    return Header(at + 1, last + 1, first_col, names[first_col:end])


def _header_row(rows: Sequence[Sequence[Any]]) -> int:
    """0-based index of the header: mostly text, with data rows of a similar width after."""
    widths = [_filled(r) for r in rows[:HEADER_SCAN_ROWS + DATA_LOOKAHEAD]]
    first = next((i for i, w in enumerate(widths) if w), None)
    if first is None:
        raise CsvReadError("the sheet is empty")
    for i in range(min(HEADER_SCAN_ROWS, len(widths))):
        w = widths[i]
        if w == 0:
            continue
        labels = sum(1 for v in rows[i] if _filled([v]) and _text_like(v))
        if labels < 0.8 * w:
            continue
        after = [x for x in widths[i + 1:i + 1 + DATA_LOOKAHEAD] if x]
        if not after:
            continue
        if w >= 2 and w >= 0.5 * max(after):
            return i
        if w == 1 and max(after) == 1:  # a one-column table
            return i
    return first


# -- to CSV -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Converted:
    info: CsvInfo  # the temporary CSV; its source and sheet say where it came from
    header: Header


def read_sheet(path: Path, sheet: str | None = None, *, entity: str | None = None,
               ) -> tuple[str, list[list[Any]], Any]:
    """The chosen sheet's name, its cells from A1 (row 1 first) and its merged ranges.

    Only the sheets needed are loaded: the one named, or those up to the first that holds
    anything."""
    path = Path(path)
    book = _open(path)
    names = [m.name for m in book.sheets_metadata if "chart" not in str(m.typ).lower()]
    if sheet:
        data = _sheet(book, path, find_sheet([SheetInfo(n, 0, 0) for n in names], sheet).name)
    else:
        wanted = [n for n in names if entity and n.strip().casefold() == entity.casefold()]
        data = None
        for name in wanted or names:
            data = _sheet(book, path, name)
            if data.height:
                break
        if data is None or not data.height:
            raise CsvReadError(f"{path.name} has no sheet with anything in it")
    try:
        rows = data.to_python(skip_empty_area=False)
        merged = data.merged_cell_ranges or []
    except Exception as exc:
        raise CsvReadError(_unreadable(path, exc)) from None
    return str(data.name), rows, merged


def write_csv(rows: Sequence[Sequence[Any]], header: Header, target: Path) -> None:
    """The table as UTF-8 CSV, one record per sheet row: the rows above the header (titles)
    and below a two-row header's first row as blank lines, so record n is sheet row n."""
    width = len(header.names)
    c0 = header.first_column
    empty: list[str] = []
    with open(target, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writerow = writer.writerow
        fh.write("\n" * (header.first_row - 1))
        writerow(header.names)
        fh.write("\n" * (header.last_row - header.first_row))
        text = _FAST.get
        for row in rows[header.last_row:]:
            cells = [text(v.__class__, cell_text)(v) for v in row[c0:]]
            while len(cells) > width and not cells[-1]:
                cells.pop()
            if any(cells):
                writerow(cells)
            else:
                writerow(empty)


def sheet_note(sheet: str, header: Header) -> str:
    """What the import says about where it found the table."""
    return f"sheet {sheet!r}: {header.describe()}"


def open_sheet(path: Path, sheet: str | None = None, *,
               entity: str | None = None) -> Converted:
    """A sheet as a temporary CSV in a private (0700) folder of its own; the caller removes
    it with :func:`close_sheet` (or uses :func:`sheet_as_csv`)."""
    path = Path(path)
    chosen, rows, merged = read_sheet(path, sheet, entity=entity)
    header = detect_header(rows, merged)
    folder: Path | None = None
    try:
        folder = Path(tempfile.mkdtemp(prefix="csdesk-sheet-"))  # 0700, only ours
        target = folder / "sheet.csv"
        write_csv(rows, header, target)
        del rows
        info = inspect_csv(target, encoding="utf-8", delimiter=",")
        notes = [sheet_note(chosen, header), *info.notes]
        return Converted(replace(info, notes=notes, source=path, sheet=chosen), header)
    except BaseException as exc:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
        if isinstance(exc, OSError):  # a full temporary folder, most likely
            where = folder or Path(tempfile.gettempdir())
            raise FileWriteError(f"sheet {chosen!r} of {path.name} could not be read: "
                                 f"{describe_os_error(exc, where)}; nothing was changed"
                                 ) from exc
        raise


def close_sheet(converted: Converted) -> None:
    """Remove the temporary CSV of :func:`open_sheet` and its folder."""
    shutil.rmtree(converted.info.path.parent, ignore_errors=True)


@contextmanager
def sheet_as_csv(path: Path, sheet: str | None = None, *,
                 entity: str | None = None) -> Iterator[Converted]:
    """A sheet as a temporary CSV in a private (0700) folder, removed when the block ends,
    whether it ends well or not."""
    converted = open_sheet(path, sheet, entity=entity)
    try:
        yield converted
    finally:
        close_sheet(converted)
