"""Ctrl+K: find an account by typing part of its name, Enter opens its page. Names with
ampersands, angle brackets and Japanese read on the page exactly as they are written."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import Qt as QtGui_Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QLabel
from sqlalchemy import select

from csdesk.db import Database
from csdesk.models import Account, Subscription
from csdesk.ui.account_page import AccountPage
from tests.conftest import AS_OF
from tests.e2e.conftest import find_account, open_window

ODD = "AT&T <Legacy> 日本 Cloud K.K."


def _shown(label: QLabel) -> str:
    """The text a label puts on screen (rich text rendered, as Qt decides it is)."""
    rich = label.textFormat() == Qt.TextFormat.RichText or (
        label.textFormat() == Qt.TextFormat.AutoText and QtGui_Qt.mightBeRichText(label.text()))
    if not rich:
        return label.text()
    doc = QTextDocument()
    doc.setHtml(label.text())
    return doc.toPlainText()


def _tab_text(window: Any, page: AccountPage) -> str:
    """A tab's text as drawn: a single & marks a shortcut letter and is not shown."""
    text = window.account_tabs.tabText(window.account_tabs.indexOf(page))
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


def _live_account(db: Database) -> tuple[str, str]:
    """A live account of the demo book whose name has a word no other account has."""
    with db.read() as s:
        names = s.execute(select(Account.name, Account.external_id, Account.status)).all()
    for name, external_id, status in sorted(names):
        if status.value != "active":
            continue
        word = name.split()[0]
        others = [n for n, _e, _s in names] + [ODD]  # ODD is added by the test
        if sum(word.casefold() in n.casefold() for n in others) == 1:
            return name, external_id
    raise AssertionError("no account with a name of its own")


def test_ctrl_k_finds_an_account_by_part_of_its_name(qtbot, demo_db: Database,  # type: ignore[no-untyped-def]
                                                     screenshot) -> None:
    name, external_id = _live_account(demo_db)
    with demo_db.write() as s:  # a new customer, with the odd characters CRMs hold
        acc = Account(external_id="ATT-JP-2", name=ODD, segment="smb",
                      engagement_model="high_touch", owner="Amara Patel",
                      customer_since=AS_OF - timedelta(days=200))
        s.add(acc)
        s.flush()
        s.add(Subscription(account_id=acc.id, external_id="ATT-JP-2-S1",
                           start_date=AS_OF - timedelta(days=200),
                           end_date=AS_OF + timedelta(days=165), arr_cents=4_200_000))
    window = open_window(qtbot, demo_db)

    typed = name.split()[0][1:].lower()  # part of a word, in any case
    page = find_account(qtbot, window, typed)
    assert _shown(page.title) == name
    assert page.subtitle.text().startswith(f"{external_id} · ")
    assert _tab_text(window, page) == name[:28]
    qtbot.waitUntil(lambda: window.search.text() == "")  # ready for the next search
    assert window.nav.currentItem().text() == "Accounts"

    odd = find_account(qtbot, window, "legacy> 日本 cl")
    assert odd is not page
    assert _shown(odd.title) == ODD
    assert odd.subtitle.text().startswith("ATT-JP-2 · SMB · high-touch · ARR $42,000 · ")
    assert _tab_text(window, odd) == ODD[:28]
    screenshot(window)
