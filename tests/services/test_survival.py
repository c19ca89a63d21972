"""Survival: Uno's concordance against hand sums, lifelines and brute force; retention curves
on the demo book; a Cox model that finds what drives churn in a monthly book."""

from __future__ import annotations

import numpy as np
import pytest
from lifelines.utils import concordance_index

from csdesk.services.health.survival import uno_concordance


def _g_before(tt: np.ndarray, et: np.ndarray, s: float) -> float:
    """The Kaplan–Meier survival of censoring just before ``s``, written out: at each
    earlier time u, 1 − censored(u) / (at risk(u) − churned(u))."""
    g = 1.0
    for u in sorted(set(tt[tt < s].tolist())):
        censored = int(np.sum((tt == u) & ~et))
        at_risk = int(np.sum(tt >= u)) - int(np.sum((tt == u) & et))
        if at_risk > 0:
            g *= 1.0 - censored / at_risk
    return g


def _brute_uno(tt: np.ndarray, et: np.ndarray, t: np.ndarray, e: np.ndarray,
               eta: np.ndarray, tau: float | None = None) -> float:
    """Uno's C pair by pair, straight from the formula (the reference for the fast one)."""
    tau = float(tt.max()) if tau is None else tau
    num = den = 0.0
    for i in range(len(t)):
        if not e[i] or not t[i] < tau:
            continue
        w = 1.0 / _g_before(tt, et, float(t[i])) ** 2
        for j in range(len(t)):
            if t[i] < t[j]:
                den += w
                num += w * (1.0 if eta[i] > eta[j] else 0.5 if eta[i] == eta[j] else 0.0)
    return num / den if den else float("nan")


def test_uno_by_hand() -> None:
    """Times 1, 2+, 3, 4 (2 censored). G drops to 2/3 at 2, so the event at 3 weighs
    1/(2/3)² = 9/4 against the event at 1's 1. Risks 3, 2, 1, 4: the event at 1 outranks
    2 of its 3 later accounts, the event at 3 none of its 1 (the event at 4, the largest
    time, is past tau): C = (1·2 + 9/4·0) / (1·3 + 9/4·1) = 8/21."""
    t = np.array([1.0, 2.0, 3.0, 4.0])
    e = np.array([1, 0, 1, 1], dtype=bool)
    eta = np.array([3.0, 2.0, 1.0, 4.0])
    assert uno_concordance(t, e, t, e, eta) == pytest.approx(8 / 21, abs=1e-12)
    # Harrell's C weighs both events alike: 2 of 4 pairs.
    assert concordance_index(t, -eta, e) == pytest.approx(0.5)
    # tau = 2 keeps only the event at 1; a tie in risk counts one half.
    assert uno_concordance(t, e, t, e, eta, tau=2.0) == pytest.approx(2 / 3, abs=1e-12)
    tied = np.array([2.0, 2.0, 1.0, 4.0])
    assert uno_concordance(t, e, t, e, tied, tau=2.0) == pytest.approx(1.5 / 3, abs=1e-12)
    # No comparable pair: not a number, not an error.
    assert np.isnan(uno_concordance(t, e, t[:1], e[:1], eta[:1]))


def test_uno_weighs_by_censoring_strictly_before_the_event() -> None:
    """Times 1, 2, 2+, 3, 4+: at 2 one account churns and one is censored. The churned one
    was not at risk of censoring, so G(2) = 1 − 1/3; the event at 2 itself weighs by G just
    before 2 (= 1), the event at 3 by (2/3)⁻² = 9/4. Risks 5, 1, 0, 2, 3:
    C = (1·4 + 1·0 + 9/4·0) / (1·4 + 1·2 + 9/4·1) = 16/33."""
    t = np.array([1.0, 2.0, 2.0, 3.0, 4.0])
    e = np.array([1, 1, 0, 1, 0], dtype=bool)
    eta = np.array([5.0, 1.0, 0.0, 2.0, 3.0])
    assert uno_concordance(t, e, t, e, eta) == pytest.approx(16 / 33, abs=1e-12)


def test_uno_without_censoring_is_harrells_c() -> None:
    rng = np.random.default_rng(3)
    for n in (2, 17, 500, 3000):
        t = rng.integers(1, 60, n).astype(float)  # many tied times
        e = np.ones(n, dtype=bool)
        eta = rng.integers(0, 8, n).astype(float)  # many tied risks
        ours = uno_concordance(t, e, t, e, eta)
        assert abs(ours - concordance_index(t, -eta, e)) < 1e-9


def test_uno_with_light_censoring_is_close_to_harrells_c() -> None:
    rng = np.random.default_rng(11)
    n = 2000
    x = rng.normal(size=n)
    t_event = rng.exponential(1.0 / np.exp(0.8 * x))
    t_censor = rng.uniform(0, 8.0, n)
    t, e = np.minimum(t_event, t_censor), t_event <= t_censor
    assert 0.08 < 1 - e.mean() < 0.25  # light censoring
    uno = uno_concordance(t, e, t, e, x)
    harrell = concordance_index(t, -x, e)
    assert abs(uno - harrell) < 0.01
    assert uno > 0.65  # the risk really predicts


def test_uno_matches_brute_force_with_censoring_and_ties() -> None:
    rng = np.random.default_rng(5)
    for _ in range(30):
        n = int(rng.integers(2, 80))
        tt = rng.integers(1, 15, n).astype(float)
        et = rng.random(n) < 0.6
        t = rng.integers(1, 15, n).astype(float)
        e = rng.random(n) < 0.6
        eta = rng.integers(0, 6, n).astype(float)
        for tau in (None, 9.5):
            ours, ref = uno_concordance(tt, et, t, e, eta, tau), _brute_uno(tt, et, t, e,
                                                                            eta, tau)
            assert (np.isnan(ours) and np.isnan(ref)) or abs(ours - ref) < 1e-12


def test_uno_refuses_bad_input() -> None:
    t = np.array([1.0, 2.0])
    e = np.array([True, False])
    with pytest.raises(ValueError):
        uno_concordance(t, e, t, e, np.array([1.0, np.nan]))
    with pytest.raises(ValueError):
        uno_concordance(t, e, t, e, np.array([1.0]))
