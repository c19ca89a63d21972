"""Money in several currencies: retention at constant rates (hand-computed), a missing rate
refused everywhere a total is made, rates imported without overwriting typed ones, the base
chosen on a first import and changed with every rate re-expressed."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from csdesk import clock
from csdesk.db import Database
from csdesk.models import Account, Renewal, Subscription, ValueOutcome
from csdesk.services.book.accounts import account_table
from csdesk.services.book.segments import change_base_currency, resegment
from csdesk.services.health.metrics import parse_period, portfolio_metrics
from csdesk.services.money import (
    Rates,
    base_currency,
    currency_state,
    rates,
    save_rate,
    set_base_currency,
)
from csdesk.services.plans import value as value_log
from csdesk.services.renewals.forecast import forecast
from csdesk.services.renewals.pipeline import pipeline
from csdesk.services.sync.importer import ImportRequest, run_import
from tests.conftest import AS_OF


def _day() -> date:
    """Today as the session sees it (make test-dates moves it)."""
    return clock.today()


def _acc(s, ext: str) -> Account:  # type: ignore[no-untyped-def]
    a = Account(external_id=ext, name=ext, segment="smb", engagement_model="tech_touch")
    s.add(a)
    s.flush()
    return a


def _sub(s, acc: Account, start: date, end: date, units: int, currency: str) -> None:  # type: ignore[no-untyped-def]
    s.add(Subscription(account_id=acc.id, start_date=start, end_date=end,
                       arr_cents=units * 100, currency=currency))


def test_grr_and_nrr_hold_the_rates_of_the_quarters_first_day(db: Database) -> None:
    """Three currencies, rates that move inside the quarter: a moving rate is neither churn
    nor expansion; it is reported beside, as the exchange-rate effect."""
    before, after = date(2025, 3, 1), date(2026, 12, 31)
    save_rate(db, "EUR", date(2025, 12, 1), 1.10)
    save_rate(db, "EUR", date(2026, 2, 15), 1.20)  # inside Q1
    save_rate(db, "GBP", date(2025, 12, 1), 1.30)
    save_rate(db, "GBP", date(2026, 3, 1), 1.20)  # inside Q1
    with db.write() as s:
        flat = _acc(s, "FLAT-EUR")
        _sub(s, flat, before, after, 100, "EUR")
        gone = _acc(s, "GONE-GBP")
        _sub(s, gone, before, date(2026, 2, 14), 200, "GBP")
        grow = _acc(s, "GROW-USD")
        _sub(s, grow, before, date(2026, 1, 31), 100, "USD")
        _sub(s, grow, date(2026, 2, 1), after, 150, "USD")
        shrink = _acc(s, "SHRINK-EUR")
        _sub(s, shrink, before, date(2026, 2, 28), 100, "EUR")
        _sub(s, shrink, date(2026, 3, 1), after, 80, "EUR")
    whole, _parts = portfolio_metrics(db, "2026Q1")
    v, counts = whole.values, whole.counts
    # By hand, at the rates of 1 Jan (EUR 1.10, GBP 1.30): start 110 + 260 + 100 + 110 = 580;
    # churn 260 (GBP); expansion 50 (USD); contraction 110 − 88 = 22 (EUR at 1.10).
    assert counts["start_arr_cents"] == pytest.approx(580_00)
    assert counts["churned_arr_cents"] == pytest.approx(260_00)
    assert counts["contraction_cents"] == pytest.approx(22_00)
    assert counts["expansion_cents"] == pytest.approx(50_00)
    assert v["nrr"] == pytest.approx((580 - 260 - 22 + 50) / 580)
    assert v["grr"] == pytest.approx((580 - 260 - 22) / 580)
    # The rates of 31 Mar (EUR 1.20) make the end ARR 120 + 150 + 96 = 366, not 348: +18
    assert counts["fx_effect_cents"] == pytest.approx(18_00)
    assert v["fx_effect"] == pytest.approx(18 / 580)
    out = whole.as_json()
    assert out["currency"] == "USD" and "2026-01-01" in out["rates"]
    # A raw sum of the cents would have said start 500 and NRR (500-200-20+50)/500.
    assert v["nrr"] != pytest.approx((500 - 200 - 20 + 50) / 500)


def _mixed_book_without_chf_rate(db: Database) -> dict[str, int]:
    today = _day()
    save_rate(db, "EUR", date(2025, 1, 1), 1.10)
    ids = {}
    with db.write() as s:
        for ext, units, cur in (("US", 1000, "USD"), ("EU", 1000, "EUR"), ("CH", 1000, "CHF")):
            a = _acc(s, ext)
            ids[ext] = a.id
            _sub(s, a, date(2025, 1, 1), date(today.year + 1, 12, 31), units, cur)
            s.add(Renewal(account_id=a.id, renewal_date=today, current_arr_cents=units * 100,
                          currency=cur))
            s.add(ValueOutcome(account_id=a.id, occurred_on=date(2025, 6, 1), title="saved",
                               value_cents=500_00, currency=cur))
    return ids


def test_a_missing_rate_is_said_everywhere_and_nothing_is_summed_raw(db: Database) -> None:
    ids = _mixed_book_without_chf_rate(db)
    table = account_table(db)
    c = {n: i for i, n in enumerate(table.columns)}
    by = {r[c["external_id"]]: r for r in table.rows}
    # each account's own money, in its own currency; the base beside, or None without a rate
    assert (by["EU"][c["arr_cents"]], by["EU"][c["currency"]]) == (1000_00, "EUR")
    assert by["EU"][c["arr_base_cents"]] == 1100_00
    assert "1 EUR = 1.1 USD" in by["EU"][c["arr_note"]]
    assert (by["CH"][c["arr_cents"]], by["CH"][c["currency"]]) == (1000_00, "CHF")
    assert by["CH"][c["arr_base_cents"]] is None
    assert "no CHF rate" in by["CH"][c["arr_note"]]
    assert "CHF" in table.missing_rates and table.base_currency == "USD"
    # the quarter's revenue metrics: refused and named
    quarter = f"{_day().year}Q{(_day().month - 1) // 3 + 1}"
    whole, _ = portfolio_metrics(db, quarter)
    assert whole.values["nrr"] is None and whole.values["grr"] is None
    assert "CHF" in whole.note and "CHF" in whole.as_json()["note"]
    # the renewals: each row in its currency, no base for CHF; the forecast refused
    rows = {r.external_id: r for r in pipeline(db, today=_day())}
    assert rows["CH"].currency == "CHF" and rows["CH"].arr_base_cents is None
    assert rows["EU"].arr_base_cents == 1100_00
    f = forecast(db, quarter, today=_day())
    assert f.arr_cents is None and f.expected_grr is None and "CHF" in f.note
    # value: the CHF customer's own total is whole (no rate needed); its base is not
    t = value_log.totals(db, ids["CH"], today=_day())
    assert (t.to_date_cents, t.currency, t.to_date_base_cents, t.note) == (500_00, "CHF",
                                                                           None, "")
    t = value_log.totals(db, ids["EU"], today=_day())
    assert (t.to_date_cents, t.to_date_base_cents) == (500_00, 550_00)
    # once the rate is there, every total is back
    save_rate(db, "CHF", date(2025, 1, 1), 1.25)
    table = account_table(db)
    assert not table.missing_rates
    assert forecast(db, quarter, today=_day()).note == ""


def test_a_value_outcome_in_another_currency_converts_at_its_own_day(db: Database) -> None:
    save_rate(db, "EUR", date(2025, 1, 1), 1.00)
    save_rate(db, "EUR", date(2025, 7, 1), 1.25)
    with db.write() as s:
        a = _acc(s, "EU")
        _sub(s, a, date(2025, 1, 1), date(_day().year + 1, 12, 31), 1000, "EUR")
        s.add(ValueOutcome(account_id=a.id, occurred_on=date(2025, 3, 1), title="a",
                           value_cents=100_00, currency="USD"))  # 100 USD = 100 EUR then
        s.add(ValueOutcome(account_id=a.id, occurred_on=date(2025, 8, 1), title="b",
                           value_cents=125_00, currency="USD"))  # 125 USD = 100 EUR then
        aid = a.id
    t = value_log.totals(db, aid, today=_day())
    assert (t.to_date_cents, t.currency) == (200_00, "EUR")
    assert t.to_date_base_cents == 225_00  # each in USD as logged
    assert t.roi == pytest.approx(200 / 1000)


def test_changing_the_base_re_expresses_every_rate(db: Database) -> None:
    save_rate(db, "EUR", date(2026, 1, 1), 1.10)
    save_rate(db, "GBP", date(2026, 1, 1), 1.32)
    save_rate(db, "EUR", date(2026, 6, 1), 1.20)
    with db.write() as s:
        a = _acc(s, "UK")
        _sub(s, a, date(2026, 1, 1), date(2026, 12, 31), 1000, "GBP")

    def gbp_in_base(day: date) -> float:
        with db.read() as s:
            return float(Rates.load(s).convert([1000_00], ["GBP"], day)["base_cents"].iat[0])

    assert gbp_in_base(date(2026, 3, 1)) == pytest.approx(1320_00)
    change_base_currency(db, "eur")
    assert base_currency(db) == "EUR"
    got = {(r.currency, r.day): r.rate_to_base for r in rates(db)}
    assert got[("USD", date(2026, 1, 1))] == pytest.approx(1 / 1.10)
    assert got[("USD", date(2026, 6, 1))] == pytest.approx(1 / 1.20)
    assert got[("GBP", date(2026, 1, 1))] == pytest.approx(1.32 / 1.10)
    assert ("EUR", date(2026, 1, 1)) not in got  # the base has no rate: it is 1
    # the same pounds, now in euros: 1,320 USD ÷ 1.10
    assert gbp_in_base(date(2026, 3, 1)) == pytest.approx(1200_00)
    # a base with no rate to the current one: refused, nothing changed
    from csdesk.errors import CsdeskError

    with pytest.raises(CsdeskError, match="no CHF rate"):
        set_base_currency(db, "CHF")
    assert base_currency(db) == "EUR" and len(rates(db)) == 3


def _import(db: Database, tmp: Path, name: str, text: str, entity: str,
            **kw: object) -> object:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return run_import(db, ImportRequest(path=path, entity=entity, **kw))  # type: ignore[arg-type]


def test_a_first_import_of_money_chooses_the_base_once(db: Database, tmp_path: Path) -> None:
    _import(db, tmp_path, "a.csv", "external_id,name\nA1,Alpha\nA2,Beta\nA3,Gamma\n",
            "accounts")
    r = _import(db, tmp_path, "s.csv",
                "external_id,account_external_id,start_date,end_date,arr,currency\n"
                "S1,A1,2026-01-01,2026-12-31,50000,eur\nS2,A2,2026-01-01,2026-12-31,1000,€\n",
                "subscriptions")
    assert base_currency(db) == "EUR"  # the only currency: no rate needed
    assert any("totals are in EUR" in n for n in r.notes)  # type: ignore[attr-defined]
    # later imports in other currencies do not move it; they need rates, and say so
    _import(db, tmp_path, "s2.csv",
            "external_id,account_external_id,start_date,end_date,arr,currency\n"
            "S3,A3,2026-01-01,2026-12-31,7000,GBP\n", "subscriptions")
    assert base_currency(db) == "EUR"
    assert currency_state(db).without_rate == ["GBP"]


def test_the_wizard_or_the_command_line_can_name_the_base(db: Database, tmp_path: Path) -> None:
    _import(db, tmp_path, "a.csv", "external_id,name\nA1,Alpha\n", "accounts")
    _import(db, tmp_path, "s.csv",
            "external_id,account_external_id,start_date,end_date,arr,currency\n"
            "S1,A1,2026-01-01,2026-12-31,50000,GBP\n", "subscriptions", base_currency="gbp")
    assert base_currency(db) == "GBP"


def test_rates_import_keeps_typed_rates_and_refuses_the_base(db: Database,
                                                            tmp_path: Path) -> None:
    save_rate(db, "GBP", date(2026, 3, 1), 1.25)  # typed
    text = ("Currency,Date,Rate to base\neur,2026-01-01,1.10\n€,2026-02-15,1.20\n"
            "GBP,2026-01-01,1.30\nGBP,2026-03-01,1.20\nUSD,2026-01-01,1\n")
    r = _import(db, tmp_path, "rates.csv", text, "rates")
    assert r.error_count == 1 and "base currency" in r.errors[0].reason  # type: ignore[attr-defined]
    assert not r.written  # type: ignore[attr-defined]
    r = _import(db, tmp_path, "rates.csv", text, "rates", skip_invalid=True)
    assert r.written and r.kept_typed == 1  # type: ignore[attr-defined]
    got = {(x.currency, x.day): (x.rate_to_base, x.source) for x in rates(db)}
    assert got == {("EUR", date(2026, 1, 1)): (1.10, "imported"),
                   ("EUR", date(2026, 2, 15)): (1.20, "imported"),
                   ("GBP", date(2026, 1, 1)): (1.30, "imported"),
                   ("GBP", date(2026, 3, 1)): (1.25, "typed")}
    # imported again: nothing changes
    r = _import(db, tmp_path, "rates.csv", text, "rates", skip_invalid=True)
    assert r.inserted == 0 and r.updated == 0  # type: ignore[attr-defined]


def test_the_demo_books_segments_are_its_base_arr_bands(demo_db: Database) -> None:
    """The demo's EUR and GBP customers are placed by their ARR in dollars today, as a
    resegment places them."""
    with demo_db.write() as s:
        assert resegment(s) == 0
    state = currency_state(demo_db)
    assert {"EUR", "GBP"} <= set(state.in_book) and state.without_rate == []


def test_accounts_and_metrics_json_state_the_currency(demo_location, capsys) -> None:  # type: ignore[no-untyped-def]
    from csdesk.cli.main import main

    book = str(demo_location.path)
    assert main(["accounts", "--json", "--db", book, "--as-of", AS_OF.isoformat()]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["base_currency"] == "USD" and out["missing_rates"] is None
    eur = [a for a in out["accounts"] if a["currency"] == "EUR" and a["arr_cents"]]
    assert eur and all(a["arr_base_cents"] != a["arr_cents"] for a in eur)
    assert main(["metrics", "--json", "--db", book]) == 0
    assert json.loads(capsys.readouterr().out)["currency"] == "USD"


def test_money_typed_for_a_customer_is_in_its_currency(db: Database) -> None:
    from csdesk.services.renewals.expansion import create_opportunity, opportunities

    with db.write() as s:
        a = _acc(s, "EU")
        _sub(s, a, date(2025, 1, 1), date(_day().year + 1, 12, 31), 1000, "EUR")
        aid = a.id
    entry = value_log.add_entry(db, aid, {"title": "Saved a day a week", "value_cents": 5_00})
    assert entry.currency == "EUR"
    create_opportunity(db, aid, title="More seats", kind="seats", amount_cents=100_00)
    assert [o.currency for o in opportunities(db, aid)] == ["EUR"]


def test_churned_arr_is_summed_in_the_base_at_the_churn_days_rate(db: Database) -> None:
    from csdesk.services.renewals.churn import churn_analysis

    save_rate(db, "EUR", date(2025, 1, 1), 1.10)
    with db.write() as s:
        for ext, cur, units in (("US", "USD", 100), ("EU", "EUR", 100), ("CH", "CHF", 100)):
            a = _acc(s, ext)
            s.add(Renewal(account_id=a.id, renewal_date=date(2025, 6, 1),
                          current_arr_cents=units * 100, currency=cur, outcome="churned",
                          churn_reason_code="budget_cut"))
    got = churn_analysis(db)
    assert got.by_reason == {} and "CHF" in got.note  # a CHF case without a rate: refused
    assert {(c.currency, c.base_cents) for c in got.cases} == {
        ("USD", 100_00), ("EUR", 110_00), ("CHF", None)}
    save_rate(db, "CHF", date(2025, 1, 1), 1.20)
    got = churn_analysis(db)
    assert got.note == "" and got.by_reason == {"budget_cut": 100_00 + 110_00 + 120_00}


def test_a_typed_rate_places_the_accounts_it_lets_csdesk_convert(db: Database) -> None:
    from csdesk.services.book.segments import add_rate

    with db.write() as s:
        a = _acc(s, "ZH")
        a.segment = "unsegmented"
        _sub(s, a, date(2025, 1, 1), date(_day().year + 1, 12, 31), 80_000, "CHF")
        aid = a.id
    with db.write() as s:
        assert resegment(s) == 0  # no CHF rate: it cannot be placed yet
    assert add_rate(db, "chf", date(2025, 1, 1), 1.07) == 1  # 85,600 USD: Mid-Market
    with db.read() as s:
        assert s.get(Account, aid).segment.value == "mid_market"
    from csdesk.errors import ValidationError

    with pytest.raises(ValidationError, match="USD is the base currency"):
        add_rate(db, "$", date(2025, 1, 1), 1.0)


def test_every_import_of_money_names_the_currencies_without_a_rate(db: Database,
                                                                   tmp_path: Path) -> None:
    _import(db, tmp_path, "a.csv", "external_id,name\nA1,Alpha\nA2,Beta\n", "accounts")
    r = _import(db, tmp_path, "s.csv",
                "external_id,account_external_id,start_date,end_date,arr,currency\n"
                "S1,A1,2026-01-01,2026-12-31,50000,EUR\n", "subscriptions",
                base_currency="USD")
    notes = " ".join(r.notes)  # type: ignore[attr-defined]
    assert "Base currency: USD, chosen with this import" in notes
    assert "No exchange rate yet for EUR" in notes
    save_rate(db, "EUR", date(2026, 1, 1), 1.1)
    r = _import(db, tmp_path, "s2.csv",
                "external_id,account_external_id,start_date,end_date,arr,currency\n"
                "S2,A2,2026-01-01,2026-12-31,9000,CHF\n", "subscriptions")
    notes = " ".join(r.notes)  # type: ignore[attr-defined]
    assert "No exchange rate yet for CHF" in notes and "EUR" not in notes


def test_a_quarter_in_progress_is_measured_to_today(db: Database) -> None:
    from csdesk import clock

    today = clock.today()
    q_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    with db.write() as s:
        a = _acc(s, "ENDS-LATER")
        _sub(s, a, q_start - timedelta(days=200), today + timedelta(days=3), 1000, "USD")
    quarter = f"{today.year}Q{(today.month - 1) // 3 + 1}"
    whole, _ = portfolio_metrics(db, quarter)
    # (on a quarter's last day the quarter is whole: not in progress, the same end)
    assert whole.end == today and whole.in_progress == (today < parse_period(quarter)[1])
    assert whole.values["logo_churn"] == 0  # its contract runs past today: not churned yet
