"""How wide a CSV file csdesk reads: at most 2,000 columns, and no field over 10 MB.

A file past either limit is a broken export (an unclosed quote swallowing the rest of the
file into one field, a line with a million delimiters), and reading it would take minutes and
gigabytes before saying anything useful. So the limits are checked first, in one pass of
numpy over blocks of the raw text (a few megabytes at a time whatever the file's size), and
the first record past them is named by its row, before the csv module or pandas see it.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator

import numpy as np

from csdesk.io.fastcsv import FAST_ENCODINGS

MAX_COLUMNS = 2_000
MAX_FIELD = 10 << 20  # bytes of the file (characters for UTF-16/32 files)
BLOCK = 4 << 20
QUOTE, LF, CR = ord('"'), 10, 13


class TooWide(Exception):
    """A record past a limit: ``row`` (spreadsheet numbering from ``skip``) and why."""

    def __init__(self, row: int, reason: str) -> None:
        super().__init__(f"row {row}: {reason}")
        self.row = row
        self.reason = reason


def _units(path: str, encoding: str, skip: int) -> Iterator[np.ndarray]:
    """The file's text in blocks of code units in which the delimiter, the quote and line
    breaks are single units: its bytes for UTF-8 and 8-bit files, code points otherwise."""
    narrow = encoding.lower().replace("_", "-") in FAST_ENCODINGS
    decoder = None if narrow else codecs.getincrementaldecoder(encoding)("replace")
    with open(path, "rb") as fh:
        fh.seek(skip)
        while True:
            block = fh.read(BLOCK)
            if decoder is None:
                if not block:
                    return
                yield np.frombuffer(block, dtype=np.uint8)
                continue
            text = decoder.decode(block, final=not block)
            if text:
                yield np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
            if not block:
                return


def _marks(b: np.ndarray, parity: int, delim: int,
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """(separators, record breaks, delimiters, text) outside quotes, as positions, and the
    quote parity after the block."""
    is_quote = b == QUOTE
    inside = ((np.cumsum(is_quote, dtype=np.uint8) + parity) & 1).astype(bool)
    is_lf, is_cr = b == LF, b == CR
    after_cr = np.zeros(len(b), dtype=bool)
    after_cr[1:] = is_cr[:-1]
    brk = (is_lf | is_cr) & ~inside
    # CR LF is one break (split by a block boundary it counts twice: one row too many in a
    # message about such a file, nothing worse).
    is_break = brk & ~(is_lf & after_cr)
    is_delim = (b == delim) & ~inside
    return (np.flatnonzero(brk | is_delim), np.flatnonzero(is_break), np.flatnonzero(is_delim),
            np.flatnonzero(~(is_lf | is_cr)), (parity + int(np.count_nonzero(is_quote))) & 1)


def check_limits(path: str, encoding: str, delimiter: str, skip: int = 0, *,
                 first_record_only: bool = False, max_columns: int = MAX_COLUMNS,
                 max_field: int = MAX_FIELD) -> None:
    """Raise :class:`TooWide` for the first record with more than ``max_columns`` fields or
    a field longer than ``max_field``; ``first_record_only`` stops after the header (the
    first record with any text)."""
    delim = ord(delimiter)
    parity = 0  # quotes seen so far, mod 2
    offset = 0  # units before this block
    last_sep = -1  # offset of the last delimiter or line break outside quotes
    fields = 1  # fields of the record still open
    row = 1
    content = False  # the open record has something besides line breaks
    for block in _units(path, encoding, skip):
        b = block
        seps, breaks, dpos, text, after = _marks(b, parity, delim)
        done = False
        if first_record_only:
            first_text = 0 if content else (int(text[0]) if len(text) else len(b))
            ends = breaks[breaks >= first_text]
            if len(ends):  # the header ends in this block: look no further
                b, done = b[:int(ends[0]) + 1], True
                seps, breaks, dpos, text, after = _marks(b, parity, delim)
            content = content or bool(len(text))
        parity = after
        n = len(b)
        # Fields: the longest run between separators (and from the last one to the end).
        starts = np.concatenate(([last_sep - offset], seps))
        long = np.flatnonzero(np.concatenate((seps, [n])) - starts - 1 > max_field)
        if len(long):
            at = int(starts[long[0]]) + 1
            raise TooWide(row + int(np.searchsorted(breaks, at)),
                          f"a field is longer than {_size(max_field)}; csdesk reads fields "
                          f"of at most {_size(max_field)} (is a quote never closed?)")
        # Columns: delimiters between breaks, plus the fields of the record still open.
        per_record = np.diff(np.searchsorted(dpos, breaks), prepend=0) + 1
        if len(per_record):
            per_record[0] += fields - 1
            too_many = np.flatnonzero(per_record > max_columns)
            if len(too_many):
                raise TooWide(row + int(too_many[0]), _columns(max_columns))
            fields = len(dpos) - int(np.searchsorted(dpos, breaks[-1])) + 1
        else:
            fields += len(dpos)
        if fields > max_columns:
            raise TooWide(row + len(breaks), _columns(max_columns))
        if done:
            return
        row += len(breaks)
        if len(seps):
            last_sep = offset + int(seps[-1])
        offset += n


def _size(units: int) -> str:
    return f"{units >> 20} MB" if units >= 1 << 20 else f"{units:,} bytes"


def _columns(limit: int) -> str:
    return f"has more than {limit:,} columns; csdesk reads at most {limit:,}"


__all__ = ["MAX_COLUMNS", "MAX_FIELD", "TooWide", "check_limits"]
