"""Global account search: the toolbar's find box, its completer and what Enter does."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCompleter,
    QLineEdit,
    QListWidget,
    QMainWindow,
)

from csdesk.services.book.table import AccountTable
from csdesk.ui.accounts_view import AccountsView
from csdesk.ui.navigation import VIEWS


class AccountSearch(QMainWindow):
    """Find an account by name or external id from anywhere in :class:`MainWindow`."""

    table: AccountTable | None
    search: QLineEdit
    accounts: AccountsView
    nav: QListWidget

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def _update_completer(self) -> None:
        if self.table is None:
            return
        c = {n: i for i, n in enumerate(self.table.columns)}
        self._search_keys = {f"{r[c['name']]} — {r[c['external_id']]}": r[c["id"]]
                             for r in self.table.rows}
        completer = QCompleter(list(self._search_keys), self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setMaxVisibleItems(12)
        completer.activated.connect(self._search_pick)
        self.search.setCompleter(completer)

    def _search_pick(self, text: str) -> None:
        account_id = getattr(self, "_search_keys", {}).get(text)
        if account_id is not None:
            self.open_account(int(account_id))
            QTimer.singleShot(0, self.search.clear)

    def _search_enter(self) -> None:
        text = self.search.text().strip()
        keys = getattr(self, "_search_keys", {})
        if text in keys:
            self._search_pick(text)
            return
        needle = text.casefold()
        hits = [k for k in keys if needle and needle in k.casefold()]
        if len(hits) == 1:
            self._search_pick(hits[0])
        elif hits:
            self.nav.setCurrentRow(VIEWS.index("accounts"))
            self.account_tabs.setCurrentIndex(0)
            self.accounts.filter_edit.setText(text)
