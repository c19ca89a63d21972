"""A churned account, found with Ctrl+K: its page says when and why it churned (the churn
record, as the renewals service keeps it) and shows its last health as history, never as a
live colour: no green, even for an account that left while it looked healthy."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel
from sqlalchemy import select

from csdesk.db import Database
from csdesk.models import Account
from csdesk.models.enums import AccountStatus
from csdesk.services.health.scoring import explain
from csdesk.services.renewals.outcomes import churn_record
from csdesk.ui.theme import BAND_COLOURS
from tests.e2e.conftest import find_account, open_window


def _churned_while_green(db: Database) -> tuple[int, str, str]:
    """A churned account whose last health was green, with a first word no other name has:
    (id, name, that word)."""
    with db.read() as s:
        accounts = s.execute(select(Account.id, Account.name, Account.external_id,
                                    Account.status).order_by(Account.name)).all()
    for account_id, name, external_id, status in accounts:
        if status != AccountStatus.CHURNED:
            continue
        word = name.split()[0]
        if sum(word.casefold() in n.casefold() for _i, n, _e, _s in accounts) != 1:
            continue
        if explain(db, external_id).band == "green":
            return account_id, name, word
    raise AssertionError("the demo book has no account that churned while green")


def _colour_of(label: QLabel) -> str:
    """The colour the label's text is painted in."""
    return label.palette().color(label.foregroundRole()).name()


def test_a_churned_account_shows_its_churn_and_no_live_health(qtbot, demo_db: Database,  # type: ignore[no-untyped-def]
                                                              screenshot) -> None:
    account_id, name, word = _churned_while_green(demo_db)
    record = churn_record(demo_db, account_id)
    assert record is not None and record.churned_on is not None and record.reason
    window = open_window(qtbot, demo_db)

    page: Any = find_account(qtbot, window, word.lower())
    assert page.title.text() == name
    assert page.subtitle.text().endswith(" · CHURNED")
    assert "no renewal pending" in page.subtitle.text()

    # When and why, from the churn record (once today's inputs are read).
    assert page.badge.text() == "● churned"  # at once: never a live colour, even briefly
    qtbot.waitUntil(lambda: page.is_complete, timeout=10_000)
    summary = page.summary_label.text()
    assert summary.startswith(f"Churned on {record.churned_on:%d %b %Y}: {record.reason}")
    assert "Its last health" in summary

    # The last health is history: said in words, greyed, never the green of a live account.
    badge = page.badge
    assert badge.text().startswith("● churned (last health ")
    # …and the health chart agrees with it: never "no score" beside a badge that gives one.
    last = float(badge.text().removeprefix("● churned (last health ").split()[0])
    chart = page.charts[0]
    assert not chart.is_empty
    plotted = [(x, y) for line in chart.figure.axes[0].get_lines()
               for x, y in zip(line.get_xdata(), line.get_ydata(), strict=True)]
    if not [s for _d, s, _b in page.facts.health if s is not None]:  # none stored: its one
        assert [round(y) for _x, y in plotted] == [round(last)]  # point is the badge's
    # Stored or computed, the chart ends on the last health the badge gives.
    assert round(max(plotted, key=lambda p: p[0])[1]) == round(last)
    green = BAND_COLOURS["green"].name()
    assert _colour_of(badge) != green
    for label in page.findChildren(QLabel):
        if label.isVisible() and label.text().startswith("●"):
            assert _colour_of(label) != green, f"{label.text()!r} is painted green"
    screenshot(window)
