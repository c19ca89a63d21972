"""Cell values: money, numbers, percentages, booleans, missing markers and dates."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from csdesk.io import values


def _s(*items: str | None) -> pd.Series:
    return values.blank_to_none(pd.Series(list(items), dtype="string"))


def test_missing_markers() -> None:
    s = _s("", " ", "NA", "n/a", "NULL", "-", "none", "x")
    assert s.isna().tolist() == [True] * 7 + [False]


@pytest.mark.parametrize(
    ("text", "decimal", "cents"),
    [
        ("$1,234.50", ".", 123450),
        ("1.234,50 €", ",", 123450),
        ("(1,234)", ".", -123400),
        ("USD 99", ".", 9900),
        ("£0.5", ".", 50),
        ("1 234,5", ",", 123450),
        ("-12.50", ".", -1250),
    ],
)
def test_money(text: str, decimal: str, cents: int) -> None:
    parsed = values.parse_money_cents(_s(text), decimal=decimal)
    assert parsed.values.iat[0] == cents
    assert not parsed.bad.iat[0]


def test_money_refuses_the_wrong_decimal_mark_instead_of_guessing() -> None:
    parsed = values.parse_money_cents(_s("1.234,50 €"), decimal=".")
    assert parsed.bad.iat[0]
    assert "','" in parsed.reason


def test_decimal_mark_detection() -> None:
    assert values.detect_decimal(_s("1.234,50", "12,5", "3")) == ","
    assert values.detect_decimal(_s("1,234.50", "12.5", "3")) == "."


def test_percent_and_int() -> None:
    pct = values.parse_percent(_s("45%", "0.45", "45", "abc"))
    assert pct.values.tolist()[:3] == [0.45, 0.45, 0.45]
    assert pct.bad.tolist() == [False, False, False, True]
    whole = values.parse_int(_s("12", "1,200", "3.5"))
    assert whole.values.tolist()[:2] == [12, 1200]
    assert whole.bad.tolist() == [False, False, True]


def test_booleans() -> None:
    parsed = values.parse_bool(_s("true", "FALSE", "yes", "No", "y", "n", "1", "0", "TRUE",
                                  "maybe"))
    assert parsed.values.tolist()[:9] == [True, False, True, False, True, False, True, False,
                                          True]
    assert parsed.bad.tolist()[-1]


def test_date_forms() -> None:
    parsed = values.parse_dates(_s("2009-07-15", "2006-06-15T20:47:07.000Z",
                                   "07/15/2009 02:14:45+0800", "2014/01/02", "20140102"), "mdy")
    assert parsed.values.tolist() == [date(2009, 7, 15), date(2006, 6, 15), date(2009, 7, 15),
                                      date(2014, 1, 2), date(2014, 1, 2)]
    assert not parsed.bad.any()


def test_a_time_zone_never_shifts_the_calendar_date() -> None:
    parsed = values.parse_dates(_s("2010-10-14T23:30:00.000-0300", "2010-10-14T00:00:00.000Z"),
                                "ymd")
    assert parsed.values.tolist() == [date(2010, 10, 14), date(2010, 10, 14)]


def test_day_month_order_is_decided_by_the_data_or_refused() -> None:
    assert values.detect_date_format(_s("31/12/2012", "02/01/2014")) == "dmy"
    assert values.detect_date_format(_s("12/31/2012", "02/01/2014")) == "mdy"
    assert values.detect_date_format(_s("2012-12-31")) == "ymd"
    assert values.detect_date_format(_s("02/01/2014", "03/04/2014")) is None  # ambiguous
    assert values.detect_date_format(_s("31/12/2012", "12/31/2012")) is None  # contradictory
    rows = pd.Series([2, 3])
    examples = values.ambiguous_examples(_s("02/01/2014", "03/04/2014"), rows)
    assert examples == [(2, "02/01/2014"), (3, "03/04/2014")]


def test_agreeing_dates_do_not_decide_the_order_for_the_others() -> None:
    """01/01/2014 reads the same either way, so it says nothing about 02/03/2014: the column
    is ambiguous (the user chooses), not day-first. Only a column where *every* date has
    day == month is read without asking (both readings give the same dates)."""
    column = _s("01/01/2014", "02/03/2014")
    assert values.detect_date_format(column) is None
    assert values.ambiguous_examples(column, pd.Series([2, 3])) == [(3, "02/03/2014")]
    assert values.parse_dates(column, "mdy").values.tolist() == [date(2014, 1, 1), date(2014, 2, 3)]
    assert values.parse_dates(column, "dmy").values.tolist() == [date(2014, 1, 1), date(2014, 3, 2)]
    agreeing = _s("01/01/2014", "02/02/2014", None, "12/12/2015")
    fmt = values.detect_date_format(agreeing)
    assert fmt == "dmy"
    assert values.parse_dates(agreeing, fmt).values.tolist() == [
        date(2014, 1, 1), date(2014, 2, 2), None, date(2015, 12, 12)]


def test_bad_dates_are_flagged_not_guessed() -> None:
    parsed = values.parse_dates(_s("31/02/2014", "2009\\7\\14 22:14:45", "soon"), "dmy")
    assert parsed.bad.tolist() == [True, True, True]


def test_decimal_votes_tell_the_mark_or_say_they_cannot() -> None:
    votes = values.decimal_votes
    assert votes(_s("1.234,50", "12,5", "0,125", "1234,567"))[:2] == (4, 0)
    assert votes(_s("1,234.50", "1,234,567", "0.125", "$3.5"))[:2] == (0, 4)
    comma, dot, first = votes(_s("12", None, "1.234", "1,500"))
    assert (comma, dot, first) == (0, 0, 2)  # each reads both ways: the first is named
    assert votes(_s("1.234"), whole_cents=True)[:2] == (1, 0)  # money: 1.23 cannot be meant
    assert votes(_s("$130,000"), whole_cents=True)[:2] == (0, 1)
