"""A churned account opens like any other: double-click in the book (with the Churned chip
or a name search), its page says when and why it churned, and shows the last health it had,
never a live colour. The CLI explains it too, without a traceback."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from csdesk.cli.main import main
from csdesk.config import DatabaseLocation
from csdesk.db import Database
from csdesk.models import Account
from csdesk.services.health.scoring import explain
from csdesk.services.renewals.outcomes import churn_record
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


def test_the_book_hides_churned_accounts_until_the_chip_shows_them(
        qtbot, demo_db: Database) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt

    from csdesk import clock
    from csdesk.ui.accounts_model import HEALTH, NAME
    from tests.ui.conftest import open_window

    churned_ids = {i for i, _ext in _churned(demo_db)}
    with clock.pin(AS_OF):
        window = open_window(qtbot, demo_db)
        view = window.accounts
        shown = set(view.table_model.row_ids(list(range(view.table_model.rowCount()))))
        assert shown and not shown & churned_ids  # none by default
        assert view.churned.text() == f"Churned ({len(churned_ids)})"
        qtbot.mouseClick(view.churned, Qt.MouseButton.LeftButton)
        with_churned = set(view.table_model.row_ids(list(range(view.table_model.rowCount()))))
        assert with_churned == shown | churned_ids
        assert view.count_label.text() == "250 accounts"
        # A churned row never shows a live health colour or score, and reads "Churned".
        for row in range(view.table_model.rowCount()):
            if view.table_model.account_id(row) in churned_ids:
                assert view.table_model.index(row, HEALTH).data() == "—"
                assert view.table_model.index(row, HEALTH).data(
                    Qt.ItemDataRole.DecorationRole) is None
                assert view.table_model.index(row, 3).data() == "Churned"
        qtbot.mouseClick(view.churned, Qt.MouseButton.LeftButton)
        assert set(view.table_model.row_ids(list(range(view.table_model.rowCount())))) == shown
        # A drill-down into churned accounts shows them whatever the chip says.
        some = set(sorted(churned_ids)[:5])
        window.drill(some, "churned last quarter")
        assert set(view.table_model.row_ids(list(range(view.table_model.rowCount())))) == some
        assert view.table_model.index(0, NAME).data()


def test_a_churned_accounts_renewal_cannot_be_rewritten(qtbot, demo_db: Database) -> None:  # type: ignore[no-untyped-def]
    from csdesk.errors import CsdeskError
    from csdesk.services.health.metrics import quarterly
    from csdesk.services.renewals.expansion import create_opportunity
    from csdesk.services.renewals.outcomes import log_outcome, set_forecast

    aid, _ext = _churned(demo_db)[0]
    before = [q.values for q in quarterly(demo_db, 4, "2026Q3")]
    with pytest.raises(CsdeskError, match="has churned; you cannot log a renewal outcome"):
        log_outcome(demo_db, aid, "renewed", new_arr_cents=150_000)
    with pytest.raises(CsdeskError, match="has churned; you cannot change its renewal"):
        set_forecast(demo_db, aid, likelihood=0.9)
    with pytest.raises(CsdeskError, match="has churned; you cannot add an opportunity"):
        create_opportunity(demo_db, aid, title="Upsell", kind="upsell", amount_cents=1)
    assert [q.values for q in quarterly(demo_db, 4, "2026Q3")] == before  # history kept
    page = AccountPage(demo_db, aid)
    qtbot.addWidget(page)
    pane = page.renewal
    assert not pane.forecast_button.isEnabled()
    assert not pane.outcome_button.isEnabled()
    assert not pane.opportunity_button.isEnabled()
    assert "Nothing here can be changed" in pane.summary.text()
