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
from csdesk.io import validate
from csdesk.io.reader import inspect_csv
from csdesk.services.importer import ImportRequest, ImportUsageError, run_import

cell = st.text(alphabet=st.sampled_from(list('ab,;"\n\r é日 ')), max_size=6)
record = st.lists(cell, min_size=1, max_size=5)


def _read(path: Path, fast: bool) -> tuple[list[list[str]], list[int], list[tuple]]:
    info = inspect_csv(path)
    frames, rows, issues = [], [], []
    for chunk in validate.read_frames(info, 7, fast=fast):
        frames += chunk.frame.astype(str).values.tolist()
        rows += chunk.rows.tolist()
        issues += [(e.row, e.reason) for e in chunk.issues]
    return frames, rows, issues


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(records=st.lists(record, min_size=1, max_size=25),
       newline=st.sampled_from(["\r\n", "\n", "\r"]))
def test_fast_and_exact_readers_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      records: list[list[str]], newline: str) -> None:
    monkeypatch.setattr(validate, "FAST_MIN_BYTES", 0)
    _assert_readers_agree(tmp_path, records, newline)


def _assert_readers_agree(tmp_path: Path, records: list[list[str]], newline: str) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator=newline)
    writer.writerow(["h1", "h2", "h3"])
    writer.writerows(records)
    path = tmp_path / "f.csv"
    path.write_text(buf.getvalue(), encoding="utf-8", newline="")
    from csdesk.io.fastcsv import ShapeMismatch

    exact = _read(path, fast=False)
    try:
        fast = _read(path, fast=True)
    except ShapeMismatch:
        return  # the importer then falls back to the exact reader: allowed, never wrong
    assert fast == exact


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(records=st.lists(record, min_size=1, max_size=40),
       newline=st.sampled_from(["\r\n", "\n"]), block=st.integers(1, 40))
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


def test_big_usage_file_uses_the_fast_path(db: Database, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = validate.read_frames

    def spy(info, chunk_rows=200_000, *, fast=True):  # type: ignore[no-untyped-def]
        calls.append(fast and info.size >= validate.FAST_MIN_BYTES)
        return real(info, chunk_rows, fast=fast)

    monkeypatch.setattr("csdesk.services.import_bulk.read_frames", spy)
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
    from csdesk.services.book import book_info

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
