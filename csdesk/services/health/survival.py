"""Survival views of the book: who stays, by health band, and which inputs move the hazard.

Three tools that calibration calls, none of which looks ahead:

* :func:`retention_curves` — Kaplan–Meier retention by health band and by segment, in a
  *landmark* design: every account that was a customer on the landmark day
  ``L = as_of − landmark_days`` is scored as of ``L`` with the current health model (its
  segment's own model where there is one), then followed from ``L`` until it churned (an
  event) or until ``as_of`` (censored). The band is the one the account *had* on ``L``, so a
  curve answers "of the accounts that were green a year ago, how many are still here?".
* :func:`uno_concordance` — Uno et al. (2011)'s censoring-adjusted C-statistic, exact and
  O(n log n), so that it can be bootstrapped on a whole book.
* :func:`cox_time_varying` — for books of monthly subscriptions, where customers can leave
  in any month rather than only at an annual renewal: a Cox model of time to churn with the
  health inputs recomputed at the start of every ``step_days`` episode of each account's
  tenure.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from csdesk import clock
from csdesk.db import Database
from csdesk.db.bulk import read_frame
from csdesk.errors import CsdeskError
from csdesk.models import Account, Subscription, UsageSnapshot
from csdesk.models.enums import BillingFrequency, Segment
from csdesk.progress import CancelFn, ProgressFn, Reporter
from csdesk.services.defaults import ensure_defaults
from csdesk.services.health.inputs import LABELS_INPUT, compute_inputs
from csdesk.services.health.scoring import score_book

BANDS = ("green", "yellow", "red")
NO_SCORE = "no score"
MIN_GROUP = 5  # fewer accounts than this: a curve, but no 12-month figure
MAX_POINTS = 60  # a curve is drawn, not read point by point: thin it for the screens
YEAR_DAYS = 365
BOOTSTRAP = 200
SEED = 19  # the bootstrap's fixed seed: the same book gives the same interval


# -- Kaplan–Meier retention -----------------------------------------------------------------


@dataclass(frozen=True)
class Curve:
    """The Kaplan–Meier retention of one group, with its 95% pointwise interval."""

    group: str
    accounts: int
    churned: int
    # (day since the landmark, retention, ci_low, ci_high) at day 0, each day with a churn
    # (thinned to about MAX_POINTS) and the last day followed.
    points: list[tuple[int, float, float, float]]
    at_12_months: float | None
    at_12_months_ci: tuple[float, float] | None
    note: str = ""


@dataclass(frozen=True)
class Retention:
    """Retention curves from a landmark day, by the health band held then and by segment."""

    landmark: date
    as_of: date
    by_band: list[Curve]
    by_segment: list[Curve]
    note: str

    def sentence(self) -> str:
        """The 12-month retention of each band in one sentence, green first: "Green
        accounts keep 94% at 12 months (90–97%), red 61% (52–70%)."."""
        parts = [(c.group, _percent(c.at_12_months), c.at_12_months_ci) for c in self.by_band
                 if c.group in BANDS and c.at_12_months is not None]
        if not parts:
            return "Too few accounts were followed for a year to tell retention by health band."
        texts = []
        for i, (group, value, ci) in enumerate(parts):
            interval = f" ({_percent(ci[0])[:-1]}–{_percent(ci[1])})" if ci else ""
            texts.append(f"{group.capitalize()} accounts keep {value} at 12 months{interval}"
                         if i == 0 else f"{group} {value}{interval}")
        return ", ".join(texts) + "."


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"


def retention_curves(db: Database, *, as_of: date, landmark_days: int = 365,
                     progress: ProgressFn | None = None,
                     cancel: CancelFn | None = None) -> Retention:
    """Kaplan–Meier retention from ``as_of − landmark_days`` (see the module docstring)."""
    if landmark_days < 1:
        raise CsdeskError("the landmark is a number of days before the as-of date (1 or more)")
    rep = Reporter(progress, cancel)
    landmark = as_of - timedelta(days=landmark_days)
    if not db.readonly:
        ensure_defaults(db)
    rep.checkpoint(0.05, "Scoring the book as it was on the landmark day…")
    with db.read() as s:
        book, models = score_book(s, landmark)
        since = read_frame(s, select(Account.id.label("account_id"), Account.customer_since))
    rep.checkpoint(0.7, "Fitting retention curves…")
    cohort = _cohort(book, since, landmark, as_of)
    notes = [f"{len(cohort):,} accounts were customers on {landmark.isoformat()}; each is "
             f"banded by its health that day (current model) and followed to "
             f"{as_of.isoformat()} ({int(cohort['event'].sum()):,} churned). Segments are "
             "as they are today."]
    if any(n.startswith("custom:") and c.get("enabled", True)
           for m in models.values() for n, c in m.config["inputs"].items()):
        notes.append("Custom-field inputs are taken at their current values.")
    if len(cohort) < MIN_GROUP:
        notes.append(f"Retention curves need at least {MIN_GROUP} accounts that were "
                     f"customers on {landmark.isoformat()}; there is nothing to draw yet.")
        return Retention(landmark, as_of, [], [], " ".join(notes))
    by_band = [_curve(g, cohort[cohort["band"] == g], landmark_days)
               for g in (*BANDS, NO_SCORE) if (cohort["band"] == g).any()]
    order = [seg.value for seg in Segment]
    segments = sorted(cohort["segment"].unique(),
                      key=lambda v: (order.index(v) if v in order else len(order), v))
    by_segment = [_curve(g, cohort[cohort["segment"] == g], landmark_days) for g in segments]
    rep.checkpoint(1.0, "Retention curves ready")
    return Retention(landmark, as_of, by_band, by_segment, " ".join(notes))


def _cohort(book: pd.DataFrame, since: pd.DataFrame, landmark: date, as_of: date
            ) -> pd.DataFrame:
    """One row per account that was a customer on the landmark day: group keys, days
    followed and whether it churned by ``as_of``."""
    if book.empty:
        return pd.DataFrame(columns=["account_id", "band", "segment", "days", "event"])
    # score_book keeps the accounts alive on the landmark day (churned after it, or not at
    # all); those that became customers later are not part of the cohort.
    book = book.merge(since, on="account_id", how="left")
    start = pd.to_datetime(book["customer_since"], errors="coerce")
    book = book[start.isna() | (start <= pd.Timestamp(landmark))].copy()
    churned_on = pd.to_datetime(book["churned_on"], errors="coerce")
    # A churn after as_of is not known as of as_of: censored there.
    event = (book["status"].astype(str) == "churned") & (churned_on <= pd.Timestamp(as_of))
    end = churned_on.where(event, pd.Timestamp(as_of))
    out = pd.DataFrame({
        "account_id": book["account_id"].astype(int),
        "band": book["band"].where(book["band"].isin(BANDS), NO_SCORE),
        "segment": book["segment"].map(lambda v: getattr(v, "value", v)).astype(str),
        "days": (end - pd.Timestamp(landmark)).dt.days.astype(int),
        "event": event.astype(int),
    })
    return out.sort_values("account_id").reset_index(drop=True)


def _curve(group: str, rows: pd.DataFrame, landmark_days: int) -> Curve:
    from lifelines import KaplanMeierFitter

    kmf = KaplanMeierFitter(alpha=0.05)
    kmf.fit(rows["days"].to_numpy(), rows["event"].to_numpy(), label="km")
    surv = kmf.survival_function_["km"]
    ci = kmf.confidence_interval_
    lo, hi = ci.iloc[:, 0], ci.iloc[:, 1]
    days = surv.index.to_numpy(dtype=float)
    observed = kmf.event_table["observed"].reindex(surv.index).fillna(0).to_numpy()
    keep = np.flatnonzero((observed > 0) | (days == 0) | (days == days.max()))
    if len(keep) > MAX_POINTS:  # evenly spaced over the event days, ends always kept
        keep = keep[np.unique(np.round(np.linspace(0, len(keep) - 1, MAX_POINTS)).astype(int))]
    points = [(int(days[i]), float(surv.iloc[i]), _ci(lo.iloc[i], surv.iloc[i]),
               _ci(hi.iloc[i], surv.iloc[i])) for i in keep]
    n, churned = len(rows), int(rows["event"].sum())
    if n < MIN_GROUP:
        return Curve(group, n, churned, points, None, None, "too few accounts")
    if landmark_days < YEAR_DAYS or days.max() < YEAR_DAYS:
        return Curve(group, n, churned, points, None, None, "followed for under 12 months")
    at = int(np.searchsorted(days, YEAR_DAYS, side="right") - 1)  # the step in force
    value = float(surv.iloc[at])
    return Curve(group, n, churned, points, value,
                 (_ci(lo.iloc[at], value), _ci(hi.iloc[at], value)))


def _ci(bound: Any, value: Any) -> float:
    # At a retention of exactly 1 the exponential Greenwood interval is undefined: the
    # estimate itself is the only honest bound.
    b = float(bound)
    return float(value) if math.isnan(b) else b


# -- Uno's concordance ----------------------------------------------------------------------


def uno_concordance(time_train: Any, event_train: Any, time_test: Any, event_test: Any,
                    risk: Any, tau: float | None = None) -> float:
    """Uno et al. (2011)'s censoring-adjusted C-statistic of ``risk`` on the test data.

    ``C = Σᵢ Σⱼ Δᵢ G(Tᵢ−)⁻² 1(Tᵢ < Tⱼ, Tᵢ < τ) [1(ηᵢ > ηⱼ) + ½·1(ηᵢ = ηⱼ)]
    / Σᵢ Σⱼ Δᵢ G(Tᵢ−)⁻² 1(Tᵢ < Tⱼ, Tᵢ < τ)`` where a higher risk η means an earlier event.

    G is the Kaplan–Meier estimate of the *censoring* distribution fitted on the training
    data (at a tied time, events are taken to come before censorings, so an account that
    churned on a day was not at risk of being censored that day), evaluated just before
    Tᵢ (the left limit: the event was seen, so the account was uncensored up to then, as in
    Gerds et al. 2013). ``tau`` defaults to the largest training time, the last time at
    which that left limit is surely positive. Returns NaN when no pair is comparable.

    Method, exact and O(n log n) (a merge-sort tree, vectorised): the test rows are sorted
    by time; the rows later than event i form a suffix of that order, which splits into at
    most log₂ n power-of-two blocks (as in a Fenwick tree). For each block size the keys
    (block, rank of risk) are kept sorted — each level merges the previous level's pairs of
    sorted runs — and one vectorised ``searchsorted`` counts, for every event at once, the
    later rows with lower and with equal risk in each of its blocks. 100,000 rows take
    about half a second (``benchmarks/survival.py``).
    """
    tt, et = _as_arrays(time_train, event_train)
    t, e = _as_arrays(time_test, event_test)
    eta = np.asarray(risk, dtype=float)
    if eta.shape != t.shape:
        raise ValueError("risk must have one value per test row")
    if not np.all(np.isfinite(eta)):
        raise ValueError("risk must be finite (fill or drop missing values first)")
    if len(tt) == 0 or len(t) == 0:
        return float("nan")
    cuts, g = _censoring_km(tt, et)
    limit = float(cuts[-1]) if tau is None else float(tau)
    cases = np.flatnonzero(e & (t < limit))
    if len(cases) == 0:
        return float("nan")
    g_before = _left_limit(cuts, g, t[cases])
    if np.any(g_before <= 0):
        raise ValueError("the censoring distribution is zero before some event times: "
                         "choose a smaller tau")
    w = 1.0 / g_before ** 2
    lower, equal, later = _later_counts(t, eta, cases)
    den = float(np.sum(w * later))
    if den == 0:
        return float("nan")
    return float(np.sum(w * (lower + 0.5 * equal)) / den)


def _as_arrays(time: Any, event: Any) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(time, dtype=float)
    e = np.asarray(event).astype(bool)
    if t.ndim != 1 or t.shape != e.shape:
        raise ValueError("times and events must be one-dimensional and of one length")
    if not np.all(np.isfinite(t)):
        raise ValueError("times must be finite")
    return t, e


def _censoring_km(time: np.ndarray, event: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct times and the Kaplan–Meier survival of censoring just after each."""
    order = np.argsort(time, kind="stable")
    t, e = time[order], event[order].astype(np.int64)
    cuts, first, counts = np.unique(t, return_index=True, return_counts=True)
    events_at = np.add.reduceat(e, first)
    censored_at = counts - events_at
    at_risk = len(t) - first - events_at  # the churned that day are no longer at risk
    factor = 1.0 - np.divide(censored_at, at_risk, out=np.zeros(len(cuts)),
                             where=at_risk > 0)
    return cuts, np.cumprod(factor)


def _left_limit(cuts: np.ndarray, g: np.ndarray, t: np.ndarray) -> np.ndarray:
    idx = np.searchsorted(cuts, t, side="left") - 1
    return np.where(idx >= 0, g[np.maximum(idx, 0)], 1.0)


def _later_counts(time: np.ndarray, risk: np.ndarray, cases: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each row in ``cases``: how many rows have a later time and a lower risk, an equal
    risk, and any risk (see :func:`uno_concordance` for the method)."""
    n = len(time)
    order = np.argsort(time, kind="stable")
    t = time[order]
    uniq, rank = np.unique(risk, return_inverse=True)
    r = rank[order].astype(np.int64)
    x = rank[cases].astype(np.int64)
    span = np.int64(len(uniq) + 1)
    # Rows after position h (the last row tied with the case) are the later ones.
    h = np.searchsorted(t, time[cases], side="right").astype(np.int64) - 1
    lower = np.zeros(len(cases), dtype=np.int64)
    equal = np.zeros(len(cases), dtype=np.int64)
    keys = np.arange(n, dtype=np.int64) * span + r  # (block, risk rank) with blocks of 1
    for k in range(max(1, int(n).bit_length())):
        if k:  # pair up the blocks: two sorted runs each, which timsort merges in O(n)
            keys = np.sort((keys // span >> 1) * span + keys % span, kind="stable")
        use = ((h >> k) & 1) == 0  # bit k of h clear: the next block of size 2^k is later
        block = (h >> k) + 1
        base = block * span
        start = np.minimum(block << k, n)  # blocks before it are full: no search needed
        below, upto = _search(keys, base + x)
        lower += np.where(use, below - start, 0)
        equal += np.where(use, upto - below, 0)
    return lower, equal, n - 1 - h


# -- Cox model with time-varying inputs (monthly books) -------------------------------------


def is_monthly_book(db: Database, *, as_of: date | None = None) -> bool:
    """Whether most of the book's live subscriptions bill monthly.

    The rule: of the subscriptions in force on ``as_of`` (start ≤ as_of ≤ end) at accounts
    that had not churned by then, strictly more than half bill monthly. A book with no
    subscription in force is not a monthly book. Monthly customers can leave in any month,
    so their churn is a time-to-event question (:func:`cox_time_varying`) rather than a
    yes/no at an annual renewal.
    """
    day = as_of or clock.today()
    with db.read() as s:
        live = (select(Subscription.billing_frequency, func.count().label("n"))
                .join(Account, Account.id == Subscription.account_id)
                .where(Subscription.start_date <= day, Subscription.end_date >= day,
                       (Account.churned_on.is_(None)) | (Account.churned_on > day))
                .group_by(Subscription.billing_frequency))
        counts = {getattr(k, "value", k): int(n) for k, n in s.execute(live).tuples()}
    total = sum(counts.values())
    return total > 0 and counts.get(BillingFrequency.MONTHLY.value, 0) * 2 > total


@dataclass(frozen=True)
class CoxInput:
    """One input's hazard ratio per standard deviation, with its 95% interval."""

    name: str
    label: str
    hazard_ratio: float  # per 1 SD of the input; below 1 = a higher value, less churn
    ci_low: float
    ci_high: float
    p_value: float
    coverage: float  # share of episodes where the input was measured (the rest: the mean)
    predictive: bool  # the interval excludes 1


@dataclass(frozen=True)
class CoxReport:
    """A Cox model of time to churn on inputs re-measured every ``step_days``; JSON-ready
    through ``dataclasses.asdict`` (the date is ISO text)."""

    as_of: str
    accounts: int
    episodes: int
    churned: int
    step_days: int
    penalizer: float
    inputs: list[CoxInput]
    concordance: float | None  # Uno's C of the risk at each account's last episode
    concordance_ci: tuple[float, float] | None  # bootstrap over accounts, 95%
    notes: list[str]


def cox_time_varying(db: Database, *, as_of: date, inputs: list[str], step_days: int = 30,
                     penalizer: float | None = None, progress: ProgressFn | None = None,
                     cancel: CancelFn | None = None) -> CoxReport:
    """Time to churn against health inputs that change over an account's tenure.

    Each account's tenure, from ``customer_since`` (or its first usage or subscription when
    that is unknown) to its churn or ``as_of``, is cut into episodes of ``step_days``; the
    inputs are computed as of the start of each episode (one ``compute_inputs`` call for
    every episode of the book), standardised, and missing values filled with the mean.
    lifelines' ``CoxTimeVaryingFitter`` fits the hazard on tenure. The L2 penalizer is 0.1
    when there are fewer than 10 churns per input (a small book would otherwise overfit),
    else 0.01; intervals from a penalised fit are approximate.
    """
    if step_days < 1:
        raise CsdeskError("an episode is at least one day long")
    if not inputs:
        raise CsdeskError("name at least one input to test")
    rep = Reporter(progress, cancel)
    notes: list[str] = []
    rep.checkpoint(0.05, "Cutting tenures into episodes…")
    with db.read() as s:
        spans, skipped = _tenures(s, as_of)
        episodes = _episodes(spans, step_days)
        rep.checkpoint(0.15, "Measuring the inputs at each episode…")
        measured = compute_inputs(s, episodes[["account_id", "as_of"]])
    if skipped:
        notes.append(f"{skipped} churned accounts with no churn date are left out.")
    unknown = [n for n in inputs if n not in measured.columns or n.startswith(("raw.", "stale."))]
    if unknown:
        raise CsdeskError(f"unknown inputs: {', '.join(unknown)}")
    churned = int(episodes["event"].sum()) if len(episodes) else 0
    if churned == 0:
        raise CsdeskError("the Cox model needs accounts that churned; this book has none "
                          f"by {as_of.isoformat()}")
    x, used, coverage = _standardised(measured, inputs, notes)
    if penalizer is None:
        penalizer = 0.1 if churned < 10 * len(used) else 0.01
        notes.append(f"L2 penalizer {penalizer} ({churned / len(used):.0f} churns per "
                     "input; 0.1 below 10, else 0.01).")
    rep.checkpoint(0.6, "Fitting the Cox model…")
    coefs, summary = _fit_cox(episodes, x, penalizer)
    reports = [_cox_input(name, summary.loc[f"x{i}"], coverage[name])
               for i, name in enumerate(used)]
    rep.checkpoint(0.75, "Bootstrapping the concordance…")
    concordance, ci = _account_concordance(episodes, x @ coefs, rep)
    notes.append("Hazard ratios are per standard deviation of each input; the concordance "
                 "is in-sample (the risk at each account's last episode start), its interval "
                 f"from {BOOTSTRAP} resamples of accounts.")
    return CoxReport(as_of.isoformat(), int(episodes["account_id"].nunique()), len(episodes),
                     churned, step_days, float(penalizer), reports, concordance, ci, notes)


def _tenures(session: Session, as_of: date) -> tuple[pd.DataFrame, int]:
    """(account_id, start, days, churned) of every account with a tenure before ``as_of``,
    and how many churned accounts had to be skipped for want of a churn date."""
    acc = read_frame(session, select(Account.id.label("account_id"), Account.status,
                                     Account.churned_on, Account.customer_since)
                     .order_by(Account.id))
    first_use = read_frame(session, select(UsageSnapshot.account_id,
                                           func.min(UsageSnapshot.date).label("d"))
                           .group_by(UsageSnapshot.account_id))
    first_sub = read_frame(session, select(Subscription.account_id,
                                           func.min(Subscription.start_date).label("d"))
                           .group_by(Subscription.account_id))
    first = pd.concat([first_use, first_sub]).assign(d=lambda f: pd.to_datetime(f["d"]))
    first = first.groupby("account_id")["d"].min()
    start = pd.to_datetime(acc["customer_since"], errors="coerce")
    start = start.fillna(acc["account_id"].map(first))
    churned_on = pd.to_datetime(acc["churned_on"], errors="coerce")
    is_churned = acc["status"].astype(str) == "churned"
    skipped = int((is_churned & churned_on.isna()).sum())
    event = is_churned & (churned_on <= pd.Timestamp(as_of))
    end = churned_on.where(event, pd.Timestamp(as_of))
    days = (end - start).dt.days
    keep = start.notna() & (days > 0) & ~(is_churned & churned_on.isna())
    out = pd.DataFrame({"account_id": acc["account_id"], "start": start, "days": days,
                        "churned": event})[keep]
    return out.astype({"days": int}).reset_index(drop=True), skipped


def _episodes(spans: pd.DataFrame, step: int) -> pd.DataFrame:
    """Counting-process rows: [start, stop) in days of tenure, the day measured, and the
    churn flagged on an account's last episode."""
    days = spans["days"].to_numpy(dtype=np.int64)
    count = -(-days // step)
    owner = np.repeat(np.arange(len(spans)), count)
    first = np.repeat(np.cumsum(count) - count, count)
    begin = (np.arange(len(owner)) - first) * step
    stop = np.minimum(begin + step, days[owner])
    return pd.DataFrame({
        "account_id": spans["account_id"].to_numpy()[owner],
        "start": begin, "stop": stop,
        "event": (spans["churned"].to_numpy()[owner] & (stop == days[owner])).astype(int),
        "as_of": spans["start"].to_numpy()[owner] + pd.to_timedelta(begin, unit="D"),
    })


def _standardised(measured: pd.DataFrame, names: list[str], notes: list[str]
                  ) -> tuple[np.ndarray, list[str], dict[str, float]]:
    """Standardised inputs, the mean filled in where missing; unusable ones left out."""
    used, columns, coverage = [], [], {}
    for name in dict.fromkeys(names):
        col = measured[name].astype(float)
        std = float(col.std(ddof=0)) if col.notna().any() else 0.0
        if not std > 0:
            notes.append(f"{LABELS_INPUT.get(name, name)} is never measured or never varies: "
                         "not tested.")
            continue
        used.append(name)
        coverage[name] = float(col.notna().mean())
        columns.append(((col - col.mean()) / std).fillna(0.0).to_numpy())
    if not used:
        raise CsdeskError("none of the inputs has data that varies; nothing to fit")
    return np.column_stack(columns), used, coverage


def _fit_cox(episodes: pd.DataFrame, x: np.ndarray, penalizer: float
             ) -> tuple[np.ndarray, pd.DataFrame]:
    from lifelines import CoxTimeVaryingFitter
    from lifelines.exceptions import ConvergenceError

    frame = pd.DataFrame(x, columns=[f"x{i}" for i in range(x.shape[1])])
    frame[["id", "start", "stop", "event"]] = episodes[
        ["account_id", "start", "stop", "event"]].to_numpy()
    fitter = CoxTimeVaryingFitter(penalizer=penalizer)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence advice goes to the notes, not stderr
        try:
            fitter.fit(frame, id_col="id", event_col="event", start_col="start",
                       stop_col="stop")
        except ConvergenceError as exc:
            raise CsdeskError(f"the Cox model did not converge ({exc}); try a larger "
                              "penalizer or fewer inputs") from exc
    coefs = fitter.params_.reindex(frame.columns[: x.shape[1]]).to_numpy(dtype=float)
    return coefs, fitter.summary


def _cox_input(name: str, row: pd.Series, coverage: float) -> CoxInput:
    lo, hi = float(row["exp(coef) lower 95%"]), float(row["exp(coef) upper 95%"])
    return CoxInput(name, LABELS_INPUT.get(name, name), float(row["exp(coef)"]), lo, hi,
                    float(row["p"]), coverage, predictive=bool(hi < 1 or lo > 1))


def _account_concordance(episodes: pd.DataFrame, risk: np.ndarray, rep: Reporter
                         ) -> tuple[float | None, tuple[float, float] | None]:
    """Uno's C at the account level, the risk taken at each account's last episode start,
    with a percentile bootstrap over accounts (fixed seed: the same book, the same CI)."""
    last = episodes.assign(risk=risk).groupby("account_id", sort=True).tail(1)
    t = last["stop"].to_numpy(dtype=float)
    e = last["event"].to_numpy(dtype=bool)
    eta = last["risk"].to_numpy(dtype=float)
    point = uno_concordance(t, e, t, e, eta)
    if not np.isfinite(point):
        return None, None
    rng = np.random.default_rng(SEED)
    draws = []
    for b in range(BOOTSTRAP):
        if b % 20 == 0:
            rep.checkpoint(0.75 + 0.25 * b / BOOTSTRAP, "Bootstrapping the concordance…")
        i = rng.integers(0, len(t), len(t))
        draws.append(uno_concordance(t[i], e[i], t[i], e[i], eta[i]))
    ok = np.asarray(draws)[np.isfinite(draws)]
    if len(ok) < BOOTSTRAP // 2:
        return float(point), None
    return float(point), (float(np.percentile(ok, 2.5)), float(np.percentile(ok, 97.5)))


def _search(keys: np.ndarray, needles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``searchsorted`` left and right of ``needles`` in ``keys``, the needles sorted first:
    in order, each search starts where the last ended, which is several times faster on
    100,000 rows than scattered look-ups."""
    order = np.argsort(needles, kind="stable")
    ordered = needles[order]
    below = np.empty(len(needles), dtype=np.int64)
    upto = np.empty(len(needles), dtype=np.int64)
    below[order] = np.searchsorted(keys, ordered, side="left")
    upto[order] = np.searchsorted(keys, ordered, side="right")
    return below, upto
