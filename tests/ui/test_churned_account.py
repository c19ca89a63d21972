"""A churned account opens like any other: double-click in the book (with the Churned chip
or a name search), its page says when and why it churned, and shows the last health it had,
never a live colour. The CLI explains it too, without a traceback."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from csdesk.cli import main
from csdesk.config import DatabaseLocation
from csdesk.db import Database
from csdesk.models import Account
from csdesk.services.health import explain
from csdesk.services.renewals import churn_record
from csdesk.ui.account_page import AccountPage
from tests.conftest import AS_OF


def _churned(db: Database) -> list[tuple[int, str]]:
    with db.read() as s:
        return [(a.id, a.external_id) for a in s.scalars(
            select(Account).where(Account.status == "churned").order_by(Account.id))]


def test_every_churned_account_is_explained_as_it_last_was(demo_db: Database) -> None:
    churned = _churned(demo_db)
    assert len(churned) > 20
    for account_id, external_id in churned:
        e = explain(demo_db, external_id, as_of=AS_OF)
        assert e.churned_on is not None and e.as_of == e.churned_on - timedelta(days=1)
        record = churn_record(demo_db, account_id)
        assert record is not None and record.reason


def test_a_churned_account_page_shows_why_and_its_last_health(qtbot, demo_db: Database  # type: ignore[no-untyped-def]
                                                              ) -> None:
    account_id, _external_id = _churned(demo_db)[0]
    page = AccountPage(demo_db, account_id)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitExposed(page)
    record = churn_record(demo_db, account_id)
    assert record is not None and record.churned_on is not None
    text = page.summary_label.text()
    assert text.startswith(f"Churned on {record.churned_on:%d %b %Y}: {record.reason}")
    assert "Its last health" in text
    assert page.badge.text().startswith("● churned")
    assert "green" not in page.badge.styleSheet()


def test_the_cli_explains_a_churned_account(demo_location: DatabaseLocation,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    with Database.open(demo_location) as db:
        _id, external_id = _churned(db)[0]
    assert main(["health", "--account", external_id, "--as-of", AS_OF.isoformat(),
                 "--db", str(demo_location.path)]) == 0
    out = capsys.readouterr()
    assert out.out.startswith("Churned on ") and "Traceback" not in out.err
