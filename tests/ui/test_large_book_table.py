"""A large book's table is shown before its renewals are read, then filled in from the one
pipeline: the same rows as a table read in one go, and the selection kept."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QItemSelectionModel

from csdesk.db import Database
from csdesk.services.book import accounts
from csdesk.services.plans.handoff import incomplete_onboarding
from csdesk.ui.accounts_model import ARR, DAYS, HEALTH, LAST_TOUCH, NAME, RENEWAL, TASKS, TRACK
from tests.ui.conftest import open_window


def test_the_table_first_and_its_renewals_after(qtbot, demo_db: Database, pinned_today,  # type: ignore[no-untyped-def]
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "LARGE_BOOK", 1)  # the demo book counts as a large one
    window = open_window(qtbot, demo_db)
    model = window.accounts.table_model
    # First the names alone: every figure says it is coming, none pretends to be empty.
    assert model.figures_pending and model.renewals_pending
    first = model.index(0, RENEWAL)
    assert model.index(0, NAME).data() == window.table.rows[0][2]
    assert {model.index(0, c).data() for c in (HEALTH, ARR, LAST_TOUCH, TASKS)} == {"…"}
    assert "figures" in model.index(0, HEALTH).data(3)  # its tooltip says why
    # Then the figures, the renewals still to come.
    qtbot.waitUntil(lambda: not model.figures_pending, timeout=20_000)
    assert model.renewals_pending, "the table came with its renewals: nothing was shown first"
    assert {model.index(0, c).data() for c in (RENEWAL, DAYS, TRACK)} == {"…"}
    assert "renewals" in model.index(0, RENEWAL).data(3)
    assert model.index(0, ARR).data() != "…"
    assert window.accounts.incomplete_handoffs == \
        incomplete_onboarding(demo_db)
    # The CSM picks an account while the renewals are read; it stays picked after.
    view = window.accounts.table
    view.selectionModel().select(first, QItemSelectionModel.SelectionFlag.ClearAndSelect
                                 | QItemSelectionModel.SelectionFlag.Rows)
    picked = window.accounts.selected_ids()
    qtbot.waitUntil(lambda: not model.renewals_pending, timeout=20_000)
    # (the playbook run that follows a load may add tasks, and the book reloads once more)
    qtbot.waitUntil(lambda: not window.runner.busy and not model.renewals_pending,
                    timeout=30_000)
    whole = accounts.account_table(demo_db)
    assert window.table.rows == whole.rows  # the same answer as the table read in one go
    assert window.accounts.selected_ids() == picked
    shown = {model.index(r, RENEWAL).data() for r in range(model.rowCount())}
    assert "…" not in shown and any(s not in ("—", "") for s in shown)


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
