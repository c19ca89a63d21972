"""A churned account's page does not contradict itself: its Stage reads churned (not the
Renewal stage it had), a champion who left scores nothing for their old sentiment and the
breakdown says why, the last proactive touch is dated against the churn, and at 1200×800
the health chart's date axis is on screen whole."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtWidgets import QScrollArea
from sqlalchemy import func, select, update

from csdesk.db import Database
from csdesk.models import Account, Activity, Contact
from csdesk.models.enums import AccountStatus, LifecycleStage, Sentiment
from csdesk.services.book import account_detail
from tests.ui.conftest import show_account_page

NAME = "AT&T <Legacy> 日本"


def _churned_with_a_departed_champion(db: Database) -> tuple[int, object]:
    with db.write() as s:
        acc = s.scalars(select(Account).where(Account.status == AccountStatus.CHURNED)
                        .order_by(Account.id)).first()
        assert acc is not None and acc.churned_on is not None
        acc.name, acc.lifecycle_stage = NAME, LifecycleStage.RENEWAL
        churned_on = acc.churned_on
        s.execute(update(Contact).where(Contact.account_id == acc.id)
                  .values(is_champion=False))
        s.add(Contact(account_id=acc.id, name="Dana Departed", is_champion=True,
                      sentiment=Sentiment.POSITIVE,
                      sentiment_on=churned_on - timedelta(days=120),
                      left_company=True, left_on=churned_on - timedelta(days=60)))
        s.add(Activity(account_id=acc.id, kind="call", proactive=True, summary="Check-in",
                       occurred_on=churned_on - timedelta(days=313)))
        s.execute(update(Activity).where(
            Activity.account_id == acc.id, Activity.proactive.is_(True),
            Activity.occurred_on > churned_on - timedelta(days=313)).values(proactive=False))
        return acc.id, churned_on


def test_a_churned_accounts_page_agrees_with_itself(qtbot, demo_db: Database) -> None:  # type: ignore[no-untyped-def]
    account_id, churned_on = _churned_with_a_departed_champion(demo_db)
    page = show_account_page(qtbot, demo_db, account_id, (1200, 800))
    qtbot.waitUntil(lambda: page.is_complete, timeout=20_000)
    assert page.title.text() == NAME
    # (a) the Stage reads as the account stands: churned, from the one service function
    header = account_detail.account_facts(demo_db, account_id).header
    assert page.stage.currentText() == account_detail.standing(header)
    assert page.stage.currentText() == f"Churned on {churned_on:%d %b %Y}"
    assert not page.stage.isEnabled()
    # (b) the departed champion's sentiment scores nothing, and the line says why
    lines = {line.name: line for line in page.explanation.lines}
    sentiment = lines["csm_sentiment"]
    assert sentiment.value == 0 and not sentiment.points
    assert "champion has left" in sentiment.detail and "positive" in sentiment.detail
    # (c) the last proactive touch is counted to the churn, with its days named
    touch = lines["days_since_proactive_touch"].detail
    touched = churned_on - timedelta(days=313)
    assert (f"313 days before it churned ({churned_on:%d %b %Y}), on {touched:%d %b %Y}"
            in touch)
    # (d) the health chart, date axis included, is on screen at 1200×800
    chart = page.charts[0]
    area = chart.parentWidget()
    while not isinstance(area, QScrollArea):  # the overview's scroll area
        area = area.parentWidget()
    area = area.viewport()
    bottom = area.mapFromGlobal(chart.mapToGlobal(chart.rect().bottomLeft())).y()
    assert 0 < bottom <= area.height()
    chart.canvas.draw()
    renderer = chart.figure.canvas.get_renderer()
    for ax in chart.figure.axes:
        for label in ax.get_xticklabels():
            if label.get_text():
                assert label.get_window_extent(renderer).y0 >= 0, label.get_text()


def test_the_health_chart_ends_on_the_last_health_the_header_gives(
        qtbot, demo_db: Database) -> None:  # type: ignore[no-untyped-def]
    """Scores stored until a month before the churn: the chart goes on to the last health
    the header quotes (computed the day before the churn), never stopping at an older one."""
    from csdesk.models import HealthSnapshot

    with demo_db.write() as s:
        acc = next(a for a, first in s.execute(
            select(Account, func.min(HealthSnapshot.as_of))
            .join(HealthSnapshot, HealthSnapshot.account_id == Account.id)
            .where(Account.status == AccountStatus.CHURNED)
            .group_by(Account.id).order_by(Account.id)).all()
            if a.churned_on is not None and first < a.churned_on - timedelta(days=30))
        account_id, churned_on = acc.id, acc.churned_on
        s.execute(HealthSnapshot.__table__.delete().where(
            HealthSnapshot.account_id == account_id,
            HealthSnapshot.as_of > churned_on - timedelta(days=30)))
        stored = s.scalars(select(HealthSnapshot.as_of).where(
            HealthSnapshot.account_id == account_id)).all()
    assert stored
    page = show_account_page(qtbot, demo_db, account_id, (1200, 800))
    qtbot.waitUntil(lambda: page.is_complete, timeout=20_000)
    e = page.explanation
    assert e is not None and e.score is not None and e.as_of > max(stored)
    ax = page.charts[0].figure.axes[0]
    points = [(x, y) for line in ax.get_lines()
              for x, y in zip(line.get_xdata(), line.get_ydata(), strict=True)]
    end_x, end_y = max(points, key=lambda p: p[0])
    assert end_x == e.as_of and round(end_y) == round(e.score)
    assert f"computed for {e.as_of:%d %b %Y}" in ax.get_legend().get_texts()[0].get_text()
