"""The fast path for big CSV files: pandas' C parser for the values, numpy for the shape.

Python's ``csv`` module parses about half a million rows a second; pandas' C parser does
several times that, which is what lets a million-row usage file import within 2× of
SQLite's own ``.import``. But the C parser pads short rows and silently drops (or aborts on)
long ones, while csdesk must report every ragged row by number. So the record structure is
taken from one numpy pass over the bytes: quotes, delimiters and line breaks outside quotes
give each record's field count and start offset. The two are joined record by record; if they
ever disagree (an unusual quoting style), the caller falls back to the ``csv`` module path.

Used for 8-bit and UTF-8 files, where the delimiter, quote and line-break bytes cannot occur
inside a multi-byte character.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

BLOCK = 8 << 20
QUOTE = ord('"')
LF, CR = 10, 13
FAST_ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "ascii", "latin-1", "iso-8859-1")


class ShapeMismatch(Exception):
    """The byte scan and the C parser disagree: use the csv module instead."""


@dataclass
class RecordShape:
    """Per record after the header: number of fields, start offset, and whether blank."""

    fields: np.ndarray
    starts: np.ndarray
    ends: np.ndarray

    @property
    def blank(self) -> np.ndarray:
        return (self.fields == 1) & (self.ends - self.starts == 0)


def scan_records(path: str, start: int, delimiter: str) -> RecordShape:
    """Field count and byte span of every record from ``start`` (the first data byte)."""
    delim = ord(delimiter)
    fields: list[np.ndarray] = []
    starts: list[np.ndarray] = []
    ends: list[np.ndarray] = []
    parity = 0  # quotes seen so far, mod 2
    rec_start = start
    open_delims = 0  # delimiters of the record still open at the end of a block
    with open(path, "rb") as fh:
        fh.seek(start)
        block = fh.read(BLOCK)
        offset = start
        while block:
            nxt = fh.read(BLOCK)
            b = np.frombuffer(block, dtype=np.uint8)
            is_quote = b == QUOTE
            n_quotes = int(np.count_nonzero(is_quote))
            is_lf = b == LF
            is_cr = b == CR
            is_delim = b == delim
            if n_quotes or parity:  # only then can a break or delimiter be quoted
                inside = ((np.cumsum(is_quote, dtype=np.int64) + parity) & 1).astype(bool)
                is_lf &= ~inside
                is_cr &= ~inside
                is_delim &= ~inside
                parity = (parity + n_quotes) & 1
            follow_lf = np.empty(len(b), dtype=bool)
            follow_lf[:-1] = b[1:] == LF
            follow_lf[-1] = nxt[:1] == b"\n"
            if (is_cr & ~follow_lf).any():
                # Bare CR line ends (old Mac files): the C parser mishandles some of them,
                # so these files take the exact path.
                raise ShapeMismatch
            breaks = np.flatnonzero(is_lf)
            dpos = np.flatnonzero(is_delim)
            if len(breaks):
                at_break = np.searchsorted(dpos, breaks)  # delimiters before each break
                counts = np.diff(at_break, prepend=0) + 1
                counts[0] += open_delims
                fields.append(counts)
                starts.append(np.concatenate(([rec_start], offset + breaks[:-1] + 1)))
                # A record's text ends before its line break (and the CR of a CRLF).
                crlf = (b[breaks] == LF) & (breaks > 0) & (b[np.maximum(breaks - 1, 0)] == CR)
                ends.append(offset + breaks - crlf)
                rec_start = offset + int(breaks[-1]) + 1
                open_delims = len(dpos) - int(at_break[-1])
            else:
                open_delims += len(dpos)
            offset += len(block)
            block = nxt
        if offset > rec_start:  # a last record without a final line break
            fields.append(np.array([open_delims + 1]))
            starts.append(np.array([rec_start]))
            ends.append(np.array([offset]))
    if not fields:
        empty = np.empty(0, dtype=np.int64)
        return RecordShape(empty, empty, empty)
    return RecordShape(np.concatenate(fields), np.concatenate(starts), np.concatenate(ends))


def header_end(path: str, delimiter: str, encoding: str) -> int | None:
    """Byte offset just after the header line, when the header is one physical line."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 20)
    start = 3 if head.startswith(b"\xef\xbb\xbf") else 0
    pos = start
    # Skip leading blank lines the way the reader does.
    while pos < len(head) and head[pos:pos + 1] in (b"\r", b"\n"):
        pos += 1
    for k in range(pos, len(head)):
        ch = head[k]
        if ch == QUOTE:
            return None  # quoted header: let the csv module handle its subtleties
        if ch in (LF, CR):
            if ch == CR and head[k + 1:k + 2] == b"\n":
                return k + 2
            return k + 1
    return None


def fetch_records(path: str, encoding: str, delimiter: str, shape: RecordShape,
                  which: np.ndarray) -> list[list[str]]:
    """The fields of a few records (the ragged ones), parsed exactly by the csv module."""
    out = []
    with open(path, "rb") as fh:
        for k in which.tolist():
            fh.seek(int(shape.starts[k]))
            raw = fh.read(int(shape.ends[k] - shape.starts[k]))
            text = raw.decode(encoding, errors="replace")
            out.append(next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter),
                            []))
    return out


def iter_frames(path: str, encoding: str, delimiter: str, header: list[str], data_start: int,
                first_row: int, chunk_rows: int,
                ) -> Iterator[tuple[pd.DataFrame, np.ndarray, list[tuple[int, list[str]]], int]]:
    """(frame of text, row numbers, ragged records, bytes read) per chunk.

    Row numbers count records as a spreadsheet does (the header is ``first_row - 1``).
    """
    width = len(header)
    shape = scan_records(path, data_start, delimiter)
    n = len(shape.fields)
    rows_all = np.arange(first_row, first_row + n, dtype=np.int64)
    too_long = shape.fields > width
    # The C parser skips the too-long records; everything else comes out, in order.
    parsed_idx = np.flatnonzero(~too_long)
    enc = "utf-8" if encoding == "utf-8-sig" else encoding
    reader = pd.read_csv(
        path, encoding=enc, sep=delimiter, header=None, names=list(range(width)),
        skiprows=_lines_before(path, data_start), dtype=object, keep_default_na=False,
        na_values=[], skip_blank_lines=False, on_bad_lines="skip", engine="c",
        chunksize=chunk_rows, quoting=csv.QUOTE_MINIMAL, doublequote=True,
        encoding_errors="strict",
    )
    pos = 0
    long_done = 0
    for frame in reader:
        idx = parsed_idx[pos:pos + len(frame)]
        if len(idx) != len(frame):
            raise ShapeMismatch
        pos += len(frame)
        counts = shape.fields[idx]
        # As the csv module path does: one field holding nothing but spaces is a blank line.
        first = frame.iloc[:, 0].astype(str).str.strip().eq("").to_numpy()
        blank = (counts == 1) & first
        short = (counts < width) & ~blank
        # Too-long records that fall before the last row of this chunk.
        last = idx[-1] if len(idx) else -1
        long_here = np.flatnonzero(too_long[long_done:last + 1]) + long_done
        long_done = last + 1
        bad = np.concatenate([idx[short], long_here]).astype(np.int64)
        ragged: list[tuple[int, list[str]]] = []
        if len(bad):
            bad.sort()
            records = fetch_records(path, encoding, delimiter, shape, bad)
            ragged = [(int(rows_all[k]), rec) for k, rec in zip(bad.tolist(), records,
                                                                strict=True)]
        keep = ~(short | blank)
        frame.columns = header
        frame = frame[keep].reset_index(drop=True)
        yield frame, rows_all[idx[keep]], ragged, int(shape.ends[last]) if len(idx) else 0
    if pos != len(parsed_idx):
        raise ShapeMismatch
    rest = np.flatnonzero(too_long[long_done:]) + long_done
    if len(rest):
        records = fetch_records(path, encoding, delimiter, shape, rest)
        yield (pd.DataFrame(columns=header, dtype=object), np.empty(0, dtype=np.int64),
               [(int(rows_all[k]), rec) for k, rec in zip(rest.tolist(), records, strict=True)],
               int(shape.ends[-1]))


def _lines_before(path: str, data_start: int) -> int:
    """Physical lines before the first data byte (leading blank lines and the header)."""
    with open(path, "rb") as fh:
        head = fh.read(data_start)
    return head.count(b"\n") + head.count(b"\r") - head.count(b"\r\n")
