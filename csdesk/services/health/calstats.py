"""The statistics a calibration reports, each with its uncertainty.

Discrimination is the ROC AUC (the chance a churned renewal scored riskier than a renewed
one). Its 95 % interval comes from a bootstrap over the renewal decisions; a *paired*
bootstrap (the same resamples for two scores) gives the interval of the difference between
two scores on the same rows, which is how a suggestion is compared with the current score.
The bootstrap AUC is computed in O(n) per resample from one sort (resampling is a vector of
counts), so 1,000 resamples of 100,000 rows take seconds.

Calibration is the slope and intercept of the observed outcome on the predicted log-odds
(Cox 1958; slope 1 and intercept 0 are perfect) and the Brier score. Rates by band carry
Wilson intervals. The sample size needed for the inputs in play follows Riley et al. (2019),
criteria (i) and (iii), with the anticipated Cox–Snell R² taken as 15 % of its maximum (their
conservative default when no earlier model is known).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

BOOTSTRAP = 1000
Z95 = 1.959963984540054


def auc(y: np.ndarray, score: np.ndarray) -> float | None:
    """ROC AUC: the chance a random positive scores above a random negative (ties half)."""
    from scipy.stats import rankdata

    mask = ~np.isnan(score)
    y, score = y[mask], score[mask]
    pos, neg = int(y.sum()), int(len(y) - y.sum())
    if pos == 0 or neg == 0:
        return None
    ranks = rankdata(score)
    return float((ranks[y == 1].sum() - pos * (pos + 1) / 2) / (pos * neg))


class Resamples:
    """One fixed set of bootstrap resamples of n rows (as counts per row), reused for every
    figure so that intervals of different scores are paired."""

    def __init__(self, n: int, b: int = BOOTSTRAP, seed: int = 20190101) -> None:
        rng = np.random.default_rng(seed)
        self.n, self.b = n, b
        self._seeds = rng.integers(0, 2**32 - 1, size=b)

    def counts(self, limit: int | None = None) -> Iterator[np.ndarray]:
        """The resamples, as how many times each row was drawn (made one at a time: 1,000
        resamples of 100,000 rows would not fit in memory at once)."""
        for s in self._seeds[:limit]:
            draw = np.random.default_rng(int(s)).integers(0, self.n, self.n)
            yield np.bincount(draw, minlength=self.n)


def _auc_weighted(group: np.ndarray, y: np.ndarray, w: np.ndarray, groups: int) -> float:
    """AUC of a score already reduced to tie groups (ascending), with row weights ``w``."""
    pos = np.bincount(group, weights=w * y, minlength=groups)
    neg = np.bincount(group, weights=w * (1 - y), minlength=groups)
    total_pos, total_neg = pos.sum(), neg.sum()
    if total_pos == 0 or total_neg == 0:
        return float("nan")
    below = np.cumsum(neg) - neg  # negatives scoring strictly lower
    return float((pos * (below + 0.5 * neg)).sum() / (total_pos * total_neg))


def bootstrap_aucs(y: np.ndarray, scores: list[np.ndarray], resamples: Resamples
                   ) -> list[np.ndarray]:
    """The AUC of each score on every resample (rows where any score is missing are left
    out of all, so the scores stay paired)."""
    ok = np.ones(len(y), dtype=bool)
    for s in scores:
        ok &= ~np.isnan(s)
    prepared = []
    for s in scores:
        values, group = np.unique(s, return_inverse=True)
        prepared.append((group, len(values)))
    yf = y.astype(float)
    out = [np.empty(resamples.b) for _ in scores]
    for i, counts in enumerate(resamples.counts()):
        w = counts * ok
        for j, (group, groups) in enumerate(prepared):
            out[j][i] = _auc_weighted(group, yf, w, groups)
    return out


def bootstrap_aucs_each(y: np.ndarray, scores: list[np.ndarray], resamples: Resamples,
                        limit: int = 200) -> list[np.ndarray]:
    """The AUC of each score on the first ``limit`` resamples, each on its own rows (an
    input's interval, not a paired comparison)."""
    yf = y.astype(float)
    prepared = []
    for s in scores:
        ok = ~np.isnan(s)
        values, group = np.unique(np.where(ok, s, 0.0), return_inverse=True)
        prepared.append((group, len(values), ok))
    out = [np.empty(min(limit, resamples.b)) for _ in scores]
    for i, counts in enumerate(resamples.counts(limit)):
        for j, (group, groups, ok) in enumerate(prepared):
            out[j][i] = _auc_weighted(group, yf, counts * ok, groups)
    return out


def interval(values: np.ndarray) -> tuple[float, float] | None:
    """The percentile 95 % interval of bootstrap values (None when too few are defined)."""
    v = values[np.isfinite(values)]
    if len(v) < 20:
        return None
    lo, hi = np.quantile(v, [0.025, 0.975])
    return float(lo), float(hi)


def wilson(k: int, n: int) -> tuple[float, float] | None:
    """Wilson score 95 % interval of a proportion k/n."""
    if n == 0:
        return None
    p = k / n
    denom = 1 + Z95 ** 2 / n
    centre = (p + Z95 ** 2 / (2 * n)) / denom
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95 ** 2 / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class CalibrationFit:
    slope: float | None
    slope_ci: tuple[float, float] | None
    intercept: float | None  # calibration-in-the-large: 0 when the average risk is right
    intercept_ci: tuple[float, float] | None
    brier: float | None
    brier_ci: tuple[float, float] | None


def calibration_fit(y: np.ndarray, p: np.ndarray, resamples: Resamples) -> CalibrationFit:
    """Slope (logistic regression of y on logit p), intercept (with the slope fixed at 1)
    and Brier score of out-of-sample probabilities ``p``."""
    import statsmodels.api as sm

    ok = ~np.isnan(p)
    y, p = y[ok].astype(float), np.clip(p[ok], 1e-6, 1 - 1e-6)
    if len(y) < 10 or y.sum() in (0, len(y)):
        return CalibrationFit(None, None, None, None, None, None)
    lp = np.log(p / (1 - p))
    slope = slope_ci = intercept = intercept_ci = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fit = sm.GLM(y, sm.add_constant(lp), family=sm.families.Binomial()).fit()
            slope = float(fit.params[1])
            lo, hi = fit.conf_int()[1]
            slope_ci = (float(lo), float(hi))
            fit0 = sm.GLM(y, np.ones((len(y), 1)), family=sm.families.Binomial(),
                          offset=lp).fit()
            intercept = float(fit0.params[0])
            lo, hi = fit0.conf_int()[0]
            intercept_ci = (float(lo), float(hi))
        except Exception:  # a degenerate column of predictions: no slope to report
            pass
    sq = (p - y) ** 2
    brier = float(sq.mean())
    boot = np.array([(c[ok] * sq).sum() / max(1, c[ok].sum()) for c in resamples.counts(200)])
    return CalibrationFit(slope, slope_ci, intercept, intercept_ci, brier, interval(boot))


def top_decile_lift(y: np.ndarray, risk: np.ndarray) -> float | None:
    """Churn rate among the riskiest tenth ÷ the overall churn rate."""
    ok = ~np.isnan(risk)
    y, risk = y[ok], risk[ok]
    if len(y) < 20 or y.sum() == 0:
        return None
    k = max(1, len(y) // 10)
    top = np.argsort(-risk, kind="stable")[:k]
    return float(y[top].mean() / y.mean())


def lift_interval(y: np.ndarray, risk: np.ndarray, resamples: Resamples
                  ) -> tuple[float, float] | None:
    """Bootstrap interval of the top-decile lift (200 of the shared resamples)."""
    order = np.argsort(-risk, kind="stable")
    ok = ~np.isnan(risk[order])
    order = order[ok]
    ys = y[order].astype(float)
    out = []
    for counts in resamples.counts(200):
        c = counts[order].astype(float)
        total = c.sum()
        if total == 0:
            continue
        cum = np.cumsum(c)
        k = np.searchsorted(cum, total / 10)  # the riskiest tenth of the resample
        top_rate = (c[:k + 1] * ys[:k + 1]).sum() / cum[k]
        rate = (c * ys).sum() / total
        if rate > 0:
            out.append(top_rate / rate)
    return interval(np.array(out))


@dataclass(frozen=True)
class SampleSize:
    """What the book's renewals can support (Riley et al. 2019, binary outcome)."""

    outcomes: int
    events: int
    inputs_available: int
    inputs_supported: int  # the most inputs the sample supports with shrinkage ≥ 0.9
    outcomes_needed: int  # for the inputs available (the largest of the criteria)
    adequate: bool
    rule: str


def riley_sample_size(n: int, events: int, inputs: int) -> SampleSize:
    """Riley et al. (2019) criteria (i) expected shrinkage ≥ 0.9 and (iii) the overall risk
    within ±0.05, with the anticipated Cox–Snell R² at 15 % of its maximum."""
    phi = events / n if n else 0.0
    rule = ("Riley et al. 2019: expected shrinkage ≥ 0.9 and the churn rate within ±5 "
            "points, anticipating a Cox–Snell R² of 15% of its maximum")
    if n == 0 or phi in (0.0, 1.0):
        return SampleSize(n, events, inputs, 0, 0, False, rule)
    ln_null = events * math.log(phi) + (n - events) * math.log(1 - phi)
    r2_max = 1 - math.exp(2 * ln_null / n)
    r2 = 0.15 * r2_max
    s = 0.9
    per_input = (s - 1) * math.log(1 - r2 / s)  # outcomes per input: 1 / this
    supported = math.floor(n * per_input)
    need_i = math.ceil(inputs / per_input) if inputs else 0
    need_iii = math.ceil((Z95 / 0.05) ** 2 * phi * (1 - phi))
    needed = max(need_i, need_iii)
    return SampleSize(n, events, inputs, max(0, supported), needed, n >= needed, rule)
