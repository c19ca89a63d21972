"""Reading CSV bytes from anywhere: encodings, delimiters, line endings, big fields, junk."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csdesk.errors import CsvReadError
from csdesk.io.reader import inspect_csv, iter_chunks, unguard

ROWS = [["id", "name", "arr"], ["007", "Müller & Söhne", "1200"], ["8", "東京データ", "3"]]


def _text(rows: list[list[str]], delimiter: str = ",", newline: str = "\r\n") -> str:
    return newline.join(delimiter.join(r) for r in rows) + newline


def _records(path: Path, **kw: str) -> tuple[list[str], list[list[str]]]:
    info = inspect_csv(path, **kw)
    return info.header, [r for c in iter_chunks(info) for r in c.records]


@pytest.mark.parametrize(
    ("encoding", "bom", "expected"),
    [
        ("utf-8", b"", "utf-8"),
        ("utf-8", codecs.BOM_UTF8, "utf-8-sig"),
        ("utf-16-le", codecs.BOM_UTF16_LE, "utf-16"),
        ("utf-16-be", codecs.BOM_UTF16_BE, "utf-16"),
        ("utf-32-le", codecs.BOM_UTF32_LE, "utf-32"),
        ("utf-32-be", codecs.BOM_UTF32_BE, "utf-32"),
    ],
)
def test_encodings_with_and_without_bom(tmp_path: Path, encoding: str, bom: bytes,
                                        expected: str) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(bom + _text(ROWS).encode(encoding))
    info = inspect_csv(path)
    assert info.encoding == expected
    assert info.header == ["id", "name", "arr"]  # no BOM left on the first header
    _header, records = _records(path)
    assert records == ROWS[1:]
    assert info.notes == []


def test_cp1252_is_a_reported_fallback(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(_text([["name"], ["Café Zürich"], ["Œuvre – 3€"]]).encode("cp1252"))
    info = inspect_csv(path)
    assert info.encoding == "cp1252"
    assert any("Windows-1252" in n for n in info.notes)
    assert _records(path)[1] == [["Café Zürich"], ["Œuvre – 3€"]]


def test_utf8_error_after_the_sample_names_the_row(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    body = _text([["a"], *[["x" * 100]] * 20_000]).encode()
    path.write_bytes(body + b"\xff\xfe broken\r\n")
    info = inspect_csv(path)
    assert info.encoding == "utf-8"
    expected = rf"row 20002: text is not valid utf-8 \(invalid start byte at byte {len(body)} "
    with pytest.raises(CsvReadError, match=expected):
        list(iter_chunks(info))


@pytest.mark.parametrize("newline", ["\r\n", "\n", "\r"], ids=["crlf", "lf", "cr"])
def test_line_endings_and_quoted_newlines(tmp_path: Path, newline: str) -> None:
    rows = [["a", "b"], ['"multi' + newline + 'line"', '"say ""hi"", ok"']]
    path = tmp_path / "f.csv"
    path.write_bytes(_text(rows, newline=newline).encode())
    _header, records = _records(path)
    assert records == [[f"multi{newline}line", 'say "hi", ok']]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_detected_and_can_be_overridden(tmp_path: Path, delimiter: str) -> None:
    path = tmp_path / "f.csv"
    rows = [["id", "name", "note"], ["1", "A, B and C", "x"], ["2", "D", "y"]]
    quoted = [[f'"{v}"' if "," in v else v for v in r] for r in rows]
    path.write_text(_text(quoted, delimiter), encoding="utf-8")
    info = inspect_csv(path)
    assert info.delimiter == delimiter
    assert _records(path)[1] == rows[1:]
    # An explicit choice wins over detection.
    assert inspect_csv(path, delimiter="|").delimiter == "|"


def test_fields_larger_than_the_default_csv_limit(tmp_path: Path) -> None:
    big = "x" * (300 * 1024)
    path = tmp_path / "f.csv"
    path.write_text(_text([["id", "notes"], ["1", f'"{big}"']]), encoding="utf-8")
    assert _records(path)[1] == [["1", big]]


def test_nul_byte_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(b"a,b\r\n1,2\r\n3,\x004\r\n")
    with pytest.raises(CsvReadError, match="row 3: contains a NUL byte"):
        inspect_csv(path)


def test_binary_junk_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(bytes(range(1, 32)) * 200)
    with pytest.raises(CsvReadError, match="does not look like a CSV"):
        inspect_csv(path)


def test_empty_file_and_blank_lines(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"\r\n\r\n")
    with pytest.raises(CsvReadError, match="empty"):
        inspect_csv(empty)
    path = tmp_path / "f.csv"
    path.write_text("\n\n\na,b\n1,2\n\n3,4\n", encoding="utf-8")
    info = inspect_csv(path)
    assert info.header == ["a", "b"]
    chunks = list(iter_chunks(info))
    assert chunks[0].records == [["1", "2"], ["3", "4"]]
    assert chunks[0].rows == [5, 7]  # spreadsheet rows, blank lines counted


def test_duplicate_and_blank_headers_are_renamed_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("Name,,name\nA,B,C\n", encoding="utf-8")
    info = inspect_csv(path)
    assert info.header == ["Name", "column_2", "name (2)"]
    assert len(info.notes) == 2


def test_unguard_strips_exactly_the_guard() -> None:
    assert unguard("'=SUM(A1)") == "=SUM(A1)"
    assert unguard("'-12") == "-12"
    assert unguard("'hello") == "'hello"
    assert unguard("O'Brien") == "O'Brien"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=2000))
def test_any_bytes_parse_cleanly_or_fail_clearly(tmp_path: Path, data: bytes) -> None:
    """For any bytes: a clean parse or a CsvReadError, never another exception."""
    path = tmp_path / "fuzz.csv"
    path.write_bytes(data)
    try:
        info = inspect_csv(path)
        for chunk in iter_chunks(info):
            assert len(chunk.rows) == len(chunk.records)
    except CsvReadError as exc:
        assert str(exc)
