"""Account tabs opened and closed while background work runs: Qt objects die on the GUI
thread only (Python's garbage collection no longer runs on the worker, where freeing a
closed page's widgets crashed the process)."""

from __future__ import annotations

import gc

from sqlalchemy import select

from csdesk.db import Database
from csdesk.models import Account
from tests.ui.conftest import open_window


def test_fifty_tabs_open_and_close_during_background_work(qtbot, demo_db: Database) -> None:  # type: ignore[no-untyped-def]
    window = open_window(qtbot, demo_db)
    assert not gc.isenabled()  # collected by the GUI thread's timer instead
    with demo_db.read() as s:
        ids = list(s.scalars(select(Account.id).order_by(Account.id).limit(50)))
    for n, account_id in enumerate(ids):
        if n % 10 == 0:
            window.refresh()  # reload the book and run the rules on the worker meanwhile
        window.open_account(account_id)
        index = window.account_tabs.indexOf(window.pages[account_id])
        window._close_account_tab(index)
    with qtbot.waitSignal(window.book_loaded, timeout=30_000):
        window.refresh()
    window.runner.wait()
    assert not window.pages
    assert window.account_tabs.count() == 1  # the book's own tab
