"""A European CSM's book in euros, pounds and dollars: the book shows each customer's money
in its own currency and sorts and totals in the base; the account page shows both; the
currencies dialog types a rate and changes the base; a currency without a rate makes every
total say so instead of adding the wrong money."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from csdesk.db import Database
from csdesk.models import Account, Subscription
from csdesk.services.book.accounts import account_table
from csdesk.services.formatting import format_money
from csdesk.services.plans.qbr import qbr_data
from csdesk.ui.accounts_model import ARR
from csdesk.ui.rates_dialog import RatesDialog
from tests.conftest import AS_OF
from tests.e2e.conftest import click, find_account, nav_to, open_window, settle, shoot, type_text


def _rows(window: Any) -> dict[str, tuple[str, str]]:
    model = window.accounts.table.model()
    return {model.index(r, 0).data(): (model.index(r, ARR).data(),
                                       model.index(r, ARR).data(Qt.ItemDataRole.ToolTipRole))
            for r in range(model.rowCount())}


def _rates_dialog(qtbot: Any, window: Any) -> RatesDialog:
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Book")
    action = next(a for a in menu.actions() if a.text().startswith("&Currencies"))
    action.trigger()  # what clicking Book ▸ Currencies and exchange rates does
    qtbot.waitUntil(lambda: any(isinstance(w, RatesDialog) and w.isVisible()
                                for w in window.findChildren(RatesDialog)))
    dialog = next(w for w in window.findChildren(RatesDialog) if w.isVisible())
    qtbot.waitExposed(dialog)
    return dialog


def test_a_book_in_three_currencies(qtbot, demo_db: Database) -> None:  # type: ignore[no-untyped-def]
    table = account_table(demo_db, as_of=AS_OF)
    c = {n: i for i, n in enumerate(table.columns)}
    eur = next(r for r in table.rows if r[c["currency"]] == "EUR"
               and r[c["status"]].value == "active" and r[c["arr_cents"]])
    window = open_window(qtbot, demo_db)
    rows = _rows(window)
    shown, tip = rows[eur[c["name"]]]
    # In the customer's currency, the base amount and the rate in the tooltip
    assert shown == format_money(eur[c["arr_cents"]], "EUR") and shown.startswith("€")
    assert format_money(eur[c["arr_base_cents"]], "USD") in tip and "1 EUR = " in tip
    # Sorted by ARR (descending): by the base amount, not by the raw number
    view = window.accounts.table
    view.sortByColumn(ARR, Qt.SortOrder.DescendingOrder)
    model = view.model()
    base_of = {r[c["name"]]: r[c["arr_base_cents"]] for r in table.rows}
    order = [base_of[model.index(r, 0).data()] for r in range(model.rowCount())]
    present = [x for x in order if x is not None]
    assert present == sorted(present, reverse=True)

    page = find_account(qtbot, window, eur[c["name"]])
    subtitle = page.subtitle.text()
    assert (f"ARR {format_money(eur[c['arr_cents']], 'EUR')} "
            f"({format_money(eur[c['arr_base_cents']], 'USD')})") in subtitle
    assert "1 EUR = " in page.subtitle.toolTip()
    shoot(qtbot, window, "test_a_book_in_three_currencies-account")

    dialog = _rates_dialog(qtbot, window)
    before = dialog.table.rowCount()
    assert dialog.base.currentData() == "USD" and before > 0
    type_text(qtbot, dialog.currency, "chf")
    dialog.rate.setValue(1.13)
    click(qtbot, next(b for b in dialog.findChildren(type(dialog.add)) if b.text() == "Add rate"))
    qtbot.waitUntil(lambda: dialog.table.rowCount() == before + 1)
    assert "1 CHF = 1.13 USD" in dialog.status.text()
    shoot(qtbot, dialog, "test_a_book_in_three_currencies-rates")
    # The base becomes the euro: the rates are re-expressed, every total is in euros
    dialog.base.setCurrentIndex(dialog.base.findData("EUR"))
    click(qtbot, dialog.make_base)
    qtbot.waitUntil(lambda: "Totals are now in EUR" in dialog.status.text(), timeout=20_000)
    assert "<b>EUR</b>" in dialog.base_explain.text()
    dialog.close()
    settle(qtbot, window)
    table = account_table(demo_db, as_of=AS_OF)
    assert table.base_currency == "EUR" and not table.missing_rates
    usd = next(r for r in table.rows if r[c["currency"]] == "USD" and r[c["arr_cents"]])
    nav_to(qtbot, window, "Accounts")
    qtbot.waitUntil(lambda: "1 USD = " in (_rows(window)[usd[c["name"]]][1] or ""),
                    timeout=20_000)


def test_a_currency_without_a_rate_is_said_not_summed(qtbot, demo_db: Database) -> None:  # type: ignore[no-untyped-def]
    with demo_db.write() as s:
        acc = s.query(Account).filter(Account.status == "active").order_by(Account.id).first()
        assert acc is not None
        s.add(Subscription(account_id=acc.id, start_date=AS_OF - timedelta(days=30),
                           end_date=AS_OF + timedelta(days=300), arr_cents=90_000_00,
                           currency="SEK"))
        name, aid = acc.name, acc.id
    window = open_window(qtbot, demo_db)
    shown, tip = _rows(window)[name]
    # contracts in two currencies, one without a rate: no figure in a wrong currency
    assert shown == "—" and "no USD rate" not in (tip or "") and "SEK" in (tip or "")
    with qtbot.waitSignal(window.portfolio_loaded, timeout=20_000):
        nav_to(qtbot, window, "Portfolio")
    settle(qtbot, window)
    tile = window.portfolio.tiles["arr_red"]
    texts = [w.text() for w in tile.findChildren(QLabel)]
    assert "—" in texts and any("SEK" in t for t in texts)
    shoot(qtbot, window, "test_a_currency_without_a_rate_is_said_not_summed-portfolio")
    nav_to(qtbot, window, "Renewals")
    settle(qtbot, window)
    totals = window.renewals.totals.text()
    assert "no forecast in USD: no exchange rate for SEK" in totals  # either quarter says why
    # The customer's page names the missing rate where its ARR would be
    page = find_account(qtbot, window, name)
    assert "ARR — (no SEK rate to USD)" in page.subtitle.text()
    assert "add one" in page.subtitle.toolTip()
    data = qbr_data(demo_db, aid, today=AS_OF)  # the QBR reads the renewal on record
    assert data.commercial.current_arr_cents > 0
