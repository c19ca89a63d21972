"""Calibration: which health inputs predict churn in *this* book, and how good the score is.

For every account with a known outcome (a renewal that was renewed, expanded, downsold or
churned) the inputs are computed **as of a cut-off before the outcome** (90 days by default),
so nothing measured after the customer decided can leak into the answer. A book that only
has a CRM status column (active / churned) is calibrated on that status. Custom fields are
read as of each outcome's cut-off from the field history; a custom field with no recorded
change can only be taken at its current value — and the report says so.

A logistic regression of churn on the standardised inputs (statsmodels ``Logit``;
L1-regularised when the data separate perfectly) gives each input's coefficient, odds ratio
with its confidence interval and p-value; each input's own ROC AUC is reported beside it.
The model's accuracy is its 5-fold cross-validated AUC; the current score's AUC, the churn
rate in each band (including green accounts that churned) and a calibration curve show how
far the score can be trusted. Suggested weights keep only inputs that predict.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select

from csdesk import clock
from csdesk.db import Database
from csdesk.db.bulk import read_frame
from csdesk.errors import CsdeskError
from csdesk.models import Account, Renewal, UsageSnapshot
from csdesk.services.defaults import ensure_defaults
from csdesk.services.health.inputs import (
    BUILTIN,
    LABELS_INPUT,
    compute_inputs,
    custom_fields_without_history,
    custom_inputs,
)
from csdesk.services.health.scoring import active_models, save_model_version, score_frame

MIN_OUTCOMES = 50
MIN_CHURNED = 10
FOLDS = 5


@dataclass(frozen=True)
class InputReport:
    name: str
    label: str
    coef: float | None
    odds_ratio: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    auc: float | None  # ROC AUC of the input alone (0.5 = no better than chance)
    coverage: float  # share of outcomes that have this input
    predictive: bool
    p_alone: float | None = None  # Mann-Whitney test of the input alone


@dataclass
class CalibrationReport:
    outcomes: int
    churned: int
    cutoff_days: int
    mode: str  # "renewals" (point in time) or "status" (current values)
    inputs: list[InputReport]
    model: dict[str, Any]
    current_score: dict[str, Any]
    bands: dict[str, dict[str, float]]
    calibration_curve: list[dict[str, float]]
    suggested_weights: dict[str, float]
    current_weights: dict[str, float]
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


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


def _outcomes(db: Database, cutoff_days: int, as_of: date) -> tuple[pd.DataFrame, str]:
    with db.read() as s:
        # In key order: the cross-validation folds follow row order, and the same book must
        # give the same answer on SQLite and PostgreSQL.
        ren = read_frame(s, select(Renewal.account_id, Renewal.renewal_date, Renewal.outcome)
                         .where(Renewal.outcome.in_(["renewed", "expanded", "downsold",
                                                     "churned"]))
                         .order_by(Renewal.account_id, Renewal.renewal_date, Renewal.id))
        acc = read_frame(s, select(Account.id.label("account_id"), Account.status,
                                   Account.churned_on, Account.customer_since)
                         .order_by(Account.id))
    ren["renewal_date"] = pd.to_datetime(ren["renewal_date"])
    ren = ren[ren["renewal_date"] <= pd.Timestamp(as_of)]
    if len(ren) >= MIN_OUTCOMES and (ren["outcome"] == "churned").sum() >= MIN_CHURNED:
        out = ren.assign(churned=(ren["outcome"] == "churned").astype(int),
                         as_of=ren["renewal_date"] - pd.Timedelta(days=cutoff_days))
        since = acc.set_index("account_id")["customer_since"]
        since = pd.to_datetime(out["account_id"].map(since))
        out = out[since.isna() | (out["as_of"] >= since)]  # a customer at the cut-off
        return out[["account_id", "as_of", "churned"]].reset_index(drop=True), "renewals"
    churned_on = pd.to_datetime(acc["churned_on"], errors="coerce")
    as_of_col = np.where(acc["status"] == "churned",
                         churned_on.fillna(pd.Timestamp(as_of)) - pd.Timedelta(days=cutoff_days),
                         pd.Timestamp(as_of))
    out = pd.DataFrame({"account_id": acc["account_id"],
                        "as_of": pd.to_datetime(as_of_col),
                        "churned": (acc["status"] == "churned").astype(int)})
    return out, "status"


def _design(frame: pd.DataFrame, names: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """Inputs usable for a fit: present for at least half the outcomes, not constant, and
    not a linear combination of inputs already kept (telco's "No internet service" appears
    in six columns; a Logit cannot tell such copies apart)."""
    keep = [n for n in names if frame[n].notna().mean() >= 0.5 and frame[n].nunique() > 1]
    x = frame[keep].astype(float)
    z, _ = _standardise(x)
    independent: list[int] = []
    for j in range(z.shape[1]):
        trial = z[:, [*independent, j]]
        if np.linalg.matrix_rank(trial) == len(independent) + 1:
            independent.append(j)
    kept = [keep[j] for j in independent]
    return x[kept], kept


def _standardise(train: pd.DataFrame, test: pd.DataFrame | None = None
                 ) -> tuple[np.ndarray, np.ndarray | None]:
    mean, std = train.mean(), train.std(ddof=0).replace(0, 1)
    a = ((train.fillna(mean) - mean) / std).to_numpy()
    b = None if test is None else ((test.fillna(mean) - mean) / std).to_numpy()
    return a, b


def _fit(x: np.ndarray, y: np.ndarray) -> tuple[Any, bool]:
    """A Logit fit; L1-regularised when the data separate perfectly or do not converge."""
    import statsmodels.api as sm

    exog = sm.add_constant(x, has_constant="add")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = sm.Logit(y, exog).fit(disp=0, maxiter=200)
            if result.mle_retvals.get("converged", True) and np.all(np.isfinite(result.bse)):
                return result, False
        except Exception:  # PerfectSeparationError, singular matrix: regularise instead
            pass
        return sm.Logit(y, exog).fit_regularized(disp=0, alpha=1.0, maxiter=500), True


def _predict(result: Any, x: np.ndarray) -> np.ndarray:
    import statsmodels.api as sm

    return np.asarray(result.predict(sm.add_constant(x, has_constant="add")))


def _folds(y: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """Stratified fold numbers: each fold gets its share of churned and retained."""
    rng = np.random.default_rng(seed)
    fold = np.empty(len(y), dtype=int)
    for cls in (0, 1):
        idx = np.flatnonzero(y == cls)
        rng.shuffle(idx)
        fold[idx] = np.arange(len(idx)) % k
    return fold


def cross_validated_auc(x: pd.DataFrame, y: np.ndarray, k: int = FOLDS
                        ) -> tuple[float | None, np.ndarray]:
    """Pooled out-of-fold AUC of the Logit, and the out-of-fold churn probabilities."""
    fold = _folds(y, k)
    pred = np.full(len(y), np.nan)
    for f in range(k):
        train, test = fold != f, fold == f
        if y[train].sum() in (0, train.sum()):
            continue
        xa, xb = _standardise(x[train], x[test])
        assert xb is not None  # given a test frame, _standardise returns it standardised
        result, _ = _fit(xa, y[train])
        pred[test] = _predict(result, xb)
    return auc(y, pred), pred


def calibrate(db: Database, *, cutoff_days: int = 90, inputs: str = "builtin",
              as_of: date | None = None) -> CalibrationReport:
    """The full calibration report (see the module docstring)."""
    if inputs not in ("builtin", "custom", "all"):
        raise CsdeskError("--inputs is builtin, custom or all")
    if cutoff_days < 0:
        raise CsdeskError("the cut-off is a number of days before the outcome (0 or more)")
    as_of = as_of or clock.today()
    if not db.readonly:
        ensure_defaults(db)
    outcomes, mode = _outcomes(db, cutoff_days, as_of)
    notes: list[str] = []
    with db.read() as s:
        models = active_models(s)
        built = compute_inputs(s, outcomes[["account_id", "as_of"]])
        custom, custom_names = custom_inputs(s, outcomes["account_id"], outcomes["as_of"])
        undated = custom_fields_without_history(s, custom_names)
    frame = pd.concat([outcomes, built, custom], axis=1)
    names: list[str] = []
    if inputs in ("builtin", "all"):
        names += [n for n in BUILTIN if n in frame]
    if inputs in ("custom", "all"):
        names += custom_names
        if undated:  # said only of the fields that have no history, and only then
            notes.append(f"Custom fields with no history ({', '.join(undated)}) are taken "
                         "at their current values, not as of the cut-off.")
    if mode == "status":
        notes.append("No renewal history with enough outcomes: each account's status "
                     "(active or churned) is its outcome.")
    y = frame["churned"].to_numpy(dtype=int)
    n_out, n_churn = len(y), int(y.sum())
    warns = []
    if n_out < MIN_OUTCOMES or n_churn < MIN_CHURNED:
        warns.append(f"Only {n_out} outcomes ({n_churn} churned): below {MIN_OUTCOMES} "
                     f"outcomes and {MIN_CHURNED} churned, the numbers are not reliable.")
    if n_churn == 0 or n_churn == n_out:
        raise CsdeskError(f"calibration needs both churned and retained accounts "
                          f"({n_out} outcomes, {n_churn} churned)")
    x, used = _design(frame, names)
    if not used:
        raise CsdeskError("no input has data for at least half of the outcomes; import usage, "
                          "contacts or tickets, or test the file's own columns with "
                          "--inputs custom (or all)")
    dropped = sorted(set(names) - set(used))
    if dropped:
        notes.append(f"Not tested (too little data, constant, or a copy of another input): "
                     f"{', '.join(dropped)}.")
    xs, _ = _standardise(x)
    result, regularised = _fit(xs, y)
    if regularised:
        notes.append("The data separate perfectly or do not converge: the fit is "
                     "L1-regularised, so p-values and intervals are not available.")
    params = np.asarray(result.params)[1:]
    try:
        bse = np.asarray(result.bse)[1:]
        pvalues = np.asarray(result.pvalues)[1:]
    except Exception:
        bse = pvalues = np.full(len(params), np.nan)
    reports = []
    for i, name in enumerate(used):
        p = float(pvalues[i]) if np.isfinite(pvalues[i]) else None
        coef = float(params[i])
        lo, hi = coef - 1.96 * bse[i], coef + 1.96 * bse[i]
        # AUC of the input alone, oriented so that a low value predicting churn is > 0.5.
        a = auc(y, -x[name].to_numpy())
        alone = _p_alone(x[name].to_numpy(), y)
        # Predictive: significant in the joint model, or clearly separating on its own
        # (in a small book the joint model spreads the evidence over correlated inputs).
        predictive = (p is not None and p < 0.05) or (
            alone is not None and alone < 0.01 and a is not None and abs(a - 0.5) >= 0.05)
        reports.append(InputReport(
            name, LABELS_INPUT.get(name, name), coef, float(np.exp(coef)),
            float(np.exp(lo)) if np.isfinite(lo) else None,
            float(np.exp(hi)) if np.isfinite(hi) else None, p, a,
            float(frame[name].notna().mean()), predictive=predictive, p_alone=alone))
    cv_auc, oof = cross_validated_auc(x, y)

    current = models[None].config
    current_weights = {n: float(c["weight"]) for n, c in current["inputs"].items()
                       if c.get("enabled", True)}
    scored = score_frame(frame, current)
    score = scored["score"].to_numpy(dtype=float)
    bands: dict[str, dict[str, float]] = {}
    for band in ("green", "yellow", "red"):
        mask = scored["band"].to_numpy() == band
        n = int(mask.sum())
        churned = int(y[mask].sum())
        bands[band] = {"accounts": n, "churned": churned,
                       "churn_rate": churned / n if n else 0.0}
    curve = []
    valid = ~np.isnan(oof)
    if valid.sum() >= 10:
        bins = min(10, max(2, int(valid.sum() // 20)))
        edges = np.quantile(oof[valid], np.linspace(0, 1, bins + 1))
        which = np.clip(np.searchsorted(edges, oof[valid], side="right") - 1, 0, bins - 1)
        for b in range(bins):
            m = which == b
            if m.any():
                curve.append({"predicted": float(oof[valid][m].mean()),
                              "observed": float(y[valid][m].mean()), "accounts": int(m.sum())})
    suggested = suggest_weights(reports)
    return CalibrationReport(
        outcomes=n_out, churned=n_churn, cutoff_days=cutoff_days, mode=mode, inputs=reports,
        model={"cv_auc": cv_auc, "folds": FOLDS, "regularised": regularised,
               "inputs": used},
        current_score={"auc": auc(y, -score), "model": f"{models[None].name} "
                                                        f"v{models[None].version}"},
        bands=bands, calibration_curve=curve, suggested_weights=suggested,
        current_weights=current_weights, warnings=warns, notes=notes)


def _p_alone(values: np.ndarray, y: np.ndarray) -> float | None:
    from scipy.stats import mannwhitneyu

    ok = ~np.isnan(values)
    a, b = values[ok & (y == 1)], values[ok & (y == 0)]
    if len(a) < 3 or len(b) < 3:
        return None
    return float(mannwhitneyu(a, b, alternative="two-sided").pvalue)


def suggest_weights(reports: list[InputReport]) -> dict[str, float]:
    """Keep the built-in inputs that predict churn in the healthy direction (a higher value
    means less churn); weight each by how well it separates on its own (AUC − 0.5), summing
    to 100. Inputs that do not predict get no weight."""
    keep = {r.name: r.auc - 0.5 for r in reports
            if r.name in BUILTIN and r.predictive and r.auc is not None and r.auc > 0.5}
    total = sum(keep.values())
    if not total:
        return {}
    return {n: round(100 * v / total, 1) for n, v in sorted(keep.items(),
                                                            key=lambda kv: -kv[1])}


def apply_suggestion(db: Database, report: CalibrationReport) -> int:
    """Save the suggested weights as a new version of the default model; return its version."""

    if not report.suggested_weights:
        raise CsdeskError("calibration found no input that predicts churn; nothing to apply")
    with db.read() as s:
        config = active_models(s)[None].config
    inputs = {n: {"enabled": n in report.suggested_weights,
                  "weight": report.suggested_weights.get(n, 0.0)} for n in config["inputs"]}
    model = save_model_version(
        db, {**config, "inputs": inputs},
        notes=f"Calibrated on {report.outcomes} outcomes ({report.churned} churned), CV AUC "
              f"{report.model['cv_auc']:.3f}")
    return model.version


@dataclass(frozen=True)
class MagicNumber:
    metric: str
    days: int
    threshold: float | None
    retention_above: float | None
    retention_below: float | None
    accounts_above: int
    accounts_below: int
    accounts: int


def magic_number(db: Database, *, metric: str = "key_events", days: int = 90,
                 as_of: date | None = None) -> MagicNumber:
    """The threshold of a usage metric, summed over an account's first ``days`` days, that
    best separates retained from churned accounts (Slack's "2,000 messages")."""

    allowed = ("key_events", "active_users", "features_used", "logins")
    if metric not in allowed:
        raise CsdeskError(f"the metric is one of {', '.join(allowed)}")
    as_of = as_of or clock.today()
    with db.read() as s:
        acc = read_frame(s, select(Account.id.label("account_id"), Account.status,
                                   Account.customer_since).order_by(Account.id))
        usage = read_frame(s, select(UsageSnapshot.account_id, UsageSnapshot.date,
                                     getattr(UsageSnapshot, metric).label("value"))
                           .order_by(UsageSnapshot.account_id, UsageSnapshot.date))
    acc["customer_since"] = pd.to_datetime(acc["customer_since"])
    acc = acc[acc["customer_since"].notna()
              & (acc["customer_since"] <= pd.Timestamp(as_of - timedelta(days=days)))]
    usage["date"] = pd.to_datetime(usage["date"])
    joined = usage.merge(acc, on="account_id")
    first = joined[(joined["date"] >= joined["customer_since"])
                   & (joined["date"] < joined["customer_since"] + pd.Timedelta(days=days))]
    # Only accounts whose usage history covers their first days can be judged.
    covered = first.groupby("account_id")["date"].min() <= \
        first.groupby("account_id")["customer_since"].min() + pd.Timedelta(days=14)
    totals = first.groupby("account_id")["value"].sum()[covered]
    kept = acc.set_index("account_id").loc[totals.index, "status"] != "churned"
    n = len(totals)
    best: tuple[float | None, float | None, float | None, int, int] = (None, None, None, 0, 0)
    if n >= 20 and kept.nunique() == 2:
        values, retained = totals.to_numpy(float), kept.to_numpy(bool)
        best_gap = -1.0
        for t in np.unique(np.quantile(values, np.linspace(0.1, 0.9, 33))):
            above = values >= t
            if above.sum() < 0.1 * n or (~above).sum() < 0.1 * n:
                continue
            ra, rb = retained[above].mean(), retained[~above].mean()
            if ra - rb > best_gap:
                best_gap = ra - rb
                best = (float(t), float(ra), float(rb), int(above.sum()), int((~above).sum()))
    return MagicNumber(metric, days, best[0], best[1], best[2], best[3], best[4], n)
