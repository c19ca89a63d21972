"""From text cells to typed columns, with every problem as (row, column, value, reason).

Works a chunk at a time and a column at a time (pandas), so validation keeps pace with a
million-row usage file. Nothing here touches the database: references to accounts are
checked by the import service, which knows the book.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from csdesk.io import values as V
from csdesk.io.entities import EntitySpec, FieldSpec
from csdesk.io.mapping import CUSTOM, IGNORE, Mapping
from csdesk.io.reader import GUARD_CHARS, RowChunk


@dataclass(frozen=True)
class Issue:
    row: int
    column: str
    value: str
    reason: str

    def as_json(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "value": self.value,
                "reason": self.reason}


@dataclass
class ParseOptions:
    date_format: str | None = None  # ymd | dmy | mdy; None = decide from the data
    decimal: str | None = None  # "." or ","; None = decide per column


_SF_ID = re.compile(r"^0[0-9A-Za-z]{14}$")
_SF_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def salesforce_18(value: str) -> str:
    """The 18-character form of a 15-character Salesforce id (case-safe checksum suffix)."""
    suffix = ""
    for block in (value[0:5], value[5:10], value[10:15]):
        bits = sum(1 << i for i, ch in enumerate(block) if "A" <= ch <= "Z")
        suffix += _SF_ALPHABET[bits]
    return value + suffix


def normalise_ids(col: pd.Series) -> pd.Series:
    """Ids stay text; 15-character Salesforce ids become their 18-character form so both
    forms of one record match, while ids differing only in case stay different."""
    col = col.str.strip()
    sf = col.str.match(_SF_ID, na=False)
    if sf.any():
        col = col.copy()
        col[sf] = col[sf].map(salesforce_18)
    return col


def frame_from_chunk(header: list[str], chunk: RowChunk) -> tuple[pd.DataFrame, pd.Series,
                                                                   list[Issue]]:
    """Text frame of the well-formed records, their row numbers, and the ragged-row issues."""
    width = len(header)
    issues: list[Issue] = []
    good_rows: list[int] = []
    good: list[list[str]] = []
    for row, rec in zip(chunk.rows, chunk.records, strict=True):
        if len(rec) == width:
            good_rows.append(row)
            good.append(rec)
        else:
            shown = rec[width:] if len(rec) > width else rec
            issues.append(Issue(row, header[min(len(rec), width - 1)], ",".join(shown)[:80],
                                f"row has {len(rec)} fields but the header has {width}"))
    frame = pd.DataFrame(good, columns=header, dtype=object) if good else \
        pd.DataFrame(columns=header, dtype=object)
    return frame, pd.Series(good_rows, dtype="int64"), issues


def _unguard(col: pd.Series) -> pd.Series:
    guarded = col.str.match(r"^'[=+\-@\t\r]", na=False)
    if guarded.any():
        col = col.copy()
        col[guarded] = col[guarded].str.slice(1)
    return col


def _issues(mask: pd.Series, text: pd.Series, rows: pd.Series, column: str,
            reason: str) -> list[Issue]:
    idx = np.flatnonzero(mask.to_numpy(dtype=bool))
    return [Issue(int(rows.iat[i]), column, str(text.iat[i])[:200], reason) for i in idx]


def _enum_values(text: pd.Series, spec: FieldSpec) -> V.Parsed:
    key = text.str.casefold().str.replace(r"[\s\-/]+", "_", regex=True).str.strip("_")
    lookup = {c: c for c in spec.choices}
    lookup.update(spec.aliases)
    values = key.map(lookup)
    reason = f"not one of {', '.join(spec.choices)}"
    return V.Parsed(values.astype(object).where(values.notna(), None),
                    text.notna() & values.isna(), reason)


def parse_field(spec: FieldSpec, text: pd.Series, opts: ParseOptions,
                rows: pd.Series) -> V.Parsed:
    """Parse one mapped column; raises :class:`values.AmbiguousDates` for unclear dates."""
    kind = spec.kind
    if kind == "id":
        ids = normalise_ids(text)
        return V.Parsed(ids, pd.Series(False, index=text.index), "")
    if kind == "text":
        return V.Parsed(text, pd.Series(False, index=text.index), "")
    decimal = opts.decimal or V.detect_decimal(text)
    if kind == "money":
        return V.parse_money_cents(text, decimal=decimal)
    if kind == "int":
        return V.parse_int(text, decimal=decimal)
    if kind == "float":
        return V.parse_number(text, decimal=decimal)
    if kind == "percent":
        return V.parse_percent(text, decimal=decimal)
    if kind == "bool":
        return V.parse_bool(text)
    if kind == "enum":
        return _enum_values(text, spec)
    if kind == "date":
        fmt = opts.date_format or V.detect_date_format(text)
        if fmt is None:
            raise V.AmbiguousDates(V.ambiguous_examples(text, rows))
        return V.parse_dates(text, fmt)
    raise ValueError(f"unknown kind {kind}")


@dataclass
class TypedChunk:
    frame: pd.DataFrame  # one column per mapped field (+ "custom_fields" when kept)
    rows: pd.Series  # spreadsheet row number of each frame row
    issues: list[Issue]


def type_chunk(spec: EntitySpec, mapping: Mapping, frame: pd.DataFrame, rows: pd.Series,
               opts: ParseOptions) -> TypedChunk:
    """Typed, range-checked columns; rows with any problem are reported and dropped."""
    issues: list[Issue] = []
    out: dict[str, pd.Series] = {}
    bad_any = pd.Series(False, index=frame.index)
    mapped = mapping.mapped()
    for f in spec.fields:
        column = mapped.get(f.name)
        if column is None:
            continue
        text = V.blank_to_none(_unguard(frame[column].astype("string")))
        parsed = parse_field(f, text, opts, rows)
        values, bad = parsed.values, parsed.bad.fillna(False)
        issues += _issues(bad, text, rows, column, parsed.reason)
        bad_any |= bad
        if f.minimum is not None or f.maximum is not None:
            num = pd.to_numeric(values, errors="coerce")
            scale = 100 if f.kind == "money" else 1
            low = num < f.minimum * scale if f.minimum is not None else False
            high = num > f.maximum * scale if f.maximum is not None else False
            out_of = (pd.Series(low, index=frame.index) | pd.Series(high, index=frame.index))
            out_of = out_of.fillna(False) & ~bad
            if out_of.any():
                lo = "" if f.minimum is None else f"at least {f.minimum:g}"
                hi = "" if f.maximum is None else f"at most {f.maximum:g}"
                reason = "out of range: must be " + " and ".join(x for x in (lo, hi) if x)
                issues += _issues(out_of, text, rows, column, reason)
                bad_any |= out_of
        if f.required:
            missing = text.isna()
            if missing.any():
                issues += _issues(missing, text.fillna(""), rows, column,
                                  f"{f.name} is required")
                bad_any |= missing
        out[f.name] = values
    if spec.custom_fields:
        custom_cols = [c for c, t in mapping.columns.items() if t == CUSTOM]
        if custom_cols:
            names = [c.removeprefix("custom.") for c in custom_cols]
            texts = [V.blank_to_none(_unguard(frame[c].astype("string"))) for c in custom_cols]
            out["custom_fields"] = pd.Series(
                [{n: v for n, v in zip(names, vals, strict=True) if isinstance(v, str)}
                 for vals in zip(*(t.tolist() for t in texts), strict=True)],
                index=frame.index, dtype=object)
    typed = pd.DataFrame(out, index=frame.index)
    keep = ~bad_any
    return TypedChunk(typed[keep].reset_index(drop=True), rows[keep.to_numpy()].reset_index(
        drop=True), issues)


__all__ = ["GUARD_CHARS", "IGNORE", "Issue", "ParseOptions", "TypedChunk", "frame_from_chunk",
           "type_chunk"]
