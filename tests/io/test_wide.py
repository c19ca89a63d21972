"""Wide usage exports (one column per date): detection, the header's dates, the long rows."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from csdesk.io import wide
from csdesk.io.reader import inspect_csv


@pytest.mark.parametrize(("text", "day"), [
    ("2026-10-05", date(2026, 10, 5)), ("2026-10-05T00:00:00", date(2026, 10, 5)),
    ("2026-10-05 00:00:00", date(2026, 10, 5)), ("2026-10-05T00:00:00-07:00", date(2026, 10, 5)),
    ("2026-10-05T00:00:00Z", date(2026, 10, 5)), ("Oct 5, 2026", date(2026, 10, 5)),
    ("October 5, 2026", date(2026, 10, 5)), ("\tOct 5, 2026", date(2026, 10, 5)),
    ("Oct 5, 2026, 12:00 AM", date(2026, 10, 5)), ("5 Oct 2026", date(2026, 10, 5)),
    ("2026-02-30", None), ("Account ID", None), ("Total", None), ("10/05/2026", None),
    ("", None),
])
def test_a_header_names_a_day(text: str, day: date | None) -> None:
    assert wide.header_date(text) == day


def _write(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


def _long(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def test_a_long_usage_file_or_an_accounts_file_is_not_wide(tmp_path: Path) -> None:
    for rows in ([["account_external_id", "date", "active_users"], ["A", "2026-10-05", "3"]],
                 [["Account ID", "Account Name"], ["A", "Acme"]],
                 [["2026-10-05", "2026-10-12"], ["3", "4"]],  # no segment column
                 [["account", "2026-10-05", "Region"], ["A", "1", "EU"]],
                 [["account", "2026-10-05", "Region", "2026-10-12"], ["A", "1", "EU", "2"]]):
        info = inspect_csv(_write(tmp_path / "f.csv", rows))
        assert wide.detect(info) is None, rows


def test_one_day_is_wide_when_it_is_the_last_column(tmp_path: Path) -> None:
    info = inspect_csv(_write(tmp_path / "f.csv", [["$group_id", "Oct 5, 2026"], ["A", "3"]]))
    layout = wide.detect(info)
    assert layout is not None and [d for _i, _t, d in layout.dates] == [date(2026, 10, 5)]


def test_a_mixpanel_wide_file_becomes_one_row_per_account_and_date(tmp_path: Path) -> None:
    path = _write(tmp_path / "mixpanel.csv", [
        ["event", "$group_id", "Oct 5, 2026", "Oct 12, 2026", "Oct 19, 2026", "Average"],
        ["Login [Unique Users]", "$overall", "30", "31", "32", "31"],
        ["Login [Unique Users]", "ACC-1", "10", "", "12", "11"],
        ["Login [Unique Users]", "acme.com", "", "", "", ""],
        ["Login [Unique Users]", "Globex GmbH", "0", "4", " ", "2"],
    ])
    layout = wide.detect(inspect_csv(path))
    assert layout is not None
    assert (layout.header_row, layout.segment_columns, layout.account_column) == (1, [0, 1], 1)
    assert [d for _i, _t, d in layout.dates] == [date(2026, 10, 5), date(2026, 10, 12),
                                                date(2026, 10, 19)]
    assert layout.ignored == ["Average"] and layout.measure_hint == "active_users"
    long = wide.to_long(inspect_csv(path), layout)
    # Empty cells are no row; a 0 is a row; the chart's own total is no account.
    assert _long(long.info.path) == [
        ["$group_id", "date", "value"],
        ["ACC-1", "2026-10-05", "10"], ["ACC-1", "2026-10-19", "12"],
        ["Globex GmbH", "2026-10-05", "0"], ["Globex GmbH", "2026-10-12", "4"]]
    assert (long.rows, long.cells, long.totals_left_out) == (4, 4, 1)
    # Each long row says where it came from: the file's row and date column.
    assert long.where(2, "value") == (3, "Oct 5, 2026")
    assert long.where(5, "$group_id") == (5, "$group_id")
    assert long.where(5, "value") == (5, "Oct 12, 2026")
    assert wide.origin(long.info) is long
    assert wide.to_long(inspect_csv(path), layout) is long  # written once per file version


def test_an_amplitude_chart_with_a_title_above_its_table(tmp_path: Path) -> None:
    path = tmp_path / "amplitude.csv"
    path.write_text('"Key events: Total events, by company"\n'
                    '"Oct 5, 2026 – Oct 12, 2026"\n\n'
                    '"Segment","company","2026-10-05","2026-10-12"\n'
                    '"All Users","\tAcme, Inc.","\t7","\t9"\n'
                    '"All Users","Initech","","3"\n', encoding="utf-8")
    info = inspect_csv(path)
    layout = wide.detect(info)
    assert layout is not None and layout.header_row == 4
    assert layout.preamble == ["Key events: Total events, by company",
                               "Oct 5, 2026 – Oct 12, 2026"]
    assert layout.header[layout.account_column] == "company"
    assert layout.measure_hint == "key_events"  # a total of events, not unique users
    long = wide.to_long(info, layout)
    assert _long(long.info.path)[1:] == [["Acme, Inc.", "2026-10-05", "7"],
                                         ["Acme, Inc.", "2026-10-12", "9"],
                                         ["Initech", "2026-10-12", "3"]]
    assert long.where(4, "value") == (6, "2026-10-12")
    assert dict(wide.source_records(long, {6})) == {6: ["All Users", "Initech", "", "3"]}
