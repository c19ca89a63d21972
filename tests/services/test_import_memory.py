"""The large imports keep their results while holding only bounded state across chunks:
duplicate keys anywhere in the file, and feature-event totals that never double count."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from csdesk.db import Database
from csdesk.models import UsageSnapshot
from csdesk.services import importer
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
    mp.setattr(importer, "SEEN_RUN_CAP", cap)
    try:
        rows = list(range(base, base + len(keys)))
        seen: dict[str, object] = {}
        got = {}
        for s in range(0, len(keys), chunk):
            part = np.array(keys[s:s + chunk], dtype=np.int64)
            part_rows = pd.Series(rows[s:s + chunk], dtype="int64")
            found = importer.seen_before(part, part_rows, seen)  # type: ignore[arg-type]
            assert [at for at, _ in found] == sorted(at for at, _ in found)
            got.update({rows[s + at]: first for at, first in found})
        assert got == _reference(keys, rows)
    finally:
        mp.undo()


def test_a_usage_key_repeated_chunks_later_is_reported(db: Database, tmp_path, monkeypatch,
                                                       ) -> None:
    """The repeat sits three chunks (and merged runs) after its first row."""
    _imp(db, write(tmp_path / "a.csv", ACCOUNTS), entity="accounts")
    monkeypatch.setattr("csdesk.services.import_bulk.CHUNK_ROWS", 3)
    monkeypatch.setattr(importer, "SEEN_RUN_CAP", 4)
    rows = [USAGE_HEADER] + [["A-001", f"2025-{m:02d}-01", "1", "2", "3"] for m in range(1, 13)]
    rows.insert(11, ["A-001", "2025-02-01", "7", "2", "3"])  # row 12 repeats row 3
    result = _imp(db, write(tmp_path / "u.csv", rows), entity="usage")
    assert [(e.row, e.reason) for e in result.errors] == [
        (12, "the same account and date as row 3")]
    assert result.error_records[12] == ["A-001", "2025-02-01", "7", "2", "3"]
    assert not result.written and _count(db, UsageSnapshot) == 0
