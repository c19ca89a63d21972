"""Rates on the Portfolio tiles: 99.5 % is never rounded to a flat 100 %."""

from __future__ import annotations

from csdesk.ui.portfolio_view import _pct


def test_rates_keep_their_tenth() -> None:
    assert _pct(0.995) == "99.5%"  # net contraction, not "100%"
    assert _pct(1.0) == "100%"
    assert _pct(1.123) == "112.3%"
    assert _pct(0.05) == "5%"
    assert _pct(0.0049) == "0.5%"
    assert _pct(None) == "—"
