"""An account page keeps the window at the width the CSM gave it: a long name, a churned
badge and the buttons never squeeze the owner field nor push the window past 1200 px."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from csdesk.db import Database
from csdesk.models import Account
from csdesk.models.enums import AccountStatus
from tests.ui.conftest import open_window


def test_long_named_and_churned_pages_fit_1200_px_with_the_owner_whole(
        qtbot: Any, demo_db: Database) -> None:
    with demo_db.write() as s:
        churned = s.scalars(select(Account).where(
            Account.status == AccountStatus.CHURNED).order_by(Account.id)).first()
        assert churned is not None
        churned.name = "AT&T <Legacy> 日本 Holdings International"
        churned.owner = "Maximilian Oppenheimer-Müller"
        account_id = churned.id
    window = open_window(qtbot, demo_db)
    window.resize(1200, 800)
    page = window.open_account(account_id)
    qtbot.waitUntil(lambda: page.is_complete, timeout=20_000)
    qtbot.wait(50)
    assert page.badge.text().startswith("● churned")
    assert window.width() == 1200  # the page asks for no more than it was given
    assert window.minimumSizeHint().width() <= 1200
    owner = page.owner
    # the owner reads whole: "Maximilian Oppenheimer-Müller", not "üller"
    assert owner.width() >= owner.fontMetrics().horizontalAdvance("M" * 12)
    assert owner.text() == "Maximilian Oppenheimer-Müller"
    for button in (page.report_button, page.history_button, page.qbr_button,
                   page.requests_button):
        assert button.isVisible() and button.width() >= button.sizeHint().width()
