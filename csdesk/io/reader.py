"""Reading CSV files from anywhere: encodings, delimiters, line endings, huge fields.

- Encoding: a byte-order mark decides (UTF-8, UTF-16 LE/BE, UTF-32 LE/BE); otherwise strict
  UTF-8; otherwise cp1252, *reported* as a fallback. Text that is not valid in the chosen
  encoding is an error naming the row, never replacement characters in silence.
- Delimiter: ``,`` ``;`` tab or ``|``, chosen by which one splits the first rows into a
  consistent number of fields; the caller may override it.
- Line endings CRLF, LF and CR-only; quoted fields with newlines, delimiters and doubled
  quotes; fields of any size (Python's 128 KiB default limit is lifted).
- A NUL byte or binary junk is an error with the row number.

Row numbers are what a spreadsheet shows: the header is row 1.
"""

from __future__ import annotations

import codecs
import csv
import io
import sys
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from csdesk.errors import CsvReadError

DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
SAMPLE_BYTES = 1 << 20
GUARD_CHARS = ("=", "+", "-", "@", "\t", "\r")

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True)
class CsvInfo:
    """What was detected (or chosen) about a file, shown to the user before importing."""

    path: Path
    encoding: str
    delimiter: str
    header: list[str]
    notes: list[str] = field(default_factory=list)
    size: int = 0
    skip: int = 0
    header_row: int = 1
    # A workbook's sheet read through a temporary CSV (``io.workbook``): ``path`` is that
    # CSV, ``source`` the workbook the user chose and ``sheet`` the sheet's name.
    source: Path | None = None
    sheet: str | None = None

    @property
    def shown(self) -> Path:
        """The file the user chose (the workbook, for a sheet)."""
        return self.source or self.path

    @property
    def delimiter_name(self) -> str:
        return DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))


def detect_encoding(head: bytes, *, whole: bool = False) -> tuple[str, str | None, int]:
    """(encoding, note, bytes to skip): a BOM decides, then strict UTF-8, then cp1252.

    ``whole`` says ``head`` is the entire file, so an invalid byte at its very end is real
    and not a character cut in two by the sample.
    """
    # A 2-byte UTF-16 mark in front of UTF-32 text (seen in Salesforce Data Loader files).
    if head[:2] in (codecs.BOM_UTF16_BE, codecs.BOM_UTF16_LE) and len(head) >= 10 \
            and head[:4] not in (codecs.BOM_UTF32_LE,):
        rest = head[2:10]
        if rest[0:3] == b"\0\0\0" and rest[4:7] == b"\0\0\0":
            return "utf-32-be", "a UTF-16 byte-order mark precedes UTF-32 BE text", 2
        if rest[1:4] == b"\0\0\0" and rest[5:8] == b"\0\0\0":
            return "utf-32-le", "a UTF-16 byte-order mark precedes UTF-32 LE text", 2
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name, None, 0
    sample = head[:SAMPLE_BYTES]
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        if whole or exc.start < len(sample) - 4:  # not a character cut by the sample
            return "cp1252", ("the file is not UTF-8; it was read as Windows-1252 (cp1252). "
                              "If names look wrong, choose its encoding."), 0
    return "utf-8", None, 0


def _check_text(line: str, row: int) -> None:
    if "\x00" in line:
        raise CsvReadError("contains a NUL byte: the file looks binary or has the wrong "
                           "encoding", row)


def _records(path: Path, encoding: str, delimiter: str, skip: int = 0,
             position: list[Any] | None = None) -> Generator[tuple[int, list[str]], None, None]:
    """(row number, fields) for every record, blank lines included as empty lists.

    ``position``, when given, receives the raw file's ``tell`` so the caller can report
    progress in bytes without counting characters row by row.
    """
    with open(path, "rb") as raw:
        raw.seek(skip)
        if position is not None:
            position[:] = [raw.tell]
        text = io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline="")
        if _wide(encoding):  # NUL bytes are normal in UTF-16/32: check the decoded text
            lines: Iterator[str] | io.TextIOWrapper = _checked_lines(text)
        else:  # one fast pass over the bytes instead of a check per line
            _find_nul(path, skip)
            lines = text
        reader = csv.reader(lines, delimiter=delimiter, strict=False)
        if position is not None:
            position.append(reader)
        row = 0
        try:
            for fields in reader:
                row += 1
                yield row, fields
        except UnicodeDecodeError as exc:
            offset, line = _locate_decode_error(path, encoding, skip)
            raise CsvReadError(
                f"text is not valid {encoding} ({exc.reason} at byte {offset} of the file); "
                "choose the file's encoding", line) from None
        except csv.Error as exc:
            raise CsvReadError(f"malformed CSV: {exc}", row + 1) from None


def _locate_decode_error(path: Path, encoding: str, skip: int) -> tuple[int, int]:
    """(byte offset, line number) of the first byte that does not decode.

    The text reader decodes ahead in blocks, so its own position is only near the fault;
    this pass finds it exactly, for a message that points at the right line.
    """
    def breaks(data: bytes) -> int:
        return data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")

    decoder = codecs.getincrementaldecoder(encoding)("strict")
    offset, lines, last = skip, 1, b""
    with open(path, "rb") as fh:
        fh.seek(skip)
        while block := fh.read(1 << 16):
            split_crlf = last == b"\r" and block[:1] == b"\n"  # one break, two blocks
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                bad = max(0, exc.start - len(decoder.getstate()[0]))
                return offset + bad, lines + breaks(block[:bad]) - split_crlf
            lines += breaks(block) - split_crlf
            offset += len(block)
            last = block[-1:]
    return offset, lines


def _wide(encoding: str) -> bool:
    return encoding.lower().replace("_", "-").startswith(("utf-16", "utf-32"))


def _find_nul(path: Path, skip: int) -> None:
    """Raise for the first NUL byte of an 8-bit or UTF-8 file, naming its line."""
    offset = skip
    with open(path, "rb") as fh:
        fh.seek(skip)
        while block := fh.read(1 << 22):
            at = block.find(b"\0")
            if at >= 0:
                offset += at
                break
            offset += len(block)
        else:
            return
        fh.seek(skip)
        head = fh.read(offset - skip)
    line = 1 + head.count(b"\n") + head.count(b"\r") - head.count(b"\r\n")
    raise CsvReadError("contains a NUL byte: the file looks binary or has the wrong "
                       "encoding", line)


def _checked_lines(text: io.TextIOWrapper) -> Iterator[str]:
    for n, line in enumerate(text, start=1):
        if "\x00" in line:
            _check_text(line, n)
        yield line


def _consistency(sample: str, delimiter: str) -> tuple[float, int]:
    rows = [r for r in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter) if r]
    rows = rows[:50]
    if len(rows) > 1 and not sample.endswith(("\n", "\r")):
        rows = rows[:-1]  # the last sampled row may be cut in half
    if not rows:
        return 0.0, 0
    width = len(rows[0])
    if width < 2:
        return 0.0, width
    same = sum(1 for r in rows if len(r) == width) / len(rows)
    return same, width


def detect_delimiter(sample: str) -> str:
    best, best_score = ",", (0.0, 0)
    for d in DELIMITERS:
        score = _consistency(sample, d)
        if score > best_score:
            best, best_score = d, score
    return best


def _clean_header(raw: list[str]) -> tuple[list[str], list[str]]:
    notes: list[str] = []
    header: list[str] = []
    seen: dict[str, int] = {}
    for i, name in enumerate(raw):
        clean = " ".join(name.replace("\ufeff", "").split())
        if not clean:
            clean = f"column_{i + 1}"
            notes.append(f"column {i + 1} has no name; it is called {clean}")
        if clean.casefold() in seen:
            seen[clean.casefold()] += 1
            renamed = f"{clean} ({seen[clean.casefold()]})"
            notes.append(f"the header {clean!r} appears twice; the second is {renamed!r}")
            clean = renamed
        else:
            seen[clean.casefold()] = 1
        header.append(clean)
    return header, notes


def inspect_csv(path: Path, *, encoding: str | None = None,
                delimiter: str | None = None) -> CsvInfo:
    """Detect encoding, delimiter and header, reading only the start of the file."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(SAMPLE_BYTES)
    except OSError as exc:
        raise CsvReadError(f"cannot read {path}: {exc.strerror}") from None
    if not head.strip():
        raise CsvReadError(f"{path.name} is empty")
    notes: list[str] = []
    skip = 0
    if encoding is None:
        encoding, note, skip = detect_encoding(head, whole=len(head) == size)
        if note:
            notes.append(note)
    else:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise CsvReadError(f"unknown encoding {encoding!r}") from None
    try:
        sample = head[skip:].decode(encoding,
                                    errors="strict" if len(head) == size else "ignore")
    except UnicodeDecodeError as exc:
        raise CsvReadError(f"the file is not valid {encoding} (byte {exc.start}); "
                           "choose its encoding") from None
    if "\x00" in sample:
        line = sample[: sample.index("\x00")].count("\n") + 1
        raise CsvReadError("contains a NUL byte: the file looks binary or has the wrong "
                           "encoding", line)
    controls = sum(1 for ch in sample[:65536] if ord(ch) < 32 and ch not in "\r\n\t\f\v")
    if controls > max(8, len(sample[:65536]) // 100):
        raise CsvReadError(f"{path.name} does not look like a CSV file (binary content)")
    if delimiter is None:
        delimiter = detect_delimiter(sample.lstrip("\r\n")[:65536])
    elif len(delimiter) != 1:
        raise CsvReadError(f"the delimiter must be one character, not {delimiter!r}")

    _check_limits(path, encoding, delimiter, skip, first_record_only=True)
    for row, fields in _records(path, encoding, delimiter, skip):
        if any(f.strip() for f in fields):
            header, header_notes = _clean_header(fields)
            return CsvInfo(path, encoding, delimiter, header, notes + header_notes, size, skip,
                           row)
    raise CsvReadError(f"{path.name} has no header row")


def _check_limits(path: Path, encoding: str, delimiter: str, skip: int, *,
                  first_record_only: bool = False) -> None:
    """Refuse a file past csdesk's limits (columns, field size) before parsing it."""
    from csdesk.io import limits

    try:
        limits.check_limits(str(path), encoding, delimiter, skip,
                            first_record_only=first_record_only)
    except limits.TooWide as exc:
        raise CsvReadError(exc.reason, exc.row) from None


def unguard(value: str) -> str:
    """Undo csdesk's own formula-injection guard: exactly one ``'`` before = + - @ tab CR."""
    if len(value) > 1 and value[0] == "'" and value[1] in GUARD_CHARS:
        return value[1:]
    return value


@dataclass
class RowChunk:
    """Up to ``chunk_rows`` data records: their row numbers and their fields."""

    rows: list[int]
    records: list[list[str]]
    bytes_read: int


def iter_chunks(info: CsvInfo, chunk_rows: int = 200_000) -> Iterator[RowChunk]:
    """The data records after the header, in chunks; blank lines are skipped.

    Records are pulled from the csv reader a chunk at a time (``islice``), so the per-row
    cost is the C parser's alone.
    """
    _check_limits(info.path, info.encoding, info.delimiter, info.skip)
    position: list[Any] = []
    records = _records(info.path, info.encoding, info.delimiter, info.skip, position)
    row = 0
    for header_row, fields in records:  # up to and including the header
        row = header_row
        if any(f.strip() for f in fields):
            break
    reader = position[1]
    while True:
        try:
            batch = list(islice(reader, chunk_rows))
        except UnicodeDecodeError as exc:
            offset, line = _locate_decode_error(info.path, info.encoding, info.skip)
            raise CsvReadError(
                f"text is not valid {info.encoding} ({exc.reason} at byte {offset} of the "
                "file); choose the file's encoding", line) from None
        except csv.Error as exc:
            raise CsvReadError(f"malformed CSV: {exc}", row + 1) from None
        if not batch:
            break
        rows = list(range(row + 1, row + 1 + len(batch)))
        row += len(batch)
        if min(map(len, batch)) < 2:  # only then can there be blank lines to drop
            keep = [bool(r) and (len(r) > 1 or bool(r[0].strip())) for r in batch]
            batch = [r for r, k in zip(batch, keep, strict=True) if k]
            rows = [r for r, k in zip(rows, keep, strict=True) if k]
        if batch:
            yield RowChunk(rows, batch, min(position[0](), info.size))
    records.close()
