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
        blank: np.ndarray = (self.fields == 1) & (self.ends - self.starts == 0)
        return blank


def scan_blocks(path: str, start: int, delimiter: str) -> Iterator[RecordShape]:
    """Field count and byte span of every record from ``start`` (the first data byte), one
    block of the file at a time, so memory stays bounded whatever the file's size."""
    delim = ord(delimiter)
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
                # A record's text ends before its line break (and the CR of a CRLF).
                crlf = (b[breaks] == LF) & (breaks > 0) & (b[np.maximum(breaks - 1, 0)] == CR)
                yield RecordShape(counts.astype(np.int64),
                                  np.concatenate(([rec_start], offset + breaks[:-1] + 1)),
                                  (offset + breaks - crlf).astype(np.int64))
                rec_start = offset + int(breaks[-1]) + 1
                open_delims = len(dpos) - int(at_break[-1])
            else:
                open_delims += len(dpos)
            offset += len(block)
            block = nxt
        if offset > rec_start:  # a last record without a final line break
            yield RecordShape(np.array([open_delims + 1]), np.array([rec_start]),
                              np.array([offset]))


def scan_records(path: str, start: int, delimiter: str) -> RecordShape:
    """Field count and byte span of every record from ``start`` (the whole file at once)."""
    blocks = list(scan_blocks(path, start, delimiter))
    if not blocks:
        empty = np.empty(0, dtype=np.int64)
        return RecordShape(empty, empty, empty)
    return RecordShape(*(np.concatenate([getattr(b, f) for b in blocks])
                         for f in ("fields", "starts", "ends")))


class _ShapeStream:
    """The byte scan's records, taken in step with the C parser's chunks.

    Holds only the records of a block or two, never the whole file's: ``take(n)`` hands out
    the records up to and including the ``n``-th one the C parser returns (it skips the
    too-long ones), together with the too-long ones among them.
    """

    def __init__(self, blocks: Iterator[RecordShape], width: int, first_row: int) -> None:
        self.blocks, self.width = blocks, width
        empty = np.empty(0, dtype=np.int64)
        self.pending = RecordShape(empty, empty, empty)
        self.first_row = first_row  # row number of the first pending record

    def _more(self) -> bool:
        block = next(self.blocks, None)
        if block is None:
            return False
        p = self.pending
        self.pending = RecordShape(np.concatenate([p.fields, block.fields]),
                                   np.concatenate([p.starts, block.starts]),
                                   np.concatenate([p.ends, block.ends]))
        return True

    def take(self, n: int | None) -> tuple[RecordShape, np.ndarray]:
        """The next records holding ``n`` parsed ones (all that are left when None), and
        their row numbers."""
        while True:
            parsed = np.flatnonzero(self.pending.fields <= self.width)
            if n is not None and len(parsed) >= n:
                cut = int(parsed[n - 1]) + 1 if n else 0
                break
            if not self._more():
                if n is not None:
                    raise ShapeMismatch
                cut = len(self.pending.fields)
                break
        p = self.pending
        out = RecordShape(p.fields[:cut], p.starts[:cut], p.ends[:cut])
        self.pending = RecordShape(p.fields[cut:], p.starts[cut:], p.ends[cut:])
        rows = np.arange(self.first_row, self.first_row + cut, dtype=np.int64)
        self.first_row += cut
        return out, rows


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
    stream = _ShapeStream(scan_blocks(path, data_start, delimiter), width, first_row)
    enc = "utf-8" if encoding == "utf-8-sig" else encoding
    reader = pd.read_csv(
        path, encoding=enc, sep=delimiter, header=None, names=list(range(width)),
        skiprows=_lines_before(path, data_start), dtype=object, keep_default_na=False,
        na_values=[], skip_blank_lines=False, on_bad_lines="skip", engine="c",
        chunksize=chunk_rows, quoting=csv.QUOTE_MINIMAL, doublequote=True,
        encoding_errors="strict",
    )
    last_end = 0
    for frame in reader:
        # The C parser skips the too-long records; everything else comes out, in order.
        shape, rows_all = stream.take(len(frame))
        too_long = shape.fields > width
        idx = np.flatnonzero(~too_long)
        counts = shape.fields[idx]
        # As the csv module path does: one field holding nothing but spaces is a blank line.
        first = frame.iloc[:, 0].astype(str).str.strip().eq("").to_numpy()
        blank = (counts == 1) & first
        short = (counts < width) & ~blank
        bad = np.concatenate([idx[short], np.flatnonzero(too_long)]).astype(np.int64)
        ragged: list[tuple[int, list[str]]] = []
        if len(bad):
            bad.sort()
            records = fetch_records(path, encoding, delimiter, shape, bad)
            ragged = [(int(rows_all[k]), rec) for k, rec in zip(bad.tolist(), records,
                                                                strict=True)]
        keep = ~(short | blank)
        frame.columns = header
        frame = frame[keep].reset_index(drop=True)
        if len(idx):
            last_end = int(shape.ends[idx[-1]])
        yield frame, rows_all[idx[keep]], ragged, last_end if len(idx) else 0
    shape, rows_all = stream.take(None)
    if (shape.fields <= width).any():
        raise ShapeMismatch
    if len(shape.fields):
        records = fetch_records(path, encoding, delimiter, shape,
                                np.arange(len(shape.fields)))
        yield (pd.DataFrame(columns=header, dtype=object), np.empty(0, dtype=np.int64),
               [(int(r), rec) for r, rec in zip(rows_all.tolist(), records, strict=True)],
               int(shape.ends[-1]))


def _lines_before(path: str, data_start: int) -> int:
    """Physical lines before the first data byte (leading blank lines and the header)."""
    with open(path, "rb") as fh:
        head = fh.read(data_start)
    return head.count(b"\n") + head.count(b"\r") - head.count(b"\r\n")
