"""Benchmark: the Accounts view with 100,000 accounts — open, sort every column, filter.

The book is loaded from the database first (on the background thread in the app; timed
here but not part of the view's budget). Then, each in the GUI thread and including the
repaint: opening the view (model reset and first paint), sorting by every column both
ways, every keystroke of a type-to-filter, and each filter chip. The floor is the same
first paint of an empty table, measured in the same run.

    python benchmarks/accounts_table.py --book PATH   (e.g. csdesk demo --accounts 100000)
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--book", type=Path, required=True)
    args = parser.parse_args()
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from csdesk.config import resolve_database
    from csdesk.db import Database
    from csdesk.services.book.accounts import AccountTable, account_table
    from csdesk.ui.accounts_model import COLUMNS
    from csdesk.ui.accounts_view import AccountsView

    app = QApplication([])
    with Database.open(resolve_database(args.book), readonly_if_locked=True) as db:
        t0 = time.perf_counter()
        table = account_table(db)
        load_s = time.perf_counter() - t0

    view = AccountsView()
    view.resize(1400, 900)
    view.show()
    app.processEvents()

    def timed(fn) -> float:  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        fn()
        view.table.viewport().repaint()
        app.processEvents()
        return (time.perf_counter() - t) * 1000

    floor = timed(lambda: view.set_table(AccountTable(table.columns, [], table.as_of)))
    open_ms = timed(lambda: view.set_table(table))
    sorts = {}
    for col, column in enumerate(COLUMNS):
        for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
            sorts[(column.title, order.name)] = timed(lambda c=col, o=order:
                                                      view.model.sort(c, o))
    keys = []
    text = ""
    for ch in "lakehill":
        text += ch
        keys.append(timed(lambda t=text: view.filter_edit.setText(t)))
    for _ in range(len(text)):
        text = text[:-1]
        keys.append(timed(lambda t=text: view.filter_edit.setText(t)))
    chips = [timed(lambda: view.segment.setCurrentIndex(1)),
             timed(lambda: view.band.setCurrentIndex(3)),
             timed(lambda: view.attention.setChecked(True)),
             timed(view.clear_filters)]
    worst_sort = max(sorts, key=sorts.get)  # type: ignore[arg-type]
    print(f"accounts: {len(table.rows):,}; loading the rows from the database "
          f"(background): {load_s:.2f} s")
    print(f"floor (first paint of an empty table): {floor:6.1f} ms")
    print(f"open the view (reset + first paint):   {open_ms:6.1f} ms")
    print(f"sort, slowest of {len(sorts)} ({worst_sort[0]}, {worst_sort[1]}): "
          f"{sorts[worst_sort]:6.1f} ms; median "
          f"{sorted(sorts.values())[len(sorts) // 2]:.1f} ms")
    print(f"filter keystroke, slowest of {len(keys)}: {max(keys):6.1f} ms; chips, slowest: "
          f"{max(chips):.1f} ms")
    view.close()
    view.deleteLater()
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
