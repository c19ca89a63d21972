"""Wide usage exports (one column per date) turned into the long rows the usage import reads.

Product-analytics tools export a chart as a table with the segment first and one column per
date, each cell a count:

- **Mixpanel** Insights, *Export → CSV* of a line chart broken down by a group property
  (``$group_id``, ``account_id``, ``company``, ...): the segment columns, then one column
  per date (``2026-10-05``, ``Oct 5, 2026``, or ``2026-10-05T00:00:00-07:00`` with a time
  part). Mixpanel's docs describe these CSVs as "formatted report data" downloaded from the
  report (docs.mixpanel.com/docs/export-methods, "Exporting reports"; the report's table
  view in help.mixpanel.com "Interpret an Insights Report").
- **Amplitude** chart *Export CSV*: a title (and sometimes a date-range line) above the
  table, then the segment columns and one column per date; cells may carry a leading tab.
  The stored Amplitude documentation (help.amplitude.com, "Build charts in Amplitude") names
  the Segmentation module the segment comes from but shows no file, so the preamble is found,
  not assumed: the header is the first of the first rows whose cells are mostly dates.

:func:`detect` reads only the first rows; :func:`to_long` writes, once per file, a private
long CSV (``segment, date, value``) that the usage import
reads as any other file (an empty cell, or n/a, null, -, is no row: not a 0), and keeps
where each long row came from, so a problem is told as
the file's own row and date column ("row 7, column 2026-10-12").
"""

from __future__ import annotations

import atexit
import csv
import io
import os
import re
import shutil
import tempfile
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from itertools import islice
from pathlib import Path

import numpy as np

from csdesk.io.reader import CsvInfo, _records, inspect_csv
from csdesk.io.values import MISSING_TOKENS

SCAN_RECORDS = 30  # rows looked at for the header under a title or preamble
DATE_COLUMN = "date"
VALUE_COLUMN = "value"
# A breakdown's own total, not an account (Mixpanel's $overall, Amplitude's "All Users").
TOTAL_SEGMENTS = {"$overall", "overall", "all users", "total", "totals"}
# Segment columns that name the account, best first (case and punctuation aside).
ACCOUNT_HEADERS = ("account id", "accountid", "account_id", "$group_id", "group id",
                   "company id", "company_id", "account", "company", "organization",
                   "organisation", "group", "domain", "company domain", "customer")

_MONTH_FORMATS = ("%b %d, %Y", "%B %d, %Y", "%b %d %Y", "%B %d %Y", "%d %b %Y", "%d %B %Y")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
                  r"\s*(?:Z|[+-]\d{2}:?\d{2}|UTC)?$")
_TIME_TAIL = re.compile(r"[,\s]+\d{1,2}:\d{2}(?::\d{2})?\s*(?:[AaPp][Mm])?$")


def header_date(text: str) -> date | None:
    """The day a column header names (``2026-10-05``, ``Oct 5, 2026``, with or without a
    time part), or None when it is no date."""
    text = text.strip()
    if not text or len(text) > 40:
        return None
    m = _ISO.match(text)
    if m:
        try:
            return date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
    text = _TIME_TAIL.sub("", text).strip()
    for fmt in _MONTH_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _key(text: str) -> str:
    return re.sub(r"[\s_\-]+", " ", text.strip().casefold())


@dataclass(frozen=True)
class WideLayout:
    """Where the table starts and which columns are the segment and which are dates."""

    header_row: int  # the header's row number in the file (1 = the first row)
    header: list[str]
    segment_columns: list[int]  # columns before the first date
    account_column: int  # the segment column that names the account
    dates: list[tuple[int, str, date]]  # (column, header as written, day)
    preamble: list[str]  # the rows above the header (title, date range), as text
    ignored: list[str]  # columns after the dates that are no date (a total, an average)
    labels: list[str] = field(default_factory=list)  # the first rows' other segment cells

    @property
    def measure_hint(self) -> str:
        """active_users for a count of unique users, key_events for a total of events."""
        # Mixpanel labels a metric "Login [Unique Users]" or "[Total Events]"; Amplitude's
        # title says "Uniques" or "Event Totals".
        text = " ".join(self.preamble + self.labels).casefold()
        if "unique" not in text and re.search(r"\btotals?\b|\bevents?\b", text):
            return "key_events"
        return "active_users"


def detect(info: CsvInfo) -> WideLayout | None:
    """The wide layout of a file whose header (after any title rows) is mostly dates, with
    at least one segment column before them; None for any other file."""
    rows = _head(info)
    preamble: list[str] = []
    for row, fields in rows:
        cells = [f.strip() for f in fields]
        days = [(i, c, header_date(c)) for i, c in enumerate(cells)]
        dated = [(i, c, d) for i, c, d in days if d is not None]
        named = [c for c in cells if c]
        if dated and len(dated) * 2 >= len(named) and dated[0][0] > 0 \
                and (len(dated) > 1 or dated[0][0] == len(named) - 1):  # one day: the last
            first = dated[0][0]
            last = dated[-1][0]
            if any(d is None and c for i, c, d in days[first:last + 1]):
                return None  # dates broken by other columns: not a chart's table
            segment = list(range(first))
            ignored = [c for i, c, d in days[last + 1:] if c]
            header = [c or f"column_{i + 1}" for i, c in enumerate(cells)]
            account = _account_column(header, segment)
            labels = sorted({f.strip() for r, fs in rows if r > row
                             for i, f in enumerate(fs[:first]) if i != account and f.strip()})
            return WideLayout(row, header, segment, account, dated, preamble, ignored,
                              labels)
        if any(c for c in cells):
            preamble.append(" ".join(c for c in cells if c))
    return None


def _head(info: CsvInfo) -> list[tuple[int, list[str]]]:
    """The first SCAN_RECORDS records, numbered as the reader numbers them; read without
    scanning the whole file (any file being imported is asked this first)."""
    with open(info.path, "rb") as raw:
        raw.seek(info.skip)
        text = io.TextIOWrapper(raw, encoding=info.encoding, errors="replace", newline="")
        try:
            return list(enumerate(islice(csv.reader(text, delimiter=info.delimiter,
                                                    strict=False), SCAN_RECORDS), start=1))
        except csv.Error:
            return []  # the import's own reader will say what is wrong, and where


def _account_column(header: list[str], segment: list[int]) -> int:
    keys = [_key(header[i]) for i in segment]
    for name in ACCOUNT_HEADERS:
        if _key(name) in keys:
            return segment[keys.index(_key(name))]
    return segment[-1]  # the innermost breakdown


@dataclass
class LongFile:
    """The long CSV written for a wide file, and where each of its rows came from."""

    info: CsvInfo  # the long file, as the import reads it
    source: CsvInfo  # the wide file
    layout: WideLayout
    source_rows: np.ndarray  # per long row (from its row 2): the wide file's row
    source_columns: np.ndarray  # per long row: the wide file's date column (index)
    cells: int = 0  # non-empty date cells (= long rows)
    rows: int = 0  # data rows of the wide file
    totals_left_out: int = 0  # rows of a breakdown's total ($overall, All Users)
    notes: list[str] = field(default_factory=list)

    def where(self, long_row: int, long_column: str) -> tuple[int, str]:
        """The wide file's row and column for a long row and column."""
        at = long_row - 2
        if not 0 <= at < len(self.source_rows):
            return long_row, long_column
        row = int(self.source_rows[at])
        if long_column == self.info.header[0]:
            return row, self.layout.header[self.layout.account_column]
        return row, self.layout.header[int(self.source_columns[at])]


_WORK: list[Path] = []
_CACHE: dict[tuple[object, ...], LongFile] = {}
_ORIGINS: dict[Path, LongFile] = {}


def _work_dir() -> Path:
    if not _WORK:
        _WORK.append(Path(tempfile.mkdtemp(prefix="csdesk-wide-")))
        atexit.register(shutil.rmtree, _WORK[0], True)
    return _WORK[0]


def to_long(info: CsvInfo, layout: WideLayout) -> LongFile:
    """The long form of a wide file (written once per file version, then reused)."""
    st = info.path.stat()
    key = (str(info.path.resolve()), st.st_size, st.st_mtime_ns, info.encoding, info.delimiter)
    cached = _CACHE.get(key)
    if cached is not None and cached.info.path.exists():
        return cached
    fd, name = tempfile.mkstemp(suffix=".csv", dir=_work_dir())
    os.close(fd)
    target = Path(name)
    account = layout.account_column
    columns = [(i, d.isoformat()) for i, _text, d in layout.dates]
    src_rows = array("q")  # 8 bytes a usage row, however long the file
    src_cols = array("i")
    rows = totals = 0
    with open(target, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow([layout.header[account], DATE_COLUMN, VALUE_COLUMN])
        for row, fields in _records(info.path, info.encoding, info.delimiter, info.skip):
            if row <= layout.header_row or not any(f.strip() for f in fields):
                continue
            rows += 1
            segment = fields[account].strip() \
                if account < len(fields) else ""
            if segment.casefold() in TOTAL_SEGMENTS:
                totals += 1
                continue
            for i, day in columns:
                cell = fields[i].strip() if i < len(fields) else ""
                if cell and cell.lower() not in MISSING_TOKENS:  # no value: no row
                    writer.writerow([segment, day, cell])
                    src_rows.append(row)
                    src_cols.append(i)
    # The encoding notes are the wide file's; its header notes were about a title row.
    kept = [n for n in info.notes if "encoding" in n or "cp1252" in n]
    long_info = replace(inspect_csv(target, encoding="utf-8", delimiter=","), notes=kept,
                        source=info.source, sheet=info.sheet)
    result = LongFile(long_info, info, layout, np.array(src_rows, dtype=np.int64),
                      np.array(src_cols, dtype=np.int32), len(src_rows), rows, totals)
    first, last = layout.dates[0][2], layout.dates[-1][2]
    result.notes.append(
        f"a wide layout (one column per date): {rows:,} rows × {len(columns)} date columns "
        f"({first.isoformat()} to {last.isoformat()}) give {len(src_rows):,} usage rows, one "
        f"per account and date; empty cells are no row; the account is column "
        f"{layout.header[account]!r}")
    if layout.header_row > 1:
        result.notes.append(f"the table starts at row {layout.header_row}; above it: "
                            + " / ".join(layout.preamble)[:200])
    if totals:
        are = "row is" if totals == 1 else "rows are"
        result.notes.append(f"{totals:,} {are} the chart's own total "
                            f"({', '.join(sorted(TOTAL_SEGMENTS))}), no account: left out")
    if layout.ignored:
        result.notes.append(f"columns that are no date are not imported: "
                            f"{', '.join(layout.ignored)}")
    _CACHE[key] = result
    _ORIGINS[target] = result
    return result


def source_records(long: LongFile, rows: set[int]) -> Iterator[tuple[int, list[str]]]:
    """The wide file's own rows with these numbers, as they are written (for the error
    report)."""
    if not rows:
        return
    info, last = long.source, max(rows)
    for row, fields in _records(info.path, info.encoding, info.delimiter, info.skip):
        if row in rows:
            yield row, fields
        if row >= last:
            break


def origin(info: CsvInfo) -> LongFile | None:
    """The wide file a long file was written for (None for any other file)."""
    return _ORIGINS.get(info.path)
