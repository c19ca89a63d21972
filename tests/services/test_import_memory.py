"""The large imports keep their results while holding only bounded state across chunks:
duplicate keys anywhere in the file, and feature-event totals that never double count."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from csdesk.db import Database
from csdesk.models import FeatureUsage, UsageSnapshot
from csdesk.services.sync import results
from tests.services.test_import import ACCOUNTS, USAGE_HEADER, _count, _imp, write


def _reference(keys: list[int], rows: list[int]) -> dict[int, int]:
    """Row -> first row of its key, for every row whose key came before (brute force)."""
    first: dict[int, int] = {}
    out = {}
    for k, r in zip(keys, rows, strict=True):
        if k in first:
            out[r] = first[k]
        else:
            first[k] = r
    return out


@settings(max_examples=200, deadline=None)
@given(keys=st.lists(st.integers(-5, 60), max_size=200), chunk=st.integers(1, 30),
       cap=st.integers(1, 80), base=st.sampled_from([2, 5_000_000_000]))
def test_seen_before_finds_every_repeat_across_chunks(keys: list[int], chunk: int, cap: int,
                                                      base: int) -> None:
    """Runs merged or not (the cap), rows beyond 32 bits or not: every repeated key is
    reported, in its chunk, with the row the key first appeared on."""
    mp = pytest.MonkeyPatch()
    mp.setattr(results, "SEEN_RUN_CAP", cap)
    try:
        rows = list(range(base, base + len(keys)))
        seen: dict[str, object] = {}
        got = {}
        for s in range(0, len(keys), chunk):
            part = np.array(keys[s:s + chunk], dtype=np.int64)
            part_rows = pd.Series(rows[s:s + chunk], dtype="int64")
            found = results.seen_before(part, part_rows, seen)  # type: ignore[arg-type]
            assert [at for at, _ in found] == sorted(at for at, _ in found)
            got.update({rows[s + at]: first for at, first in found})
        assert got == _reference(keys, rows)
    finally:
        mp.undo()


def test_a_usage_key_repeated_chunks_later_is_reported(db: Database, tmp_path, monkeypatch,
                                                       ) -> None:
    """The repeat sits three chunks (and merged runs) after its first row."""
    _imp(db, write(tmp_path / "a.csv", ACCOUNTS), entity="accounts")
    monkeypatch.setattr("csdesk.services.sync.bulk.CHUNK_ROWS", 3)
    monkeypatch.setattr(results, "SEEN_RUN_CAP", 4)
    rows = [USAGE_HEADER] + [["A-001", f"2025-{m:02d}-01", "1", "2", "3"] for m in range(1, 13)]
    rows.insert(11, ["A-001", "2025-02-01", "7", "2", "3"])  # row 12 repeats row 3
    result = _imp(db, write(tmp_path / "u.csv", rows), entity="usage")
    assert [(e.row, e.reason) for e in result.errors] == [
        (12, "the same account and date as row 3")]
    assert result.error_records[12] == ["A-001", "2025-02-01", "7", "2", "3"]
    assert not result.written and _count(db, UsageSnapshot) == 0


def _feature_rows(db: Database) -> list[tuple[object, ...]]:
    with db.read() as s:
        return [tuple(r) for r in s.execute(select(
            FeatureUsage.id, FeatureUsage.account_id, FeatureUsage.date, FeatureUsage.feature,
            FeatureUsage.usage_count, FeatureUsage.duration_seconds, FeatureUsage.errors,
        ).order_by(FeatureUsage.id))]


@pytest.mark.parametrize("chunk", [2, 3, 1000])
def test_feature_event_totals_span_chunks_and_never_double_count(
    db: Database, tmp_path, monkeypatch, chunk: int,
) -> None:
    """Events of one key scattered over many chunks (and over the staged batches) sum to
    the whole file's totals; importing the file again changes nothing."""
    _imp(db, write(tmp_path / "a.csv", ACCOUNTS), entity="accounts")
    monkeypatch.setattr("csdesk.services.sync.bulk.CHUNK_ROWS", chunk)
    header = ["account_external_id", "date", "feature", "usage_count", "duration_seconds",
              "errors"]
    events = []
    for i in range(30):
        acc = ("A-002", "A-001")[i % 2]
        feature = ("Reports", "API", "Ärger")[i % 3]
        count = "" if i % 7 == 0 else str(i)
        duration = "" if i % 5 == 0 or feature == "API" else f"{i * 0.1:.1f}"
        events.append([acc, f"2026-05-0{1 + i % 2}", feature, count, duration,
                       str(i % 4) if i % 3 else ""])
    path = write(tmp_path / "events.csv", [header, *events])
    first = _imp(db, path, entity="feature_events")
    frame = pd.DataFrame(events, columns=header)
    frame["n"] = pd.to_numeric(frame["usage_count"]).fillna(1)
    frame["d"] = pd.to_numeric(frame["duration_seconds"])
    frame["e"] = pd.to_numeric(frame["errors"]).fillna(0)
    want = frame.groupby(["account_external_id", "date", "feature"]).agg(
        n=("n", "sum"), d=("d", lambda v: v.sum(min_count=1)), e=("e", "sum"))
    assert (first.inserted, first.updated, first.unchanged) == (len(want), 0, 0)
    rows = _feature_rows(db)
    ext = {1: "A-001", 2: "A-002"}
    got = {(ext[a], d.isoformat(), f): (n, dur, e) for _, a, d, f, n, dur, e in rows}
    assert got.keys() == {k for k in want.index}
    for k, (n, d, e) in want.iterrows():
        assert got[k][0] == n and got[k][2] == e
        assert (got[k][1] is None) if pd.isna(d) else got[k][1] == pytest.approx(d)
    # Written in key order, as one pass over the whole file wrote them.
    assert [r[1:4] for r in rows] == sorted(r[1:4] for r in rows)
    again = _imp(db, path, entity="feature_events")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, len(want))
    assert _feature_rows(db) == rows


def test_feature_events_with_an_error_write_nothing_and_leave_no_file(
    db: Database, tmp_path, monkeypatch,
) -> None:
    import tempfile

    _imp(db, write(tmp_path / "a.csv", ACCOUNTS), entity="accounts")
    monkeypatch.setattr("csdesk.services.sync.bulk.CHUNK_ROWS", 2)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    rows = [["account_external_id", "date", "feature", "usage_count"]]
    rows += [["A-001", "2026-05-01", "Reports", "1"]] * 5 + [["A-001", "2026-05-01", "API", "-1"]]
    result = _imp(db, write(tmp_path / "e.csv", rows), entity="feature_events")
    assert [e.row for e in result.errors] == [7] and not result.written
    assert _count(db, FeatureUsage) == 0
    assert not list(tmp_path.glob("csdesk-events-*"))
