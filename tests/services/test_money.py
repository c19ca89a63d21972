"""The base currency and dated exchange rates: a figure converts at the rate on or before
its day; a rate typed by hand outlives an import; a missing rate is refused, not guessed."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from csdesk.db import Database
from csdesk.services.money import (
    MissingRate,
    base_currency,
    rates,
    save_rate,
    set_base_currency,
    to_base,
)


def test_figures_convert_at_the_rate_on_or_before_their_day(db: Database) -> None:
    assert base_currency(db) == "USD"
    assert set_base_currency(db, " eur ") == "EUR"
    save_rate(db, "USD", date(2026, 1, 1), 0.90)
    save_rate(db, "USD", date(2026, 7, 1), 0.80)
    save_rate(db, "GBP", date(2026, 1, 1), 1.15)
    figures = pd.DataFrame({"cents": [100_00, 100_00, 100_00, 50_00],
                            "currency": ["USD", "USD", "GBP", "EUR"],
                            "day": [date(2026, 3, 1), date(2026, 7, 1), date(2026, 12, 31),
                                    date(2020, 1, 1)]})
    out = to_base(db, figures)
    # by hand: 100 USD × 0.90, 100 USD × 0.80 (the new rate from its own day), 100 GBP × 1.15,
    # 50 EUR is already the base
    assert out["base_cents"].tolist() == [90_00, 80_00, 115_00, 50_00]
    assert out["rate"].tolist() == [0.90, 0.80, 1.15, 1.0]


def test_a_missing_rate_is_refused_and_named(db: Database) -> None:
    set_base_currency(db, "EUR")
    save_rate(db, "USD", date(2026, 7, 1), 0.80)
    early = pd.DataFrame({"cents": [100], "currency": ["USD"], "day": [date(2026, 6, 30)]})
    with pytest.raises(MissingRate, match="no exchange rate for USD on or before 30 Jun 2026"):
        to_base(db, early)


def test_a_typed_rate_is_never_overwritten_by_an_import(db: Database) -> None:
    save_rate(db, "GBP", date(2026, 1, 1), 1.15)  # typed
    assert save_rate(db, "GBP", date(2026, 1, 1), 1.30, typed=False) is False
    assert save_rate(db, "CHF", date(2026, 1, 1), 1.05, typed=False) is True
    assert save_rate(db, "CHF", date(2026, 1, 1), 1.06, typed=False) is True  # imported: new
    got = {(r.currency, r.rate_to_base, r.source) for r in rates(db)}
    assert got == {("GBP", 1.15, "typed"), ("CHF", 1.06, "imported")}


def test_the_command_line_sets_the_base_and_types_a_rate(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    from csdesk.cli.main import main

    book = str(tmp_path / "b.sqlite")
    Database.open(__import__("csdesk.config", fromlist=["x"]).resolve_database(book)).close()
    assert main(["settings", "base-currency", "gbp", "--db", book]) == 0
    assert main(["rates", "--add", "eur", "2026-01-01", "0.86", "--db", book]) == 0
    assert main(["rates", "--json", "--db", book]) == 0
    out = capsys.readouterr().out
    assert '"base_currency": "GBP"' in out and '"currency": "EUR"' in out
    assert main(["rates", "--add", "eur", "2026-13-01", "0.86", "--db", book]) == 1
    assert "--add takes CURRENCY YYYY-MM-DD RATE" in capsys.readouterr().err
