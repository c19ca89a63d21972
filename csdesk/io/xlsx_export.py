"""Writing Excel workbooks (.xlsx) with XlsxWriter: one sheet per entity, typed cells.

- Money is a number in major units with a currency format (the row's own currency when the
  sheet has a ``currency`` column), whole and decimal numbers are numbers, percentages are
  fractions shown with ``%``, dates are real Excel dates, yes/no are booleans.
- Text is always written as text (``write_string`` and a workbook that never turns strings
  into formulas, links or numbers), so ``=HYPERLINK("…")`` or ``+1`` in a name stays the
  name: the spreadsheet-injection guard of an .xlsx needs no ``'`` prefix.
- The header row is frozen and filtered; columns are as wide as their first rows need.

The caller gives an open binary file (``safefile.atomic_open``), so the workbook appears
whole and private (0600) or not at all.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import islice
from typing import IO, Any

import xlsxwriter

from csdesk.errors import CsdeskError

MAX_ROWS = 1_048_576  # an Excel sheet's rows, the header included
MAX_CELL = 32_767  # characters in one Excel cell
WIDTH_ROWS = 200  # rows looked at for the column widths
MIN_WIDTH, MAX_WIDTH = 8, 50

WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "constant_memory": True,  # rows go to disk as written: memory stays flat
}


class SheetTooLarge(CsdeskError):
    """More rows, or a longer text, than an Excel sheet holds."""


@dataclass
class SheetData:
    name: str
    header: list[str]
    kinds: list[str]  # one per column: money | int | float | percent | date | bool | text…
    rows: Iterable[Sequence[Any]]  # raw values (money in cents, dates as date)


def write_workbook(fh: IO[bytes], sheets: Iterable[SheetData],
                   symbols: Mapping[str, str] | None = None, *,
                   properties: Mapping[str, str] | None = None) -> dict[str, int]:
    """Write every sheet to ``fh``; return the rows written per sheet. ``properties`` are
    the workbook's document properties (``author``: who wrote it, read back to recognise
    csdesk's own file)."""
    book = xlsxwriter.Workbook(fh, WORKBOOK_OPTIONS)
    if properties:
        book.set_properties(dict(properties))
    counts: dict[str, int] = {}
    try:
        styles = _Styles(book, symbols or {})
        for sheet in sheets:
            counts[sheet.name] = _write_sheet(book, sheet, styles)
    except BaseException:
        # The caller discards the file; closing only releases XlsxWriter's temporary files,
        # and a second failure there must not hide the first (a Cancel, a full disk).
        with contextlib.suppress(Exception):
            book.close()
        raise
    book.close()
    return counts


class _Styles:
    def __init__(self, book: Any, symbols: Mapping[str, str]) -> None:
        self.book, self.symbols = book, symbols
        self.header = book.add_format({"bold": True, "bottom": 1})
        self.date = book.add_format({"num_format": "yyyy-mm-dd"})
        self.datetime = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        self.percent = book.add_format({"num_format": "0.0%"})
        self.int = book.add_format({"num_format": "0"})
        # Excel shows a boolean cell as TRUE/FALSE whatever its format; LibreOffice shows 1/0
        # unless the format says otherwise.
        self.bool = book.add_format({"num_format": '"TRUE";"TRUE";"FALSE"'})
        self._money: dict[str, Any] = {}

    def money(self, currency: str | None) -> Any:
        code = (currency or "").upper()
        if code not in self._money:
            symbol = self.symbols.get(code)
            if symbol:
                fmt = f'"{symbol}"#,##0.00;-"{symbol}"#,##0.00'
            elif code:
                fmt = f'#,##0.00 "{code}";-#,##0.00 "{code}"'
            else:
                fmt = "#,##0.00"
            self._money[code] = self.book.add_format({"num_format": fmt})
        return self._money[code]


def _width(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, (date, datetime)):
        return 11
    text = str(value)
    return max((len(line) for line in text.splitlines()), default=0)


def _write_sheet(book: Any, sheet: SheetData, styles: _Styles) -> int:
    ws = book.add_worksheet(sheet.name)
    rows: Iterator[Sequence[Any]] = iter(sheet.rows)
    head = list(islice(rows, WIDTH_ROWS))
    width = len(sheet.header)
    for c, name in enumerate(sheet.header):
        seen = max([len(name) + 2, *(_width(r[c]) + 1 for r in head if c < len(r))])
        kind = sheet.kinds[c] if c < len(sheet.kinds) else "text"
        if kind == "money":
            seen = max(seen, 12)
        ws.set_column(c, c, min(MAX_WIDTH, max(MIN_WIDTH, seen)))
    ws.freeze_panes(1, 0)
    for c, name in enumerate(sheet.header):
        ws.write_string(0, c, name, styles.header)
    currency_at = sheet.header.index("currency") if "currency" in sheet.header else None
    writers = [_cell_writer(ws, k, styles, currency_at) for k in
               (list(sheet.kinds) + ["text"] * width)[:width]]
    r = 0
    for r, row in enumerate(_chain(head, rows), start=1):
        if r >= MAX_ROWS:
            raise SheetTooLarge(f"{sheet.name} has more than {MAX_ROWS - 1:,} rows, more than "
                                "an Excel sheet holds; export it to CSV instead")
        for c, value in enumerate(row):
            if value is not None and value != "":
                (writers[c] if c < width else writers[-1])(r, c, value, row)
    ws.autofilter(0, 0, max(r, 1), max(width - 1, 0))
    return r


def _chain(head: list[Sequence[Any]], rest: Iterator[Sequence[Any]]
           ) -> Iterator[Sequence[Any]]:
    yield from head
    yield from rest


Writer = Callable[[int, int, Any, Sequence[Any]], None]


def _cell_writer(ws: Any, kind: str, styles: _Styles, currency_at: int | None) -> Writer:
    """The function writing one cell of a column of this kind."""
    def text(r: int, c: int, value: Any, _row: Sequence[Any]) -> None:
        if hasattr(value, "value") and not isinstance(value, (str, int, float)):
            value = value.value  # an enum member
        if isinstance(value, bool):
            ws.write_boolean(r, c, value)
            return
        if isinstance(value, (date, datetime)):
            value = value.isoformat()
        s = str(value)
        if len(s) > MAX_CELL:
            raise SheetTooLarge(f"a cell of {ws.name} (row {r + 1}, {_column(c)}) holds "
                                f"{len(s):,} characters, more than an Excel cell's "
                                f"{MAX_CELL:,}; export to CSV instead")
        ws.write_string(r, c, s)

    def money(r: int, c: int, value: Any, row: Sequence[Any]) -> None:
        currency: Any = row[currency_at] if currency_at is not None else None
        ws.write_number(r, c, int(value) / 100, styles.money(
            currency.value if hasattr(currency, "value") else currency))

    def number(r: int, c: int, value: Any, _row: Sequence[Any]) -> None:
        ws.write_number(r, c, value, styles.int if kind == "int" else None)

    def percent(r: int, c: int, value: Any, _row: Sequence[Any]) -> None:
        ws.write_number(r, c, value, styles.percent)

    def when(r: int, c: int, value: Any, _row: Sequence[Any]) -> None:
        if isinstance(value, datetime):
            ws.write_datetime(r, c, value.replace(tzinfo=None), styles.datetime)
        elif isinstance(value, date):
            ws.write_datetime(r, c, value, styles.date)
        else:
            text(r, c, value, _row)

    def boolean(r: int, c: int, value: Any, _row: Sequence[Any]) -> None:
        ws.write_boolean(r, c, bool(value), styles.bool)

    return {"money": money, "int": number, "float": number, "percent": percent,
            "date": when, "bool": boolean}.get(kind, text)


def _column(c: int) -> str:
    name = ""
    c += 1
    while c:
        c, rem = divmod(c - 1, 26)
        name = chr(65 + rem) + name
    return f"column {name}"
