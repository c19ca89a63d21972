"""From text cells to typed columns, with every problem as (row, column, value, reason).

Works a chunk at a time and a column at a time (pandas), so validation keeps pace with a
million-row usage file. Nothing here touches the database: references to accounts are
checked by the import service, which knows the book.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from csdesk.errors import CsvReadError
from csdesk.io import values as field_values
from csdesk.io.entities import EntitySpec, FieldSpec
from csdesk.io.mapping import CUSTOM, IGNORE, KEEP_CUSTOM, LEAVE_OUT, Mapping
from csdesk.io.reader import (
    GUARD_CHARS,
    CsvInfo,
    RowChunk,
    _check_limits,
    _find_nul,
    _locate_decode_error,
    iter_chunks,
)


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
    decimal: str | None = None  # "." or ","; None = decide from the file
    # How the decimal mark was settled: "given", "detected" (then kept for the rest of the
    # file), "per column" (the columns disagree), or None while no number needed one.
    decimal_how: str | None = None
    # A workbook's sheet: a plain number in a date column is an Excel date serial (45292 is
    # 2024-01-01). Never for a CSV, where 20240101 or 2024 mean something else.
    excel_serials: bool = False

    def __post_init__(self) -> None:
        if self.decimal is not None and self.decimal_how is None:
            self.decimal_how = "given"


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
    lengths = np.fromiter(map(len, chunk.records), dtype=np.int64, count=len(chunk.records))
    ragged = np.flatnonzero(lengths != width)
    good = chunk.records
    good_rows = chunk.rows
    if len(ragged):
        for k in ragged.tolist():
            issues.append(_ragged_issue(header, chunk.rows[k], chunk.records[k]))
        keep = lengths == width
        good = [r for r, k in zip(chunk.records, keep.tolist(), strict=True) if k]
        good_rows = [r for r, k in zip(chunk.rows, keep.tolist(), strict=True) if k]
    if good:
        # One 2-D object array is several times faster than building columns in Python.
        matrix = np.empty((len(good), width), dtype=object)
        matrix[:] = good
        frame = pd.DataFrame(matrix, columns=header)
    else:
        frame = pd.DataFrame(columns=header, dtype=object)
    return frame, pd.Series(good_rows, dtype="int64"), issues


FAST_MIN_BYTES = 1 << 20  # below this the csv module is fast enough and exact by definition


@dataclass
class FrameChunk:
    frame: pd.DataFrame  # text cells of the well-formed records
    rows: pd.Series  # their spreadsheet row numbers
    issues: list[Issue]  # ragged rows
    records: dict[int, list[str]]  # the ragged rows' fields, for the error report
    bytes_read: int


def _ragged_issue(header: list[str], row: int, rec: list[str]) -> Issue:
    width = len(header)
    shown = rec[width:] if len(rec) > width else rec
    return Issue(row, header[min(len(rec), width - 1)], ",".join(shown)[:80],
                 f"row has {len(rec)} fields but the header has {width}")


def read_frames(info: CsvInfo, chunk_rows: int = 200_000, *,
                fast: bool = True) -> Iterator[FrameChunk]:
    """Text frames of a file, chunk by chunk, with ragged rows reported.

    Large UTF-8 and 8-bit files go through the C parser (``io.fastcsv``); the rest, and any
    file whose shape the fast path cannot vouch for, through the ``csv`` module. The caller
    retries with ``fast=False`` on :class:`fastcsv.ShapeMismatch`.
    """
    from csdesk.io import fastcsv

    start = None
    if fast and info.skip == 0 and info.encoding.lower() in fastcsv.FAST_ENCODINGS \
            and info.size >= FAST_MIN_BYTES:
        start = fastcsv.header_end(str(info.path), info.delimiter, info.encoding)
    if start is None:
        for chunk in iter_chunks(info, chunk_rows):
            frame, rows, issues = frame_from_chunk(info.header, chunk)
            bad = {e.row for e in issues}
            records = {r: rec for r, rec in zip(chunk.rows, chunk.records, strict=True)
                       if r in bad}
            yield FrameChunk(frame, rows, issues, records, chunk.bytes_read)
        return
    _find_nul(info.path, 0)
    _check_limits(info.path, info.encoding, info.delimiter, info.skip)
    try:
        for frame, rows, ragged, pos in fastcsv.iter_frames(
                str(info.path), info.encoding, info.delimiter, info.header, start,
                info.header_row + 1, chunk_rows):
            issues = [_ragged_issue(info.header, r, rec) for r, rec in ragged]
            yield FrameChunk(frame, pd.Series(rows, dtype="int64"), issues, dict(ragged),
                             min(pos, info.size))
    except UnicodeDecodeError as exc:
        offset, line = _locate_decode_error(info.path, info.encoding, 0)
        raise CsvReadError(
            f"text is not valid {info.encoding} ({exc.reason} at byte {offset} of the file); "
            "choose the file's encoding", line) from None


def _unguard(col: pd.Series) -> pd.Series:
    guarded = col.str.match(r"^'[=+\-@\t\r]", na=False)
    if guarded.any():
        col = col.copy()
        col[guarded] = col[guarded].str.slice(1)
    return col


def _issues(mask: pd.Series, text: pd.Series, rows: pd.Series, column: str,
            reason: str) -> list[Issue]:
    idx = np.flatnonzero(mask.to_numpy(dtype=bool))
    if not len(idx):
        return []
    return [Issue(int(rows.iat[i]), column, str(text.iat[i])[:200], reason) for i in idx]


def _enum_values(text: pd.Series, spec: FieldSpec) -> field_values.Parsed:
    # The same reading as mapping.value_key, column-wide.
    key = text.str.casefold().str.replace(r"[\s\-/]+", "_", regex=True).str.strip("_")
    lookup = {c: c for c in spec.choices}
    lookup.update(spec.aliases)
    values = key.map(lookup)
    reason = f"not one of {', '.join(spec.choices)} (map the value to one of them)"
    return field_values.Parsed(values.astype(object).where(values.notna(), None),
                    text.notna() & values.isna(), reason)


def parse_field(spec: FieldSpec, text: pd.Series, opts: ParseOptions,
                rows: pd.Series) -> field_values.Parsed:
    """Parse one mapped column; raises :class:`values.AmbiguousDates` for unclear dates."""
    kind = spec.kind
    if kind == "id":
        ids = normalise_ids(text)
        return field_values.Parsed(ids, pd.Series(False, index=text.index), "")
    if kind == "text":
        return field_values.Parsed(text, pd.Series(False, index=text.index), "")
    if kind == "currency":
        return field_values.parse_currency(text)
    decimal = opts.decimal or field_values.detect_decimal(text)
    if kind == "money":
        return field_values.parse_money_cents(text, decimal=decimal)
    if kind == "int":
        return field_values.parse_int(text, decimal=decimal)
    if kind == "float":
        return field_values.parse_number(text, decimal=decimal)
    if kind == "percent":
        return field_values.parse_percent(text, decimal=decimal)
    if kind == "bool":
        return field_values.parse_bool(text)
    if kind == "enum":
        return _enum_values(text, spec)
    if kind == "date":
        if opts.excel_serials:
            text = field_values.excel_serial_dates(text)
        fmt = opts.date_format or field_values.detect_date_format(text)
        if fmt is None:
            raise field_values.AmbiguousDates(field_values.ambiguous_examples(text, rows))
        return field_values.parse_dates(text, fmt)
    raise ValueError(f"unknown kind {kind}")


@dataclass
class TypedChunk:
    frame: pd.DataFrame  # one column per mapped field (+ "custom_fields" when kept)
    rows: pd.Series  # spreadsheet row number of each frame row
    issues: list[Issue]
    left_out: int = 0  # rows whose value the CSM said to leave out (no error)


@dataclass
class _Column:
    values: pd.Series  # parsed, one per row
    text: pd.Series  # cleaned text (None when missing), one per row
    bad: np.ndarray  # present but not parseable
    missing: np.ndarray
    reason: str


def _parse_distinct(spec: FieldSpec, raw: pd.Series, rows: pd.Series,
                    opts: ParseOptions) -> _Column:
    """Parse each distinct text of a column once, then spread the results to the rows.

    Usage files repeat the same account ids, dates and small counts on many rows, so this
    turns a million parses into a few thousand; a column of all-distinct values costs one
    factorize more than parsing it directly.
    """
    codes, uniques = pd.factorize(raw.to_numpy(dtype=object), use_na_sentinel=True)
    if (codes < 0).any():  # no cell is NaN in a CSV, but be safe
        codes = np.where(codes < 0, len(uniques), codes)
        uniques = np.append(uniques.astype(object), "")
    _, first = np.unique(codes, return_index=True)
    text = field_values.blank_to_none(_unguard(pd.Series(uniques, dtype="string")))
    parsed = parse_field(spec, text, opts, rows.iloc[first].reset_index(drop=True))
    values = parsed.values.take(codes)
    values.index = raw.index
    spread_text = text.take(codes)
    spread_text.index = raw.index
    bad = parsed.bad.fillna(False).to_numpy(dtype=bool)[codes]
    missing = text.isna().to_numpy(dtype=bool)[codes]
    return _Column(values, spread_text, bad, missing, parsed.reason)


NUMERIC_KINDS = ("money", "int", "float", "percent")


def decide_decimal(spec: EntitySpec, mapping: Mapping, frame: pd.DataFrame, rows: pd.Series,
                   opts: ParseOptions) -> None:
    """Settle the file's decimal mark from this chunk's numbers, once for the whole file.

    Numbers that only one mark reads decide it (and it is kept for the chunks after); when
    the columns disagree each column decides its own, as they always did. Money and whole
    numbers cannot have three decimals, so 1.234 there is one thousand two hundred and
    thirty-four (and the mark a comma). When every number with a mark reads both ways
    (a duration of 1.234) and nothing decides, guessing would store a wrong value without a
    word: :class:`values.AmbiguousDecimal` asks the user instead.
    """
    if opts.decimal is not None or opts.decimal_how == "per column":
        return
    mapped = mapping.mapped()
    comma = dot = 0
    first: tuple[str, str] | None = None
    for f in spec.fields:
        column = mapped.get(f.name)
        if f.kind not in NUMERIC_KINDS or column is None:
            continue
        distinct = pd.Series(pd.unique(frame[column].to_numpy(dtype=object)), dtype="string")
        text = field_values.blank_to_none(_unguard(distinct))
        c, d, ambiguous = field_values.decimal_votes(text, whole_cents=f.kind in ("money", "int"))
        comma, dot = comma + c, dot + d
        if ambiguous is not None and first is None:
            first = (column, str(text[ambiguous]))
    if comma and dot:
        opts.decimal_how = "per column"
    elif comma or dot:
        opts.decimal, opts.decimal_how = ("," if comma else "."), "detected"
    elif first is not None:
        column, value = first
        at = np.flatnonzero(frame[column].astype(str).str.strip().str.contains(
            value, regex=False).to_numpy())
        row = int(rows.iat[int(at[0])]) if len(at) else 0
        raise field_values.AmbiguousDecimal(row, column, value)


def type_chunk(spec: EntitySpec, mapping: Mapping, frame: pd.DataFrame, rows: pd.Series,
               opts: ParseOptions) -> TypedChunk:
    """Typed, range-checked columns; rows with any problem are reported and dropped."""
    if mapping.constants:  # a column the file lacks, the same on every row
        frame = frame.assign(**mapping.constants)
    decide_decimal(spec, mapping, frame, rows, opts)
    issues: list[Issue] = []
    out: dict[str, pd.Series] = {}
    bad_any = np.zeros(len(frame), dtype=bool)
    mapped = mapping.mapped()
    for f in spec.fields:
        column = mapped.get(f.name)
        if column is None:
            continue
        if f.name in mapping.values:  # the file's own words for this field's choices
            f = replace(f, aliases={**f.aliases, **mapping.values[f.name]})
        source = frame[column]
        for more in mapping.joined.get(f.name, ()):  # "Ana" + "Silva" → "Ana Silva"
            both = (source.astype("string").fillna("").str.strip() + " "
                    + frame[more].astype("string").fillna("").str.strip()).str.strip()
            source = both.where(both != "", pd.NA)
        col = _parse_distinct(f, source, rows, opts)
        values, text = col.values, col.text
        issues += _issues(pd.Series(col.bad), text, rows, column, col.reason)
        bad_any |= col.bad
        if f.minimum is not None or f.maximum is not None:
            num = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            scale = 100 if f.kind == "money" else 1
            with np.errstate(invalid="ignore"):
                out_of = np.zeros(len(frame), dtype=bool)
                if f.minimum is not None:
                    out_of |= num < f.minimum * scale
                if f.maximum is not None:
                    out_of |= num > f.maximum * scale
            out_of &= ~col.bad
            if out_of.any():
                lo = "" if f.minimum is None else f"at least {f.minimum:g}"
                hi = "" if f.maximum is None else f"at most {f.maximum:g}"
                reason = "out of range: must be " + " and ".join(x for x in (lo, hi) if x)
                issues += _issues(pd.Series(out_of), text, rows, column, reason)
                bad_any |= out_of
        if f.required and col.missing.any():
            issues += _issues(pd.Series(col.missing), text.fillna(""), rows, column,
                              f"{f.name} is required")
            bad_any |= col.missing
        out[f.name] = values
    if spec.custom_fields:
        custom_cols = [c for c, t in mapping.columns.items() if t == CUSTOM]
        if custom_cols:
            names = [c.removeprefix("custom.") for c in custom_cols]
            texts = [field_values.blank_to_none(_unguard(frame[c].astype("string")))
                     for c in custom_cols]
            out["custom_fields"] = pd.Series(
                [{n: v for n, v in zip(names, vals, strict=True) if isinstance(v, str)}
                 for vals in zip(*(t.tolist() for t in texts), strict=True)],
                index=frame.index, dtype=object)
    typed = pd.DataFrame(out, index=frame.index)
    _keep_as_custom(spec, mapping, frame, typed)
    issues.sort(key=lambda e: e.row)  # in file order, as the user will fix them
    leave = np.zeros(len(frame), dtype=bool)
    for name, values in mapping.values.items():
        if LEAVE_OUT in values.values() and name in typed:
            leave |= (typed[name] == LEAVE_OUT).to_numpy(dtype=bool)
    leave &= ~bad_any
    keep = ~bad_any & ~leave
    return TypedChunk(typed[keep].reset_index(drop=True),
                      rows[keep].reset_index(drop=True), issues, int(leave.sum()))


def _keep_as_custom(spec: EntitySpec, mapping: Mapping, frame: pd.DataFrame,
                    typed: pd.DataFrame) -> None:
    """Values read as ``keep_as_custom``: the field blank (the book's value kept, or the
    default for a new record) and the file's word kept as a custom field."""
    columns = mapping.mapped()
    for name, values in mapping.values.items():
        if KEEP_CUSTOM not in values.values() or name not in typed:
            continue
        hit = (typed[name] == KEEP_CUSTOM).to_numpy(dtype=bool)
        if not hit.any():
            continue
        typed.loc[hit, name] = None
        if not spec.custom_fields:
            continue
        column = columns[name]
        words = _unguard(frame[column].astype("string")).str.strip()
        if "custom_fields" not in typed:
            typed["custom_fields"] = [{} for _ in range(len(typed))]
        for i in np.flatnonzero(hit):
            typed.at[typed.index[i], "custom_fields"] = {
                **(typed["custom_fields"].iat[i] or {}), column: str(words.iat[i])}


__all__ = ["GUARD_CHARS", "IGNORE", "Issue", "ParseOptions", "TypedChunk", "frame_from_chunk",
           "type_chunk"]
