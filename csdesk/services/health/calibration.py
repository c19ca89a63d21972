"""Calibration: which health inputs predict churn in *this* book, and how far the score can
be trusted — every figure with its uncertainty, and never a suggestion that scores worse.

**The grain.** One row per renewal decision (an account's renewal that was renewed,
expanded, downsold or churned), with the inputs **as of a horizon before it** (90 days by
default), so nothing measured after the customer decided can leak in: the discrete-time
design for contract renewals. Custom fields are read as of each row's day from the field
history; a field with no recorded change can only be taken at its current value, and the
report says so. A book with only a CRM status column (active / churned) is calibrated on
that status. ``outcome="downsell"`` asks instead which inputs foretell a downsell among the
customers who stayed.

**The model** (:mod:`csdesk.services.health.calfit`): an L2-penalised logistic regression,
strength chosen by cross-validation inside each fold (nested), so a small book gets shrunken,
stable weights; plain maximum likelihood only when the sample supports every input (Riley et
al. 2019, :mod:`csdesk.services.health.calstats`). Below that, fewer inputs are fitted (those
the current score leans on most — chosen before looking at the data) and no input is zeroed
on that evidence alone.

**The figures** (:mod:`csdesk.services.health.calstats`): AUCs with bootstrap 95 % intervals,
calibration slope, intercept and Brier score, churn by band with Wilson intervals, top-decile
lift, and Kaplan–Meier retention by band and segment (:mod:`csdesk.services.health.survival`).

**Never worse.** Suggested weights are made in every fold from that fold's training rows and
score its held-out rows exactly as the health score would; they are offered only when, on the
same held-out rows, their AUC beats the current score's with a paired bootstrap interval of
the difference above zero. Otherwise the report says the current weights are as good as the
data can tell, and why.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
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
from csdesk.progress import CancelFn, ProgressFn, Reporter
from csdesk.services.defaults import ensure_defaults
from csdesk.services.health import calfit, calstats
from csdesk.services.health.calstats import auc
from csdesk.services.health.inputs import (
    BUILTIN,
    LABELS_INPUT,
    compute_inputs,
    custom_fields_without_history,
    custom_inputs,
)
from csdesk.services.health.scoring import active_models, save_model_version, score_frame

__all__ = ["CalibrationReport", "InputReport", "MagicNumber", "apply_suggestion", "auc",
           "calibrate", "magic_number"]

MIN_OUTCOMES = 50
MIN_CHURNED = 10
FOLDS = 5
OUTCOMES = ("churn", "downsell")


@dataclass(frozen=True)
class InputReport:
    name: str
    label: str
    coef: float | None  # log-odds of the outcome per standard deviation (None: not fitted)
    odds_ratio: float | None
    ci_low: float | None  # the odds ratio's 95 % interval
    ci_high: float | None
    p_value: float | None
    auc: float | None  # ROC AUC of the input alone (0.5 = no better than chance)
    coverage: float  # share of outcomes that have this input
    predictive: bool  # the effect's interval excludes no effect (one rule, everywhere)
    p_alone: float | None = None  # Mann-Whitney test of the input alone
    effect_ci: tuple[float, float] | None = None  # (ci_low, ci_high)
    verdict: str = "not tested"  # predicts | predicts, reversed | no effect shown |
    #                              not enough evidence | not tested
    fitted: bool = False
    auc_ci: tuple[float, float] | None = None  # bootstrap interval of the AUC alone


@dataclass
class CalibrationReport:
    outcomes: int
    churned: int
    cutoff_days: int
    mode: str  # "renewals" (point in time) or "status" (current values)
    inputs: list[InputReport]
    model: dict[str, Any]
    current_score: dict[str, Any]
    bands: dict[str, dict[str, Any]]
    calibration_curve: list[dict[str, float]]
    suggested_weights: dict[str, float] | None
    current_weights: dict[str, float]
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    suggestion_withheld: str | None = None
    suggestion: dict[str, Any] = field(default_factory=dict)  # held-out before/after
    calibration: dict[str, Any] = field(default_factory=dict)
    lift: dict[str, Any] = field(default_factory=dict)
    sample_size: dict[str, Any] = field(default_factory=dict)
    survival: dict[str, Any] = field(default_factory=dict)
    outcome: str = "churn"
    horizon_days: int = 90
    as_of: date | None = None
    period: tuple[date, date] | None = None  # the first and last outcome's day

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    def predictors(self) -> list[InputReport]:
        return [r for r in self.inputs if r.predictive]


def _outcomes(db: Database, cutoff_days: int, as_of: date, outcome: str
              ) -> tuple[pd.DataFrame, str]:
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
    if outcome == "downsell":
        ren = ren[ren["outcome"] != "churned"]
        event = "downsold"
    else:
        event = "churned"
    if len(ren) >= MIN_OUTCOMES and (ren["outcome"] == event).sum() >= MIN_CHURNED:
        out = ren.assign(churned=(ren["outcome"] == event).astype(int),
                         as_of=ren["renewal_date"] - pd.Timedelta(days=cutoff_days))
        since = acc.set_index("account_id")["customer_since"]
        since = pd.to_datetime(out["account_id"].map(since))
        out = out[since.isna() | (out["as_of"] >= since)]  # a customer at the cut-off
        return (out[["account_id", "as_of", "churned", "renewal_date"]]
                .reset_index(drop=True), "renewals")
    if outcome == "downsell":
        raise CsdeskError(f"a downsell calibration needs renewal outcomes: the book has "
                          f"{len(ren)} renewals of customers who stayed, "
                          f"{int((ren['outcome'] == 'downsold').sum())} downsold (at least "
                          f"{MIN_OUTCOMES} and {MIN_CHURNED})")
    churned_on = pd.to_datetime(acc["churned_on"], errors="coerce")
    day = np.where(acc["status"] == "churned", churned_on.fillna(pd.Timestamp(as_of)),
                   pd.Timestamp(as_of))
    gone = acc["status"] == "churned"
    out = pd.DataFrame({"account_id": acc["account_id"],
                        "as_of": pd.to_datetime(np.where(
                            gone, pd.to_datetime(day) - pd.Timedelta(days=cutoff_days),
                            pd.to_datetime(day))),
                        "churned": gone.astype(int),
                        "renewal_date": pd.to_datetime(day)})
    return out, "status"


def _design(frame: pd.DataFrame, names: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """Inputs usable for a fit: present for at least half the outcomes, not constant, and
    not a linear combination of inputs already kept (telco's "No internet service" appears
    in six columns; a model cannot tell such copies apart)."""
    keep = [n for n in names if frame[n].notna().mean() >= 0.5 and frame[n].nunique() > 1]
    x = frame[keep].astype(float)
    z = ((x.fillna(x.mean()) - x.mean()) / x.std(ddof=0).replace(0, 1)).to_numpy()
    independent: list[int] = []
    for j in range(z.shape[1]):
        trial = z[:, [*independent, j]]
        if np.linalg.matrix_rank(trial) == len(independent) + 1:
            independent.append(j)
    kept = [keep[j] for j in independent]
    return x[kept], kept


def _folds(y: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """Stratified fold numbers: each fold gets its share of churned and retained."""
    rng = np.random.default_rng(seed)
    fold = np.empty(len(y), dtype=int)
    for cls in (0, 1):
        idx = np.flatnonzero(y == cls)
        rng.shuffle(idx)
        fold[idx] = np.arange(len(idx)) % k
    return fold


def _p_alone(values: np.ndarray, y: np.ndarray) -> float | None:
    from scipy.stats import mannwhitneyu

    ok = ~np.isnan(values)
    a, b = values[ok & (y == 1)], values[ok & (y == 0)]
    if len(a) < 3 or len(b) < 3:
        return None
    return float(mannwhitneyu(a, b, alternative="two-sided").pvalue)


def _in_play(used: list[str], supported: int, current: dict[str, float]) -> list[str]:
    """The inputs to fit when the sample cannot support them all: those the current score
    leans on most (a choice made before looking at the outcomes), then the rest in order."""
    if len(used) <= supported:
        return used
    ranked = sorted(used, key=lambda n: (-current.get(n, 0.0), used.index(n)))
    chosen = set(ranked[:max(1, supported)])
    return [n for n in used if n in chosen]


def _with_weights(config: dict[str, Any], weights: dict[str, float]) -> dict[str, Any]:
    names = set(config["inputs"]) | set(weights)
    return {**config, "inputs": {n: {**config["inputs"].get(n, {}), "enabled": n in weights,
                                     "weight": weights.get(n, 0.0)} for n in names}}


def _scores(frame: pd.DataFrame, config: dict[str, Any]) -> np.ndarray:
    return np.asarray(score_frame(frame, config)["score"].to_numpy(dtype=float))


def _interval(ci: tuple[float, float] | None) -> list[float] | None:
    return None if ci is None else [ci[0], ci[1]]


def calibrate(db: Database, *, cutoff_days: int = 90, inputs: str = "builtin",
              as_of: date | None = None, outcome: str = "churn",
              progress: ProgressFn | None = None, cancel: CancelFn | None = None,
              bootstrap: int = calstats.BOOTSTRAP) -> CalibrationReport:
    """The full calibration report (see the module docstring)."""
    if inputs not in ("builtin", "custom", "all"):
        raise CsdeskError("--inputs is builtin, custom or all")
    if outcome not in OUTCOMES:
        raise CsdeskError("--outcome is churn or downsell")
    if cutoff_days < 0:
        raise CsdeskError("the horizon is a number of days before the outcome (0 or more)")
    step = Reporter(progress, cancel)
    as_of = as_of or clock.today()
    if not db.readonly:
        ensure_defaults(db)
    step.checkpoint(0.02, "Reading the renewal decisions")
    outcomes, mode = _outcomes(db, cutoff_days, as_of, outcome)
    notes: list[str] = []
    step.checkpoint(0.05, f"Measuring the inputs of {len(outcomes):,} renewal decisions "
                          f"{cutoff_days} days before each")
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
                         "at their current values, not as of the horizon.")
    if mode == "status":
        notes.append("No renewal history with enough outcomes: each account's status "
                     "(active or churned) is its outcome, with inputs at their values "
                     f"{cutoff_days} days before a churn and today for the rest.")
    y = frame["churned"].to_numpy(dtype=int)
    n_out, n_churn = len(y), int(y.sum())
    warns = []
    if n_out < MIN_OUTCOMES or n_churn < MIN_CHURNED:
        warns.append(f"Only {n_out} outcomes ({n_churn} {_event(outcome)}): below "
                     f"{MIN_OUTCOMES} outcomes and {MIN_CHURNED} events, the numbers are "
                     "not reliable.")
    if n_churn == 0 or n_churn == n_out:
        raise CsdeskError(f"calibration needs both {_event(outcome)} and other renewals "
                          f"({n_out} outcomes, {n_churn} {_event(outcome)})")
    x, used = _design(frame, names)
    if not used:
        raise CsdeskError("no input has data for at least half of the outcomes; import usage, "
                          "contacts or tickets, or test the file's own columns with "
                          "--inputs custom (or all)")
    dropped = sorted(set(names) - set(used))
    if dropped:
        notes.append(f"Not tested (too little data, constant, or a copy of another input): "
                     f"{', '.join(LABELS_INPUT.get(n, n) for n in dropped)}.")

    default = models[None]
    current = default.config
    current_weights = {n: float(c["weight"]) for n, c in current["inputs"].items()
                       if c.get("enabled", True) and float(c.get("weight", 0)) > 0}
    sample = calstats.riley_sample_size(n_out, n_churn, len(used))
    fitted = _in_play(used, sample.inputs_supported, current_weights)
    if len(fitted) < len(used):
        notes.append(
            f"{n_churn} {_event(outcome)} among {n_out} renewals support about "
            f"{sample.inputs_supported} input{'s' if sample.inputs_supported != 1 else ''} "
            f"in one model, not {len(used)} ({sample.outcomes_needed:,} renewals would): "
            f"{len(fitted)} fitted: {', '.join(LABELS_INPUT.get(n, n) for n in fitted)} "
            "(those the current score weighs most, ties in the order of the inputs — chosen "
            "before looking at the outcomes, so the intervals stay honest); the rest are "
            "shown alone and keep their weight.")
    scoreable = set(BUILTIN)

    # Out of sample: each fold's model and suggestion, made from the other folds only.
    fold = _folds(y, FOLDS)
    oof = np.full(n_out, np.nan)
    suggested_oof = np.full(n_out, np.nan)
    xf = x[fitted]
    for f in range(FOLDS):
        step.checkpoint(0.3 + 0.45 * f / FOLDS,
                        f"Cross-validating: fold {f + 1} of {FOLDS} (strength chosen "
                        "inside the fold)")
        train, test = fold != f, fold == f
        if y[train].sum() in (0, train.sum()):
            continue
        model_f = calfit.fit(xf[train], y[train], allow_ml=sample.adequate, seed=f,
                             poll=step.poll)
        oof[test] = model_f.predict(xf[test])
        weights_f = calfit.suggest(model_f, current_weights, adequate=sample.adequate,
                                   scoreable=scoreable)
        if weights_f:
            suggested_oof[test] = _scores(frame[test], _with_weights(current, weights_f))
    step.checkpoint(0.78, "Fitting the model on every renewal")
    final = calfit.fit(xf, y, allow_ml=sample.adequate, seed=FOLDS, poll=step.poll)
    judged = calfit.verdicts(final, adequate=sample.adequate)
    suggested = calfit.suggest(final, current_weights, adequate=sample.adequate,
                               scoreable=scoreable)
    lo, hi = final.ci()
    reports = []
    for name in used:
        a = auc(y, -x[name].to_numpy())  # oriented: > 0.5 when a low value goes with churn
        alone = _p_alone(x[name].to_numpy(), y)
        coverage = float(frame[name].notna().mean())
        if name in final.names:
            i = final.names.index(name)
            coef, se = float(final.coef[i]), float(final.se[i])
            p = float(2 * _norm_sf(abs(coef / se))) if se > 0 else None
            ci = (float(np.exp(lo[i])), float(np.exp(hi[i]))) if np.isfinite(se) else None
            v = judged[name]
            reports.append(InputReport(
                name, LABELS_INPUT.get(name, name), coef, float(np.exp(coef)),
                ci[0] if ci else None, ci[1] if ci else None, p, a, coverage,
                predictive=v.predictive, p_alone=alone, effect_ci=ci, verdict=v.verdict,
                fitted=True))
        else:
            reports.append(InputReport(
                name, LABELS_INPUT.get(name, name), None, None, None, None, None, a,
                coverage, predictive=False, p_alone=alone, verdict="not enough evidence"))

    step.checkpoint(0.85, f"Bootstrapping the intervals ({bootstrap:,} resamples)")
    score_now = _scores(frame, current)
    resamples = calstats.Resamples(n_out, bootstrap)
    boot_alone = calstats.bootstrap_aucs_each(
        y, [-x[r.name].to_numpy() for r in reports], resamples, limit=200)
    reports = [replace(r, auc_ci=calstats.interval(b)) for r, b in zip(reports, boot_alone,
                                                                      strict=True)]
    model_boot, = calstats.bootstrap_aucs(y, [oof], resamples)
    cv_auc = auc(y, oof)
    paired = [-score_now, -suggested_oof] if suggested else [-score_now]
    paired_boot = calstats.bootstrap_aucs(y, paired, resamples)
    both = ~np.isnan(score_now) & (~np.isnan(suggested_oof) if suggested else True)
    cur_auc = auc(y[both], -score_now[both]) if both.any() else None
    current_block = {"auc": cur_auc, "cv_auc": cur_auc,
                     "cv_auc_ci": _interval(calstats.interval(paired_boot[0])),
                     "rows": int(both.sum()),
                     "model": f"{default.name} v{default.version}",
                     "top_decile_lift": calstats.top_decile_lift(y, -score_now)}
    suggestion: dict[str, Any] = {}
    withheld = None
    if not suggested:
        withheld = ("no built-in input predicts in the healthy direction, so there are no "
                    "weights to suggest" if sample.adequate or not current_weights else
                    "the sample is too small to judge any input: the current weights are as "
                    "good as the data can tell")
    else:
        sug_auc = auc(y[both], -suggested_oof[both])
        diff = paired_boot[1] - paired_boot[0]
        diff_ci = calstats.interval(diff)
        suggestion = {"cv_auc": sug_auc, "cv_auc_ci": _interval(calstats.interval(
            paired_boot[1])), "current_cv_auc": cur_auc,
            "difference": None if sug_auc is None or cur_auc is None else sug_auc - cur_auc,
            "difference_ci": _interval(diff_ci), "rows": int(both.sum())}
        if _same_weights(suggested, current_weights):
            withheld = ("no input has shown enough to move a weight: the current weights are "
                        "as good as the data can tell")
        elif cur_auc is None or sug_auc is None or diff_ci is None:
            withheld = "the current score could not be compared on the same renewals"
        elif diff_ci[0] <= 0:
            withheld = (
                f"on the held-out renewals the suggestion scores AUC {sug_auc:.3f} against "
                f"{cur_auc:.3f} for the current weights (difference {sug_auc - cur_auc:+.3f}, "
                f"95% interval {diff_ci[0]:+.3f} to {diff_ci[1]:+.3f}): not a clear "
                "improvement, so the current weights are as good as the data can tell")
    if withheld is not None and not sample.adequate:
        withheld += (f" ({n_churn} {_event(outcome)} in {n_out} renewals: about "
                     f"{sample.outcomes_needed:,} renewals are needed to judge all "
                     f"{len(used)} inputs)")

    step.checkpoint(0.92, "Calibration and retention")
    cal = calstats.calibration_fit(y, oof, resamples)
    bands: dict[str, dict[str, Any]] = {}
    band_now = score_frame(frame, current)["band"].to_numpy()
    for band in ("green", "yellow", "red", "no score"):
        mask = (band_now == band) if band != "no score" else pd.isna(band_now)
        n = int(mask.sum())
        k = int(y[mask].sum())
        bands[band] = {"accounts": n, "churned": k, "churn_rate": k / n if n else 0.0,
                       "churn_rate_ci": _interval(calstats.wilson(k, n))}
    model_lift = calstats.top_decile_lift(y, oof)
    lift = {"model": model_lift, "model_ci": _interval(calstats.lift_interval(y, oof,
                                                                              resamples)),
            "current_score": current_block["top_decile_lift"],
            "current_score_ci": _interval(calstats.lift_interval(y, -score_now, resamples))}
    method = ("maximum likelihood" if final.maximum_likelihood else
              f"L2-penalised logistic regression (C = {final.c:g}, chosen by 5-fold "
              "cross-validation)")
    model = {"cv_auc": cv_auc, "cv_auc_ci": _interval(calstats.interval(model_boot)),
             "folds": FOLDS, "method": method, "penalty_c": final.c,
             "maximum_likelihood": final.maximum_likelihood, "inputs": list(final.names),
             "nested": True, "bootstrap": bootstrap,
             "regularised": not final.maximum_likelihood}
    model_ci = calstats.interval(model_boot)
    if cv_auc is not None and model_ci is not None and model_ci[0] <= 0.5:
        notes.append(f"The fitted model ({len(final.names)} input"
                     f"{'s' if len(final.names) != 1 else ''}) does no better than chance on "
                     "held-out renewals (its AUC interval includes 0.5): with this many "
                     f"{_event(outcome)}, its effects and calibration figures say little; "
                     "the current score is judged on its own.")
    step.checkpoint(0.96, "Retention curves")
    survival = _survival(db, as_of, [n for n in used if n in BUILTIN], cancel)
    step.report(1.0, "Calibration done")
    dates = frame["renewal_date"]
    return CalibrationReport(
        outcomes=n_out, churned=n_churn, cutoff_days=cutoff_days, mode=mode, inputs=reports,
        model=model, current_score=current_block, bands=bands,
        calibration_curve=_curve(y, oof), suggested_weights=None if withheld else suggested,
        current_weights=current_weights, warnings=warns, notes=notes,
        suggestion_withheld=withheld, suggestion=suggestion,
        calibration={"slope": cal.slope, "slope_ci": _interval(cal.slope_ci),
                     "intercept": cal.intercept, "intercept_ci": _interval(cal.intercept_ci),
                     "brier": cal.brier, "brier_ci": _interval(cal.brier_ci)},
        lift=lift, sample_size=asdict(sample), survival=survival, outcome=outcome,
        horizon_days=cutoff_days, as_of=as_of,
        period=(dates.min().date(), dates.max().date()) if len(dates) else None)


def _event(outcome: str) -> str:
    return "downsold" if outcome == "downsell" else "churned"


def _norm_sf(z: float) -> float:
    from scipy.stats import norm

    return float(norm.sf(z))


def _same_weights(a: dict[str, float], b: dict[str, float]) -> bool:
    total_b = sum(b.values()) or 1.0
    return set(a) == set(b) and all(abs(a[n] - 100 * b[n] / total_b) < 0.5 for n in a)


def _curve(y: np.ndarray, oof: np.ndarray) -> list[dict[str, float]]:
    """Predicted against observed churn in bins of the out-of-fold probability."""
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
    return curve


def _survival(db: Database, as_of: date, inputs: list[str], cancel: CancelFn | None
              ) -> dict[str, Any]:
    """Kaplan–Meier retention by the band held a year ago and by segment; for a book of
    monthly subscriptions also a Cox model of time to churn (:mod:`.survival`)."""
    from csdesk.services.health import survival

    retention = survival.retention_curves(db, as_of=as_of, cancel=cancel)
    out: dict[str, Any] = {
        "landmark": retention.landmark, "by_band": [asdict(c) for c in retention.by_band],
        "by_segment": [asdict(c) for c in retention.by_segment], "note": retention.note,
        "sentences": [f"Retention from {retention.landmark:%d %b %Y}: "
                      f"{retention.sentence()}"], "cox": None}
    if survival.is_monthly_book(db, as_of=as_of):
        cox = survival.cox_time_varying(db, as_of=as_of, inputs=inputs, cancel=cancel)
        out["cox"] = asdict(cox)
        if cox.concordance is not None:
            ci = cox.concordance_ci
            out["sentences"].append(
                f"Monthly subscriptions: a Cox model of time to churn has Uno's concordance "
                f"{cox.concordance:.2f}" + (f" ({ci[0]:.2f} to {ci[1]:.2f})" if ci else "")
                + ".")
    return out


def apply_suggestion(db: Database, report: CalibrationReport) -> int:
    """Save the suggested weights as a new version of the default model; return its version."""
    if not report.suggested_weights:
        raise CsdeskError("no weights to apply: " + (report.suggestion_withheld or
                                                      "calibration found none"))
    with db.read() as s:
        config = active_models(s)[None].config
    s_ = report.suggestion
    model = save_model_version(
        db, _with_weights(config, report.suggested_weights),
        notes=f"Calibrated on {report.outcomes} renewals ({report.churned} "
              f"{_event(report.outcome)}); held-out AUC {s_['current_cv_auc']:.3f} with the "
              f"old weights → {s_['cv_auc']:.3f} with these")
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
