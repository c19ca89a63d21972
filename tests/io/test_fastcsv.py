"""The fast reader (C parser + byte scan) gives exactly what the csv module gives."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csdesk.db import Database
from csdesk.errors import ImportUsageError
from csdesk.io import validate
from csdesk.io.reader import inspect_csv
from csdesk.services.sync.importer import ImportRequest, run_import

cell = st.text(alphabet=st.sampled_from(list('ab,;"\n\r é日 ')), max_size=6)
record = st.lists(cell, min_size=1, max_size=5)
CHUNK = 7  # rows per chunk when reading: small, so records straddle chunks


def _fast_readable(records: list[list[str]]) -> list[list[str]]:
    """The records, made a file the fast path vouches for (without dropping any of them).

    The C parser does not skip a record longer than the header when it comes first in the
    file (it takes its first column as the index) or first in a chunk (it keeps it, cut to
    the header's width). The fast path notices (ShapeMismatch) and the importer reads such a
    file with the exact reader instead; see test_the_fast_path_refuses_what_it_cannot_vouch_
    for. So that every example here is compared, an ordinary record goes before any long
    record that would start a chunk.
    """
    out: list[list[str]] = []
    parsed = 0  # records the C parser returns so far
    for rec in records:
        if len(rec) > 3 and parsed % CHUNK == 0:
            out.append(["a", "b", "c"])
            parsed += 1
        out.append(rec)
        parsed += len(rec) <= 3
    return out


records_for_fast = st.lists(record, min_size=1, max_size=25).map(_fast_readable)


def _csv_text(records: list[list[str]], newline: str) -> str:
    """Records as a spreadsheet writes them: a field with a comma, a quote, a CR or an LF is
    quoted (the csv module quotes only the line terminator's own characters, so with LF line
    ends it would leave a bare CR unquoted: a bare-CR file, which the fast path refuses)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    lines = []
    for rec in [["h1", "h2", "h3"], *records]:
        buf.seek(0)
        buf.truncate()
        writer.writerow(rec)
        lines.append(buf.getvalue().removesuffix("\r\n"))
    return "".join(line + newline for line in lines)


def _read(path: Path, fast: bool) -> tuple[list[list[str]], list[int], list[tuple]]:
    info = inspect_csv(path)
    frames, rows, issues = [], [], []
    for chunk in validate.read_frames(info, CHUNK, fast=fast):
        frames += chunk.frame.astype(str).values.tolist()
        rows += chunk.rows.tolist()
        issues += [(e.row, e.reason) for e in chunk.issues]
    return frames, rows, issues


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(records=records_for_fast, newline=st.sampled_from(["\r\n", "\n"]))
def test_fast_and_exact_readers_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      records: list[list[str]], newline: str) -> None:
    monkeypatch.setattr(validate, "FAST_MIN_BYTES", 0)
    _assert_readers_agree(tmp_path, records, newline)


def _assert_readers_agree(tmp_path: Path, records: list[list[str]], newline: str) -> None:
    """Every example is read both ways and compared: the fast path must not balk here."""
    path = tmp_path / "f.csv"
    path.write_text(_csv_text(records, newline), encoding="utf-8", newline="")
    assert _read(path, fast=True) == _read(path, fast=False)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(records=records_for_fast, newline=st.sampled_from(["\r\n", "\n"]),
       block=st.integers(1, 40))
def test_the_byte_scan_streams_block_by_block_and_still_agrees(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, records: list[list[str]], newline: str,
    block: int,
) -> None:
    """The record shapes are scanned a block at a time and handed out chunk by chunk (memory
    bounded whatever the file's size): records, ragged rows and row numbers that straddle
    blocks and chunks come out exactly as the csv module reads them."""
    from csdesk.io import fastcsv

    monkeypatch.setattr(validate, "FAST_MIN_BYTES", 0)
    monkeypatch.setattr(fastcsv, "BLOCK", block)
    _assert_readers_agree(tmp_path, records, newline)


@pytest.mark.parametrize(("text", "why"), [
    ("h1,h2,h3\ra,b,c\rd,e,f\r", "bare CR line ends"),
    ("h1,h2,h3\na\rb,c,d\n", "a bare CR inside a field"),
    ("h1,h2,h3\na,b,c,d\ne,f,g\n", "a first record longer than the header"),
    ("h1,h2,h3\n" + "a,b,c\n" * CHUNK + "d,e,f,g\nh,i,j\nk,l,m\n",
     "a long record first in a chunk"),
])
def test_the_fast_path_refuses_what_it_cannot_vouch_for(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, why: str) -> None:
    """The files the property tests leave out: the fast path says so (ShapeMismatch, and the
    importer falls back to the exact reader) instead of reading them differently."""
    from csdesk.io.fastcsv import ShapeMismatch

    monkeypatch.setattr(validate, "FAST_MIN_BYTES", 0)
    path = tmp_path / "f.csv"
    path.write_text(text, encoding="utf-8", newline="")
    with pytest.raises(ShapeMismatch):
        _read(path, fast=True)
    frames, _rows, issues = _read(path, fast=False)
    assert frames, why
    if "long record" in why:
        assert [reason for _row, reason in issues] == ["row has 4 fields but the header has 3"]


def test_big_usage_file_uses_the_fast_path(db: Database, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = validate.read_frames

    def spy(info, chunk_rows=200_000, *, fast=True):  # type: ignore[no-untyped-def]
        calls.append(fast and info.size >= validate.FAST_MIN_BYTES)
        return real(info, chunk_rows, fast=fast)

    monkeypatch.setattr("csdesk.services.sync.bulk.read_frames", spy)
    with db.write() as s:
        from csdesk.models import Account

        s.add(Account(external_id="A", name="A", segment="smb", engagement_model="tech_touch"))
    lines = ["account_external_id,date,active_users"] + [
        f"A,{pd.Timestamp('2000-01-01') + pd.Timedelta(days=d):%Y-%m-%d},{d % 9}"
        for d in range(90_000)]
    lines.insert(5, "A,2000-01-01,1,EXTRA")  # ragged, and found by row number
    path = tmp_path / "usage.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_import(db, ImportRequest(path, entity="usage"))
    assert calls == [True]
    assert [(e.row, e.reason) for e in result.errors] == [
        (6, "row has 4 fields but the header has 3")]
    assert not result.written


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.binary(max_size=600))
def test_any_bytes_import_cleanly_or_fail_clearly_and_write_nothing(
    db: Database, tmp_path: Path, data: bytes,
) -> None:
    from csdesk.errors import CsdeskError
    from csdesk.services.book.info import book_info

    path = tmp_path / "x.csv"
    path.write_bytes(b"account_external_id,date,logins\n" + data)
    before = book_info(db).counts
    try:
        result = run_import(db, ImportRequest(path, entity="usage"))
        assert not result.written or result.error_count == 0
    except (ImportUsageError, CsdeskError) as exc:
        assert str(exc)
    after = book_info(db).counts
    assert after["usage_snapshots"] == before["usage_snapshots"]  # no account: nothing lands
