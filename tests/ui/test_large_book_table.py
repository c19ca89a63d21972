"""A large book's table is shown before its renewals are read, then filled in from the one
pipeline: the same rows as a table read in one go, and the selection kept."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QItemSelectionModel

from csdesk.db import Database
from csdesk.services.book import accounts
from csdesk.services.plans.handoff import incomplete_onboarding
from csdesk.ui.accounts_model import ARR, DAYS, HEALTH, LAST_TOUCH, NAME, RENEWAL, TASKS, TRACK


def test_the_table_first_and_its_renewals_after(qtbot, demo_db: Database, pinned_today,  # type: ignore[no-untyped-def]
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "LARGE_BOOK", 1)  # the demo book counts as a large one
    from csdesk.ui.main_window import MainWindow

    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    model = window.accounts.table_model
    seen: list[tuple[bool, bool, set[str]]] = []  # each table as it was shown

    def shown(_count: int) -> None:
        cells = {model.index(0, c).data() for c in (HEALTH, ARR, LAST_TOUCH, TASKS)}
        seen.append((model.figures_pending, model.renewals_pending, cells))
        if model.figures_pending:  # names only: every figure says it is coming
            assert model.index(0, NAME).data() == window.table.rows[0][2]
            assert cells == {"…"} and "figures" in model.index(0, HEALTH).data(3)
        if model.renewals_pending:
            assert {model.index(0, c).data() for c in (RENEWAL, DAYS, TRACK)} == {"…"}
            assert "renewals" in model.index(0, RENEWAL).data(3)

    window.book_loaded.connect(shown)
    with qtbot.waitSignal(window.book_loaded, timeout=20_000):
        window.refresh()
    window.show()
    first = model.index(0, RENEWAL)
    # The CSM picks an account while the rest is read; it stays picked after.
    view = window.accounts.table
    view.selectionModel().select(first, QItemSelectionModel.SelectionFlag.ClearAndSelect
                                 | QItemSelectionModel.SelectionFlag.Rows)
    picked = window.accounts.selected_ids()
    # (the playbook run that follows a load may add tasks, and the book reloads once more)
    qtbot.waitUntil(lambda: not window.runner.busy and not model.renewals_pending
                    and not model.figures_pending, timeout=30_000)
    # Names first, then the figures with the renewals still to come, then everything (a
    # reload after the playbook run may repeat the steps).
    steps = [(f, r) for f, r, _cells in seen]
    assert steps[0] == (True, True) and steps[-1] == (False, False), steps
    figures = steps.index((False, True))
    assert "…" not in seen[figures][2]
    assert (False, False) in steps[figures:]
    assert window.accounts.incomplete_handoffs == incomplete_onboarding(demo_db)
    whole = accounts.account_table(demo_db)
    assert window.table.rows == whole.rows  # the same answer as the table read in one go
    assert window.accounts.selected_ids() == picked
    dates = {model.index(r, RENEWAL).data() for r in range(model.rowCount())}
    assert "…" not in dates and any(d not in ("—", "") for d in dates)


def test_with_renewals_fills_what_account_table_leaves(demo_db: Database, pinned_today  # type: ignore[no-untyped-def]
                                                       ) -> None:
    part = accounts.account_table(demo_db, renewals=False)
    assert part.renewals_pending
    i = part.index("renewal_date")
    assert all(r[i] is None for r in part.rows)
    full = accounts.with_renewals(demo_db, part)
    assert not full.renewals_pending
    assert full.rows == accounts.account_table(demo_db).rows
    assert sum(r[i] is not None for r in full.rows) > 0
