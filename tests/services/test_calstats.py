"""The calibration's statistics and its suggestion rule, against hand computations."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from csdesk.services.health import calfit, calstats


def test_bootstrap_auc_with_every_row_once_is_the_auc() -> None:
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 500)
    score = np.round(y + rng.normal(0, 1.2, 500), 1)  # ties on purpose
    values, group = np.unique(score, return_inverse=True)
    once = calstats._auc_weighted(group, y.astype(float), np.ones(500), len(values))
    assert once == pytest.approx(calstats.auc(y, score), abs=1e-12)


def test_paired_intervals_are_paired_and_contain_the_estimate() -> None:
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 800)
    good = y + rng.normal(0, 0.8, 800)
    resamples = calstats.Resamples(800, 300)
    a, b = calstats.bootstrap_aucs(y, [good, good], resamples)
    assert np.array_equal(a, b)  # the same resamples for both scores
    lo, hi = calstats.interval(a)
    assert lo < calstats.auc(y, good) < hi


def test_wilson_interval_by_hand() -> None:
    # 4 of 50: p = 0.08, z = 1.96 → (0.0315, 0.1884), as published tables give.
    lo, hi = calstats.wilson(4, 50)
    assert lo == pytest.approx(0.0315, abs=5e-4) and hi == pytest.approx(0.1884, abs=5e-4)
    assert calstats.wilson(0, 0) is None


def test_riley_sample_size_by_hand() -> None:
    n, events = 244, 39
    phi = events / n
    r2_max = 1 - math.exp(2 * (phi * math.log(phi) + (1 - phi) * math.log(1 - phi)))
    per_input = -0.1 * math.log(1 - 0.15 * r2_max / 0.9)
    size = calstats.riley_sample_size(n, events, 9)
    assert size.inputs_supported == math.floor(n * per_input) == 2
    assert size.outcomes_needed == math.ceil(9 / per_input) == 878
    assert not size.adequate
    assert calstats.riley_sample_size(5000, 700, 9).adequate


def test_calibration_of_true_probabilities_is_near_perfect() -> None:
    rng = np.random.default_rng(3)
    p = rng.uniform(0.02, 0.6, 20_000)
    y = (rng.uniform(size=p.size) < p).astype(int)
    fit = calstats.calibration_fit(y, p, calstats.Resamples(p.size, 200))
    assert fit.slope == pytest.approx(1, abs=0.08) and fit.intercept == pytest.approx(0, abs=0.05)
    assert fit.slope_ci[0] < 1 < fit.slope_ci[1]
    assert fit.brier == pytest.approx(float(np.mean((p - y) ** 2)))


def test_top_decile_lift() -> None:
    y = np.array([1] * 10 + [0] * 90)
    risk = np.arange(100, 0, -1, dtype=float)  # the churned are the riskiest tenth
    assert calstats.top_decile_lift(y, risk) == pytest.approx(10.0)


def _fit(names: list[str], coef: list[float], se: list[float]) -> calfit.Fit:
    return calfit.Fit(tuple(names), np.array(coef), np.array(se), -2.0, 0.1,
                      pd.Series(50.0, index=names), pd.Series(20.0, index=names))


def test_suggest_changes_only_what_the_evidence_supports() -> None:
    current = {"a": 40.0, "b": 30.0, "c": 30.0}
    # a predicts (healthy direction), b shows nothing, c was not fitted.
    f = _fit(["a", "b"], [-0.8, 0.05], [0.1, 0.2])
    small = calfit.suggest(f, current, adequate=False, scoreable={"a", "b", "c"})
    assert set(small) == {"a", "b", "c"}  # nothing zeroed on thin evidence
    assert sum(small.values()) == pytest.approx(100, abs=0.2)
    assert small["b"] == pytest.approx(small["c"])  # b and c keep their equal shares
    large = calfit.suggest(f, current, adequate=True, scoreable={"a", "b", "c"})
    assert "b" not in large and set(large) == {"a", "c"}  # no effect in a big sample: off
    reversed_ = _fit(["a", "b"], [-0.8, 0.9], [0.1, 0.2])  # b: more of it, more churn
    assert "b" not in calfit.suggest(reversed_, current, adequate=False,
                                     scoreable={"a", "b", "c"})


def test_suggest_moves_weight_off_inputs_the_evidence_does_not_support() -> None:
    """All current weight sat on an unfitted input: what predicts still gets a share."""
    f = _fit(["a"], [-0.8], [0.1])
    out = calfit.suggest(f, {"z": 100.0}, adequate=False, scoreable={"a", "z"})
    assert out["a"] > 0 and out["z"] > 0 and sum(out.values()) == pytest.approx(100, abs=0.2)
    only = calfit.suggest(f, {"a": 10.0}, adequate=True, scoreable={"a"})
    assert only == {"a": 100.0}


def test_verdict_is_read_from_the_interval_alone() -> None:
    f = _fit(["a", "b", "c"], [-0.5, 0.5, -0.1], [0.2, 0.2, 0.2])
    v = calfit.verdicts(f, adequate=True)
    assert (v["a"].predictive, v["a"].verdict) == (True, "predicts")
    assert (v["b"].predictive, v["b"].verdict) == (True, "predicts, reversed")
    assert (v["c"].predictive, v["c"].verdict) == (False, "no effect shown")
    assert calfit.verdicts(f, adequate=False)["c"].verdict == "not enough evidence"
