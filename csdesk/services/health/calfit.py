"""The churn model behind calibration: an L2-penalised logistic regression whose strength is
chosen by cross-validation, with an interval for every input's effect.

Inputs are standardised (per standard deviation, missing values at the mean) so that one
penalty fits all. The strength is picked from a grid by 5-fold cross-validated log-loss on
the rows the model is fitted on (inside each outer fold when the model is being judged:
nested cross-validation). Plain maximum likelihood is on the grid only when the sample
supports every input (see :func:`csdesk.services.health.calstats.riley_sample_size`).

An input's interval is the Wald interval of its penalised coefficient with the sandwich
covariance ``(H + P)⁻¹ H (H + P)⁻¹`` (H the information matrix, P the penalty; le Cessie and
van Houwelingen 1992); with no penalty it is the ordinary Wald interval. One rule reads every
input: it *predicts* when its interval excludes no effect (an odds ratio of 1).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from csdesk.services.health.calstats import Z95

GRID = (0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
UNPENALISED = 1e6  # an L2 strength of 1e-6: maximum likelihood in all but name


@dataclass(frozen=True)
class Fit:
    names: tuple[str, ...]
    coef: np.ndarray  # log-odds of churn per standard deviation of each input
    se: np.ndarray
    intercept: float
    c: float  # inverse penalty strength (scikit-learn's C)
    mean: pd.Series
    std: pd.Series

    @property
    def maximum_likelihood(self) -> bool:
        return self.c >= UNPENALISED

    def standardise(self, x: pd.DataFrame) -> np.ndarray:
        return np.asarray(((x[list(self.names)].fillna(self.mean) - self.mean) / self.std)
                          .to_numpy(dtype=float))

    def predict(self, x: pd.DataFrame) -> np.ndarray:
        """Churn probabilities of the rows of ``x``."""
        lp = self.intercept + self.standardise(x) @ self.coef
        return np.asarray(1 / (1 + np.exp(-lp)))

    def ci(self) -> tuple[np.ndarray, np.ndarray]:
        return self.coef - Z95 * self.se, self.coef + Z95 * self.se


def _choose_c(xs: np.ndarray, y: np.ndarray, grid: tuple[float, ...], seed: int,
              poll: Callable[[], None]) -> float:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    events = int(min(y.sum(), len(y) - y.sum()))
    k = min(5, events)
    if k < 2 or len(grid) == 1:
        return grid[0]
    folds = list(StratifiedKFold(k, shuffle=True, random_state=seed).split(xs, y))
    best, best_loss = grid[0], np.inf
    for c in grid:
        loss = 0.0
        for train, test in folds:
            poll()  # Cancel is honoured between fits, not only between folds
            model = LogisticRegression(C=c, max_iter=2000).fit(xs[train], y[train])
            p = np.clip(model.predict_proba(xs[test])[:, 1], 1e-12, 1 - 1e-12)
            loss -= float(np.sum(y[test] * np.log(p) + (1 - y[test]) * np.log(1 - p)))
        if loss < best_loss - 1e-9:  # on a tie the stronger penalty (earlier) stays
            best, best_loss = c, loss
    return best


def fit(x: pd.DataFrame, y: np.ndarray, *, allow_ml: bool, seed: int = 0,
        poll: Callable[[], None] = lambda: None) -> Fit:
    """Fit the penalised model on all rows of ``x`` (strength by 5-fold CV on them)."""
    from sklearn.linear_model import LogisticRegression

    mean = x.mean()
    std = x.std(ddof=0).replace(0, 1).fillna(1)
    xs = ((x.fillna(mean) - mean) / std).to_numpy(dtype=float)
    grid = (*GRID, UNPENALISED) if allow_ml else GRID
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter on separable folds
        c = _choose_c(xs, y, grid, seed, poll)
        model = LogisticRegression(C=c, max_iter=5000).fit(xs, y)
    coef = np.asarray(model.coef_[0], dtype=float)
    intercept = float(model.intercept_[0])
    p = 1 / (1 + np.exp(-(intercept + xs @ coef)))
    design = np.column_stack([np.ones(len(xs)), xs])
    info = design.T @ (design * (p * (1 - p))[:, None])
    penalty = np.diag([0.0, *([1.0 / c] * xs.shape[1])])
    try:
        inner = np.linalg.inv(info + penalty)
        cov = inner @ info @ inner
        se = np.sqrt(np.clip(np.diag(cov)[1:], 0, None))
    except np.linalg.LinAlgError:
        se = np.full(len(coef), np.nan)
    return Fit(tuple(x.columns), coef, se, intercept, c, mean, std)


@dataclass(frozen=True)
class Verdict:
    predictive: bool  # the effect's interval excludes no effect
    verdict: str  # "predicts" | "predicts, reversed" | "no effect shown" | "not enough evidence"


def verdicts(f: Fit, *, adequate: bool) -> dict[str, Verdict]:
    """One reading of every fitted input from its interval (the rule in the module doc)."""
    lo, hi = f.ci()
    out = {}
    for i, name in enumerate(f.names):
        if not np.isfinite(lo[i]) or not np.isfinite(hi[i]):
            out[name] = Verdict(False, "not enough evidence")
        elif hi[i] < 0:
            out[name] = Verdict(True, "predicts")  # a higher value, less churn
        elif lo[i] > 0:
            out[name] = Verdict(True, "predicts, reversed")
        else:
            out[name] = Verdict(False, "no effect shown" if adequate else "not enough evidence")
    return out


def suggest(f: Fit, current: dict[str, float], *, adequate: bool,
            scoreable: set[str]) -> dict[str, float]:
    """Weights for the health score from a fit, changing only what the evidence supports.

    An input that predicts in the healthy direction is weighted by its effect per point of
    its 0–100 scale (−coefficient ÷ standard deviation); one that predicts reversed, or shows
    no effect in a sample big enough to tell, gets none. An input the sample cannot judge
    (not fitted, or "not enough evidence") keeps its current share: it is never zeroed on
    that evidence alone. The weights sum to 100.
    """
    judged = verdicts(f, adequate=adequate)
    total_now = sum(w for w in current.values() if w > 0) or 1.0
    kept: dict[str, float] = {}
    learned: dict[str, float] = {}
    for name in sorted(set(current) | set(f.names)):
        if name not in scoreable:
            continue
        v = judged.get(name)
        if v is None or v.verdict == "not enough evidence":
            if current.get(name, 0) > 0:
                kept[name] = 100 * current[name] / total_now
        elif v.verdict == "predicts":
            i = f.names.index(name)
            learned[name] = -float(f.coef[i]) / float(f.std[name])
    # The learned inputs take at least the share the current score gave them, and at least
    # their share by count: weight that sat on inputs the evidence now speaks for is theirs.
    current_share = 100 * sum(current.get(n, 0) for n in f.names) / total_now
    by_count = 100 * len(learned) / max(1, len(learned) + len(kept))
    share = (100.0 if not kept else max(current_share, by_count)) if learned else 0.0
    weights: dict[str, float] = {}
    if kept:
        scale = (100 - share) / sum(kept.values())
        weights.update({n: w * scale for n, w in kept.items()})
    total = sum(learned.values())
    if total > 0:
        weights.update({n: share * v / total for n, v in learned.items()})
    return {n: round(w, 1) for n, w in sorted(weights.items(), key=lambda kv: -kv[1])
            if round(w, 1) > 0}
