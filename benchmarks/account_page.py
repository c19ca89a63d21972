"""Benchmark: an account's page, opened from the window, against plain Qt widgets painted.

Ten accounts of a demo book (two churned, eight live) are opened in turn, each as the
window opens it (with the window's task runner). Two times per page:

- **shown**: from the click to the page painted with what is known at once (header, badge,
  facts, tabs; the breakdown says it is reading today's inputs);
- **complete**: until the health breakdown and the four charts are in as well.

The floor is, in the same run, a plain page of the same widgets (a tab widget of seven tabs,
a table of nine rows, a form of five facts, four empty chart places) built and painted, plus
the account's own rows read with sqlite3 (account, health, usage, surveys, tickets,
activities, contacts). The figure is the slowest of the ten, as a ratio to the floor, and in
milliseconds against the issue's target (150 ms at 5,000 accounts, 300 ms at 100,000).

    python benchmarks/account_page.py --book PATH
"""

from __future__ import annotations

import os
import sqlite3
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from _book import AS_OF, book_arguments, demo_book, timing
from _qt import wait_painted
from PySide6.QtWidgets import (
    QApplication,
    QFormLayout,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from csdesk import clock
from csdesk.config import resolve_database


def _floor_page(app: QApplication, con: sqlite3.Connection, account_id: int) -> float:
    t0 = time.perf_counter()
    for sql in ("SELECT * FROM accounts WHERE id = ?",
                "SELECT * FROM health_snapshots WHERE account_id = ? ORDER BY as_of",
                "SELECT * FROM usage_snapshots WHERE account_id = ? ORDER BY date",
                "SELECT * FROM survey_responses WHERE account_id = ?",
                "SELECT * FROM support_tickets WHERE account_id = ?",
                "SELECT * FROM activities WHERE account_id = ?",
                "SELECT * FROM contacts WHERE account_id = ?"):
        con.execute(sql, (account_id,)).fetchall()
    page = QWidget()
    tabs = QTabWidget()
    body = QWidget()
    grid = QVBoxLayout(body)
    table = QTableWidget(9, 5)
    for r in range(9):
        for c in range(5):
            table.setItem(r, c, QTableWidgetItem(f"{r}.{c}"))
    grid.addWidget(table)
    form = QFormLayout()
    for k in range(5):
        form.addRow(QLabel(f"fact {k}"), QLabel("value"))
    grid.addLayout(form)
    for _ in range(4):
        slot = QWidget()
        slot.setMinimumHeight(208)
        grid.addWidget(slot)
    tabs.addTab(body, "Overview")
    for name in ("Contacts", "Timeline", "Handoff", "Plan", "Renewal", "Value"):
        tabs.addTab(QWidget(), name)
    QVBoxLayout(page).addWidget(tabs)
    page.resize(1200, 800)
    page.show()
    wait_painted(app, page)
    elapsed = time.perf_counter() - t0
    page.close()
    page.deleteLater()
    return elapsed


def main() -> int:
    args = book_arguments(__doc__.splitlines()[0])
    book = demo_book(args, usage_weeks=26)
    if book is None:
        return 1
    app = QApplication([])
    from csdesk.ui.app import open_book
    from csdesk.ui.main_window import MainWindow
    from csdesk.ui.theme import apply_style

    apply_style(app)
    con = sqlite3.connect(Path(book))
    ids = [r[0] for r in con.execute(
        "SELECT id FROM accounts WHERE status = 'churned' ORDER BY id LIMIT 2")]
    ids += [r[0] for r in con.execute(
        "SELECT id FROM accounts WHERE status = 'active' ORDER BY (id * 7919) % 1009 LIMIT 8")]
    with clock.pin(AS_OF):
        db = open_book(resolve_database(book))
        window = MainWindow(db)
        window.resize(1280, 800)
        loaded: list[bool] = []
        window.book_loaded.connect(lambda *_: loaded.append(True))
        window.refresh()
        window.show()
        while not loaded:
            app.processEvents()
        while window.runner.busy:  # start-up work done: pages are timed on their own
            app.processEvents()
        import csdesk.ui.charts as charts

        charts.warm_up()  # as the idle lane does after start-up
        shown, complete, floors = [], [], []
        for account_id in [ids[-1], *ids]:  # the first opening warms the caches: not counted
            floor = _floor_page(app, con, account_id)
            t0 = time.perf_counter()
            page = window.open_account(account_id)
            wait_painted(app, page.title)  # type: ignore[attr-defined]
            t1 = time.perf_counter()
            while not page.is_complete:  # type: ignore[attr-defined]
                app.processEvents()
            t2 = time.perf_counter()
            window.account_tabs.removeTab(window.account_tabs.indexOf(page))
            window.pages.pop(account_id, None)
            page.deleteLater()
            app.processEvents()
            shown.append(t1 - t0)
            complete.append(t2 - t0)
            floors.append(floor)
        shown, complete, floors = shown[1:], complete[1:], floors[1:]
        window.runner.shutdown()
        db.close()
    accounts = con.execute("SELECT count(*) FROM accounts").fetchone()[0]
    floor_s = max(floors)
    print(f"book: {accounts:,} accounts; ten pages, two of them churned (slowest of ten)")
    timing("floor (plain widgets painted + the account's rows in sqlite3)", floor_s)
    timing("account page shown (header, badge, facts, tabs)", max(shown), floor_s)
    timing("account page complete (breakdown and charts in)", max(complete), floor_s)
    print(f"shown, each (ms): {', '.join(f'{s * 1000:.0f}' for s in shown)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
