"""Workbook fixtures the tests write themselves (never checked-in binaries)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import openpyxl


def titled_workbook(path: Path, *, cover: tuple[str, str], sheet: str, title: str,
                    header: list[str], rows: Sequence[Sequence[object]]) -> openpyxl.Workbook:
    """A cover sheet holding one line, then ``sheet``: a title in row 1, a blank row 2,
    the header in row 3 and ``rows`` from row 4, as a CSM gets a workbook. Saved to ``path``
    and returned (to change and save again)."""
    wb = openpyxl.Workbook()
    wb.active.title, wb.active["A1"] = cover
    ws = wb.create_sheet(sheet)
    ws["A1"] = title
    ws.append([])
    ws.append(header)
    for row in rows:
        ws.append(list(row))
    wb.save(path)
    return wb
