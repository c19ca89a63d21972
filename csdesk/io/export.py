"""Writing CSV safely: text cells formatted for re-import, guarded for spreadsheets, atomic.

- Formula-injection guard (OWASP "CSV injection"): a *text* cell that starts with ``=``,
  ``+``, ``-``, ``@``, tab or carriage return gets a leading ``'`` so a spreadsheet shows it
  instead of running it. Numbers stay numbers (``-12.50`` is untouched); csdesk's own import
  strips exactly this guard.
- Files are written under a temporary name in the target folder and renamed into place, so a
  failed export leaves no half file and never clobbers the previous one.
- ``excel=True`` writes UTF-8 with a byte-order mark, which Excel needs to read UTF-8.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from csdesk.io.reader import GUARD_CHARS
from csdesk.safefile import atomic_open

_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")


def guard(text: str) -> str:
    """Prefix ``'`` to a text cell a spreadsheet would take for a formula."""
    if text and text[0] in GUARD_CHARS and not _NUMBER.match(text):
        return "'" + text
    return text


def cell(value: Any, kind: str = "text") -> str:
    """One value as CSV text: money in major units, ISO dates, true/false, guarded text."""
    if value is None:
        return ""
    if hasattr(value, "value") and not isinstance(value, (str, int, float, bool)):
        value = value.value  # enum member
    if kind == "money":
        cents = int(value)
        sign = "-" if cents < 0 else ""
        return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return guard(str(value))


@contextmanager
def atomic_text(path: Path, *, excel: bool = False) -> Iterator[IO[str]]:
    """A private text file that appears at ``path`` only once completely written."""
    with atomic_open(path, "w", newline="", encoding="utf-8-sig" if excel else "utf-8") as fh:
        yield fh


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]], *,
              excel: bool = False) -> int:
    """Write already formatted rows; return how many."""
    count = 0
    with atomic_text(path, excel=excel) as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow([guard(h) for h in header])
        for row in rows:
            writer.writerow(row)
            count += 1
    return count
