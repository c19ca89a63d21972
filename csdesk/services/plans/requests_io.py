"""Product feedback in and out of files: the product team's statuses from a CSV, and the
ranked list for the product team as CSV or Excel.

- **Status import**: a CSV with an item's external id (or its title), a status and an
  optional shipped date; headers and values read case- and space-blind. Every row is
  checked first; an unknown item, status or date is a row error and then *nothing* is
  applied. A clean file is applied in one transaction.
- **Export**: one row per product item, ranked by ARR at stake (``requests.ARR_RULE``);
  an Excel workbook adds a sheet of the per-account asks. Written atomically and privately
  (``safefile``); an existing file is replaced only when csdesk wrote it (the CSV's header,
  the workbook's author) or with ``overwrite``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select

from csdesk import clock
from csdesk.db import Database
from csdesk.errors import CsdeskError, FileWriteError, UsageError
from csdesk.io import xlsx_export
from csdesk.io.export import cell, write_csv
from csdesk.io.reader import inspect_csv, iter_chunks, unguard
from csdesk.io.values import blank_to_none, detect_date_format, parse_dates
from csdesk.models import ProductItem
from csdesk.safefile import atomic_open, check_replace, deck_made_by_csdesk, describe_os_error
from csdesk.safefile import made_by_csdesk as has_mark
from csdesk.services.formatting import SYMBOLS
from csdesk.services.plans.requests import (
    RankedRequests,
    apply_status,
    parse_status,
    ranked_requests,
    title_key,
)

# Header names (letters and digits only, casefolded) each column is known by.
_COLUMNS = {
    "external_id": {"externalid", "id", "key", "issuekey", "issue", "ticket", "itemid"},
    "title": {"title", "name", "summary", "item", "feature"},
    "status": {"status", "state", "productstatus"},
    "shipped": {"shipped", "shippedon", "shippeddate", "released", "releasedon",
                "releasedate", "shipdate"},
}


@dataclass(frozen=True)
class RowError:
    row: int
    message: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.message}"


@dataclass(frozen=True)
class StatusImport:
    """What a status file did: ``applied`` only when every row was good."""

    rows: int
    changed: int
    errors: tuple[RowError, ...] = field(default_factory=tuple)

    @property
    def applied(self) -> bool:
        return not self.errors


def _header_map(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for i, name in enumerate(header):
        word = re.sub(r"[^a-z0-9]", "", name.casefold())
        for column, names in _COLUMNS.items():
            if word in names and column not in found:
                found[column] = i
    if "status" not in found or not ({"external_id", "title"} & found.keys()):
        raise UsageError(f"a status file has a status column and an external id or title "
                         f"column; its header is: {', '.join(header)}")
    return found


def import_statuses(db: Database, path: Path, *, encoding: str | None = None,
                    delimiter: str | None = None) -> StatusImport:
    """Apply the product team's statuses from ``path`` (see the module), or none of them."""
    info = inspect_csv(Path(path), encoding=encoding, delimiter=delimiter)
    at = _header_map(info.header)
    rows: list[tuple[int, dict[str, str | None]]] = []
    for chunk in iter_chunks(info):
        for row, fields in zip(chunk.rows, chunk.records, strict=True):
            rows.append((row, {c: (unguard(fields[i].strip()) or None)
                               if i < len(fields) else None for c, i in at.items()}))
    errors: list[RowError] = []
    bad_dates: set[int] = set()
    shipped = _dates([r.get("shipped") for _n, r in rows], [n for n, _r in rows], errors,
                     bad_dates)
    today = clock.today()
    changed = 0
    with db.write() as s:
        by_ext = {r.external_id.casefold(): r for r in s.scalars(
            select(ProductItem).where(ProductItem.external_id.is_not(None)))
            if r.external_id}
        by_key = {r.key: r for r in s.scalars(select(ProductItem))}
        seen: dict[int, int] = {}
        for (n, rec), day in zip(rows, shipped, strict=True):
            ext, title = rec.get("external_id"), rec.get("title")
            item = by_ext.get(ext.casefold()) if ext else None
            named = by_key.get(title_key(title)) if title else None
            if item is not None and named is not None and named is not item:
                errors.append(RowError(n, f"external id {ext!r} is {item.title!r}, not "
                                          f"{named.title!r}"))
                continue
            item = item or named
            if item is None:
                errors.append(RowError(n, f"no product item with external id {ext!r}" if ext
                                       and not title else
                                       f"no product item {title or ext!r}" if title or ext
                                       else "no external id or title"))
                continue
            if item.id in seen:
                errors.append(RowError(n, f"{item.title!r} is on row {seen[item.id]} too"))
                continue
            seen[item.id] = n
            try:
                status = parse_status(rec.get("status") or "")
                if n in bad_dates:
                    continue  # the date's own error is listed
                if ext and item.external_id is None:
                    item.external_id = ext
                    by_ext[ext.casefold()] = item  # a later row of that id is this item
                changed += apply_status(item, status, day, today)
            except CsdeskError as exc:
                errors.append(RowError(n, str(exc)))
        if errors:
            s.rollback()  # nothing half-applied
            errors.sort(key=lambda e: e.row)
            return StatusImport(len(rows), 0, tuple(errors))
    return StatusImport(len(rows), changed)


def _dates(texts: list[str | None], rows: list[int], errors: list[RowError],
           bad_rows: set[int]) -> list[date | None]:
    """Each row's shipped date (None: none given, or not a date: its row goes in
    ``bad_rows`` and its error in ``errors``)."""
    if not any(texts):
        return [None] * len(texts)
    series = blank_to_none(pd.Series(texts, dtype="string"))
    fmt = detect_date_format(series)
    if fmt is None:
        for n, t in zip(rows, texts, strict=True):
            if t and "/" in t:
                errors.append(RowError(n, f"the date {t!r} could be day/month or month/day; "
                                          "write it as YYYY-MM-DD"))
                bad_rows.add(n)
        return [None] * len(texts)
    parsed = parse_dates(series, fmt)
    out: list[date | None] = []
    for n, t, bad, value in zip(rows, texts, parsed.bad, parsed.values, strict=True):
        if bool(bad):
            errors.append(RowError(n, f"not a date: {t!r}"))
            bad_rows.add(n)
        out.append(value if isinstance(value, date) and not bad else None)
    return out


# -- export -----------------------------------------------------------------------------------

HEADER = ["rank", "product item", "external id", "status", "accounts", "live accounts",
          "ARR at stake", "currency", "missing rates", "first asked", "shipped", "asked by"]
ASKS_HEADER = ["product item", "status", "account", "account external id", "live",
               "ARR", "currency", "ARR in base", "first asked", "asks"]
_CSV_MARK = ",".join(HEADER).encode()
WORKBOOK_AUTHOR = "csdesk"


@dataclass(frozen=True)
class RequestsExport:
    path: Path
    rows: int


def _item_rows(ranked: RankedRequests, *, raw: bool) -> Iterator[list[Any]]:
    for n, r in enumerate(ranked.items, start=1):
        values: list[Any] = [
            n, r.item.title, r.item.external_id, r.item.status_label, r.account_count,
            r.live_count, r.arr_at_stake_cents, ranked.base_currency, ", ".join(r.missing),
            r.first_asked, r.item.shipped_on, "; ".join(a.name for a in r.accounts)]
        kinds = ["int", "text", "text", "text", "int", "int", "money", "text", "text", "date",
                 "date", "text"]
        yield values if raw else [cell(v, k) for v, k in zip(values, kinds, strict=True)]


def _ask_rows(ranked: RankedRequests) -> Iterator[list[Any]]:
    for r in ranked.items:
        for a in r.accounts:
            yield [r.item.title, r.item.status_label, a.name, a.external_id,
                   "yes" if a.live else "no (churned)", a.arr_cents, a.currency,
                   a.base_cents, a.first_asked, a.asks]


def export_requests(db: Database, path: Path, *, overwrite: bool = False,
                    today: date | None = None) -> RequestsExport:
    """The ranked list to ``path`` (.csv or .xlsx); see the module for what is replaced."""
    path = Path(os.path.abspath(Path(path).expanduser()))
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise UsageError(f"the export is a .csv or .xlsx file, not {path.name}")
    ours = deck_made_by_csdesk(path) if suffix == ".xlsx" else has_mark(path, _CSV_MARK)
    check_replace(path, ours=ours, overwrite=overwrite, what="an export csdesk wrote")
    ranked = ranked_requests(db, today=today)
    try:
        if suffix == ".csv":
            write_csv(path, HEADER, _item_rows(ranked, raw=False))
        else:
            base = ranked.base_currency
            sheets = [
                xlsx_export.SheetData("Product items", HEADER, [
                    "int", "text", "text", "text", "int", "int", "money", "text", "text",
                    "date", "date", "text"], _item_rows(ranked, raw=True)),
                xlsx_export.SheetData("Asks by account", [*ASKS_HEADER[:7], f"ARR in {base}",
                                                          *ASKS_HEADER[8:]], [
                    "text", "text", "text", "text", "text", "money", "text", "float", "date",
                    "int"], ([*row[:7], None if row[7] is None else row[7] / 100, *row[8:]]
                             for row in _ask_rows(ranked))),
            ]
            with atomic_open(path, "wb") as fh:
                xlsx_export.write_workbook(fh, sheets, SYMBOLS,
                                           properties={"author": WORKBOOK_AUTHOR})
    except OSError as exc:
        kept = "the previous file is kept" if path.exists() else "nothing was written"
        raise FileWriteError(f"the export failed: {describe_os_error(exc, path)}; {kept}"
                             ) from exc
    return RequestsExport(path, len(ranked.items))

