"""Streaming import of the large time series: usage snapshots and feature events.

A file is read in chunks of 200,000 rows; each chunk is typed and checked column-wise, its
account references resolved from one dictionary, and written with one ``executemany``
upsert, all inside the caller's single transaction. The first row in error stops the
writing (the transaction will be rolled back) but the checking goes on, so the report lists
every problem in the file. Memory stays bounded by the chunk size.

Feature events are aggregated per account, date and feature over the whole file and then
written, so importing the same events again gives the same totals, never double counts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from csdesk.db.bulk import upsert_rows
from csdesk.io import entities as E
from csdesk.io.mapping import Mapping
from csdesk.io.reader import CsvInfo, iter_chunks
from csdesk.io.validate import Issue, ParseOptions, frame_from_chunk, type_chunk
from csdesk.io.values import AmbiguousDates
from csdesk.progress import Reporter
from csdesk.services.import_adapters import ADAPTERS
from csdesk.services.importer import ImportResult, account_ids

MAX_ERROR_RECORDS = 10_000


def _iso_dates(values: pd.Series) -> np.ndarray:
    """ISO strings for a column of dates, converting each distinct date once."""
    codes, uniques = pd.factorize(values)
    iso = np.array([d.isoformat() for d in uniques], dtype=object)
    return iso[codes].tolist()


def import_bulk(session: Session, info: CsvInfo, spec: E.EntitySpec, mapping: Mapping,
                opts: ParseOptions, result: ImportResult, rep: Reporter) -> None:
    adapter = ADAPTERS[spec.name]
    table = adapter.table
    mapped = mapping.mapped()
    keys = ["account_id", "date"] + (["feature"] if spec.name == "feature_events" else [])
    value_fields = [f for f in spec.field_names
                    if f in mapped and f not in ("account_external_id", "date", "feature")]
    ids = account_ids(session)
    before = session.scalar(select(func.count()).select_from(table)) or 0
    seen: dict[tuple[object, ...], int] = {}
    aggregated: list[pd.DataFrame] = []
    changed = valid = 0
    for chunk in iter_chunks(info):
        rep.checkpoint(0.95 * chunk.bytes_read / max(info.size, 1),
                       f"Importing {spec.label.split(' (')[0].lower()}… "
                       f"{result.rows + len(chunk.rows):,} rows")
        frame, rows, issues = frame_from_chunk(info.header, chunk)
        try:
            typed = type_chunk(spec, mapping, frame, rows, opts)
        except AmbiguousDates as exc:
            col = mapped.get("date", "")
            result.add_issues([Issue(r, col, v, str(exc)) for r, v in exc.examples])
            return
        issues += typed.issues
        df, rows = typed.frame, typed.rows
        acc = df["account_external_id"].map(ids)
        unknown = acc.isna().to_numpy()
        if unknown.any():
            ext = df["account_external_id"]
            issues += [Issue(int(rows.iat[i]), mapped["account_external_id"], str(ext.iat[i]),
                             "no account with this external id in the book")
                       for i in np.flatnonzero(unknown)]
            df, rows, acc = df[~unknown], rows[~unknown], acc[~unknown]
        df = df.assign(account_id=acc.astype("int64"))
        result.rows += len(chunk.rows)
        if spec.name == "usage":
            issues += _duplicates(df, rows, seen, mapped)
        if issues:
            result.add_issues(sorted(issues, key=lambda e: e.row))
            bad = {e.row for e in issues}
            for r, rec in zip(chunk.rows, chunk.records, strict=True):
                if r in bad and len(result.error_records) < MAX_ERROR_RECORDS:
                    result.error_records[r] = rec
        if result.error_count:
            continue  # keep checking, write nothing more
        valid += len(df)
        if spec.name == "usage":
            cols = ["account_id", "date", *value_fields]
            data = [df["account_id"].tolist(), _iso_dates(df["date"])]
            data += [_nullable_ints(df[f]) for f in value_fields]
            changed += upsert_rows(session, table, cols, keys, list(zip(*data, strict=True)))
        else:
            aggregated.append(_aggregate(df, value_fields))
    if result.error_count:
        return
    if spec.name == "feature_events" and aggregated:
        total = pd.concat(aggregated).groupby(["account_id", "date", "feature"],
                                              as_index=False).sum(min_count=1)
        fields = ["usage_count", "duration_seconds", "errors"]
        cols = ["account_id", "date", "feature", *fields]
        data = [total["account_id"].tolist(), _iso_dates(total["date"]),
                total["feature"].tolist()]
        data += [_nullable_ints(total["usage_count"]),
                 total["duration_seconds"].astype(object).where(
                     total["duration_seconds"].notna(), None).map(
                         lambda v: float(v) if v is not None else None).tolist(),
                 _nullable_ints(total["errors"])]
        changed = upsert_rows(session, table, cols, keys, list(zip(*data, strict=True)))
        valid = len(total)
    after = session.scalar(select(func.count()).select_from(table)) or 0
    result.inserted = after - before
    result.updated = changed - result.inserted
    result.unchanged = valid - changed


def _nullable_ints(col: pd.Series) -> np.ndarray:
    values = col.astype(object)
    return values.where(col.notna(), None).map(
        lambda v: int(v) if v is not None else None).tolist()


def _aggregate(df: pd.DataFrame, value_fields: list[str]) -> pd.DataFrame:
    out = df[["account_id", "date", "feature"]].copy()
    out["usage_count"] = df["usage_count"].fillna(1) if "usage_count" in df else 1
    out["duration_seconds"] = df.get("duration_seconds", np.nan)
    out["errors"] = df["errors"].fillna(0) if "errors" in df else 0
    return out


def _duplicates(df: pd.DataFrame, rows: pd.Series, seen: dict[tuple[object, ...], int],
                mapped: dict[str, str]) -> list[Issue]:
    issues = []
    keys = list(zip(df["account_id"].tolist(), df["date"].tolist(), strict=True))
    for i, k in enumerate(keys):
        first = seen.get(k)
        if first is None:
            seen[k] = int(rows.iat[i])
        else:
            issues.append(Issue(int(rows.iat[i]), mapped["date"], str(k[1]),
                                f"the same account and date as row {first}"))
    return issues
