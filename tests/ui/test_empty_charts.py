"""Charts with no data say so ("No data yet"), never a made-up scale; an unknown NRR/GRR is
a gap in the line, not 0 %; counts have whole-number axes."""

from __future__ import annotations

import math
from dataclasses import replace

from csdesk import clock
from csdesk.db import Database
from csdesk.services.book.accounts import account_table
from csdesk.services.health.metrics import quarterly
from csdesk.ui.account_page import AccountPage
from csdesk.ui.portfolio_view import PortfolioView
from tests.conftest import AS_OF
from tests.ui.conftest import new_account


def _new_account(db: Database) -> int:
    return new_account(db, "AT&T <Legacy> 日本 New", "NEW-9")


def _texts(chart) -> list[str]:  # type: ignore[no-untyped-def]
    return [t.get_text() for ax in chart.figure.axes for t in ax.texts]


def test_a_new_account_page_says_no_data_yet(qtbot, db: Database) -> None:  # type: ignore[no-untyped-def]
    account_id = _new_account(db)
    with clock.pin(AS_OF):
        page = AccountPage(db, account_id)
        qtbot.addWidget(page)
    assert len(page.charts) == 4
    for chart in page.charts:
        assert chart.is_empty, chart.title
        assert _texts(chart) == ["No data yet"], chart.title
        assert all(not ax.axison for ax in chart.figure.axes), chart.title  # no fake axes


def test_unknown_retention_is_a_gap_and_an_empty_book_says_so(qtbot, db: Database) -> None:  # type: ignore[no-untyped-def]
    _new_account(db)
    with clock.pin(AS_OF):
        table = account_table(db, as_of=AS_OF)
        quarters = quarterly(db, 4)
    assert all(q.values["nrr"] is None for q in quarters)  # no quarter began with ARR
    view = PortfolioView()
    qtbot.addWidget(view)
    view.show_book(table, quarters, None)
    seg, dist, nrr = view.charts
    assert nrr.is_empty and _texts(nrr)[0].startswith("No retention yet")
    assert dist.is_empty and _texts(dist) == ["No health scores yet"]
    assert not seg.is_empty  # it has ARR
    # Some quarters known, one not: the unknown one is a gap (NaN), never 0 %.
    known = replace(quarters[-2], values={**quarters[-2].values, "nrr": 1.05, "grr": 0.9})
    gap = replace(quarters[-1], values={**quarters[-1].values, "nrr": None, "grr": None})
    view.show_book(table, [known, gap], None)
    lines = view.charts[2].figure.axes[0].get_lines()
    nrr_line = next(line for line in lines if line.get_label() == "NRR")
    ys = list(nrr_line.get_ydata())
    assert math.isclose(ys[0], 105.0) and math.isnan(ys[1])
