"""csdesk's limits on a CSV file (2,000 columns, 10 MB a field), checked before parsing."""

from __future__ import annotations

from pathlib import Path

import pytest

from csdesk.errors import CsvReadError
from csdesk.io import limits
from csdesk.io.limits import TooWide, check_limits
from csdesk.io.reader import inspect_csv, iter_chunks


def _check(path: Path, **kw: object) -> None:
    check_limits(str(path), str(kw.pop("encoding", "utf-8")), ",", **kw)  # type: ignore[arg-type]


def test_columns_up_to_the_limit_pass_and_one_more_is_refused(tmp_path: Path) -> None:
    ok = tmp_path / "ok.csv"
    ok.write_text(",".join(["a"] * 5) + "\r\n" + '"x,y",' * 4 + "z\r\n", encoding="utf-8")
    _check(ok, max_columns=5)  # the quoted comma is no delimiter
    wide = tmp_path / "wide.csv"
    wide.write_text("a,b\n1,2\n\n" + ",".join(["1"] * 6) + "\n", encoding="utf-8")
    with pytest.raises(TooWide) as refused:
        _check(wide, max_columns=5)
    assert refused.value.row == 4  # the blank line is a row too, as the reader counts it
    assert refused.value.reason == "has more than 5 columns; csdesk reads at most 5"


def test_a_field_past_the_limit_is_found_across_blocks(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "BLOCK", 7)  # every record spans several blocks
    path = tmp_path / "f.csv"
    path.write_text('a,b\n1,"' + "x" * 30 + '"\n2,"' + "y\n" * 15 + '"\n', encoding="utf-8")
    _check(path, max_field=32)  # 30 characters and two quotes; the quoted breaks are text
    with pytest.raises(TooWide) as refused:
        _check(path, max_field=31)
    assert refused.value.row == 2
    unclosed = tmp_path / "u.csv"  # the rest of the file in one field
    unclosed.write_text('a,b\n1,2\n3,"' + "z" * 40, encoding="utf-8")
    with pytest.raises(TooWide) as refused:
        _check(unclosed, max_field=31)
    assert refused.value.row == 3


def test_wide_encodings_are_checked_in_characters(tmp_path: Path) -> None:
    path = tmp_path / "u16.csv"
    path.write_text("a,b,c\n1,2,3,4\n", encoding="utf-16")
    with pytest.raises(TooWide) as refused:
        _check(path, encoding="utf-16", max_columns=3)
    assert refused.value.row == 2


def test_only_the_header_is_checked_when_inspecting(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("\n\nid,name\n" + ",".join(["1"] * 9) + "\n", encoding="utf-8")
    _check(path, max_columns=3, first_record_only=True)
    with pytest.raises(TooWide):
        _check(path, max_columns=3)


def test_the_reader_refuses_before_parsing(tmp_path: Path) -> None:
    wide = tmp_path / "wide.csv"
    wide.write_text(",".join(f"c{i}" for i in range(2_001)) + "\n", encoding="utf-8")
    with pytest.raises(CsvReadError, match=r"^row 1: has more than 2,000 columns; csdesk "
                                           r"reads at most 2,000$"):
        inspect_csv(wide)
    big = tmp_path / "big.csv"
    big.write_text("id,notes\n1,short\n2," + "x" * (limits.MAX_FIELD + 1) + "\n",
                   encoding="utf-8")
    info = inspect_csv(big)  # the header is fine
    with pytest.raises(CsvReadError, match=r"^row 3: a field is longer than 10 MB"):
        next(iter_chunks(info))
