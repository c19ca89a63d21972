"""Portfolio metrics per quarter (and segment), each with its formula shown beside it.

Revenue metrics come from the subscription history: an account's ARR on a day is the sum of
its subscriptions in force that day. The cohort of a period is every account with ARR on its
first day; comparing each one's ARR on the last day gives churn (to zero), contraction
(down), and expansion (up). Accounts won during the period are not in its cohort, as the
standard definitions require.

Money is in the book's base currency at constant rates: both ends of a period convert at
the rates of its first day, so a moving exchange rate never shows as churn or expansion.
What the rates did to the cohort's ARR over the period is reported beside, as the
exchange-rate effect. A period whose ARR needs a rate the book does not have is refused
(its revenue metrics are None and ``note`` names the rate), never summed raw.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select

from csdesk import clock
from csdesk.db import Database
from csdesk.db.bulk import read_frame
from csdesk.db.cache import until_changed
from csdesk.models import Account, Activity, Renewal, Subscription
from csdesk.models.enums import Segment
from csdesk.services.money import Rates, missing_text
from csdesk.services.periods import (
    TO_DATE,
    current_period,
    parse_period,
    period_span,
    period_state,
    quarters_back,
)

FORMULAS = {
    "nrr": "(start ARR − churned ARR − contraction + expansion) ÷ start ARR, for the accounts "
           "with ARR at the start of the period",
    "grr": "(start ARR − churned ARR − contraction) ÷ start ARR, capped at 100%",
    "logo_churn": "accounts whose ARR went to zero ÷ accounts with ARR at the start",
    "contraction": "ARR lost by accounts that stayed but shrank ÷ start ARR",
    "expansion_rate": "ARR gained by accounts that grew ÷ start ARR",
    "renewal_rate": "renewals decided in the period that renewed (flat, up or down) ÷ "
                    "renewals decided in the period",
    "arr_renewal_rate": "ARR renewed ÷ ARR that came up for renewal, over the renewals "
                        "decided in the period; each renewal counts up to the ARR that came "
                        "up (an expansion is not a renewal), a churn counts 0",
    "median_ttv_days": "median days from customer start to first value, for accounts that "
                       "reached first value in the period",
    "proactive_ratio": "proactive activities ÷ reactive activities in the period",
    "fx_effect": "what exchange rates did to the cohort's end ARR: (end ARR at the period's "
                 "end rates − end ARR at its start rates) ÷ start ARR; not in GRR or NRR, "
                 "which hold the start rates",
}
# How each figure is named wherever a person reads it (the Portfolio's tiles, csdesk metrics).
LABELS = {
    "nrr": "Net revenue retention",
    "grr": "Gross revenue retention",
    "logo_churn": "Logo churn",
    "contraction": "Contraction",
    "expansion_rate": "Expansion",
    "renewal_rate": "Renewal rate (renewals)",
    "arr_renewal_rate": "Renewal rate (ARR)",
    "median_ttv_days": "Median time to first value",
    "proactive_ratio": "Proactive : reactive",
    "fx_effect": "Exchange-rate effect",
}
MONEY = ("nrr", "grr", "logo_churn", "contraction", "expansion_rate", "fx_effect",
         "arr_renewal_rate")
KEPT = ("renewed", "expanded", "downsold")  # outcomes that renewed (flat, up or down)


@dataclass
class PeriodMetrics:
    period: str
    start: date
    end: date
    segment: str | None
    values: dict[str, float | None]
    counts: dict[str, float | None] = field(default_factory=dict)
    # The accounts behind the numbers, for drill-down: churned, contracted, expanded,
    # first_value (reached it in the period).
    accounts: dict[str, set[int]] = field(default_factory=dict, repr=False)
    currency: str = "USD"  # of every amount in counts (the book's base currency)
    note: str = ""  # why the revenue metrics are missing (a rate the book lacks)
    in_progress: bool = False  # the quarter has not ended: measured to today (``end``)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"period": self.period, "start": self.start.isoformat(),
                               "end": self.end.isoformat(), "currency": self.currency,
                               "rates": f"constant: both ends at the rates of "
                                        f"{self.start.isoformat()}"}
        if self.note:
            out["note"] = self.note
        if self.in_progress:
            out["in_progress"] = True
        if self.segment:
            out["segment"] = self.segment
        out.update(self.values)
        out["counts"] = {k: int(v) if v is not None and float(v).is_integer() else v
                         for k, v in self.counts.items()}
        out["formulas"] = FORMULAS
        return out


def _arr_on(subs: pd.DataFrame, day: pd.Timestamp, column: str) -> pd.Series:
    live = subs[(subs["start_date"] <= day) & (subs["end_date"] >= day)]
    return live.groupby("account_id")[column].sum(min_count=1)


def arr_renewal_rate(renewals: pd.DataFrame, start: date, end: date, rates: Rates
                     ) -> tuple[float | None, float | None, float | None, str]:
    """The renewal rate on the ARR up for renewal: (rate, renewed ARR, ARR that came up, note)
    for the renewals decided between ``start`` and ``end``, in the base currency at the rates
    of ``start`` (as GRR and NRR); ``note`` names a missing rate, and then all are None.

    ``renewals`` has the columns renewal_date, outcome, current_arr_cents, new_arr_cents and
    currency (a frame of the Renewal table)."""
    s, e = pd.Timestamp(start), pd.Timestamp(end)
    decided = renewals[(renewals["renewal_date"] >= s) & (renewals["renewal_date"] <= e)
                       & (renewals["outcome"] != "pending")]
    came = pd.to_numeric(decided["current_arr_cents"], errors="coerce").astype(float)
    up = rates.convert(came.fillna(0).to_numpy(), decided["currency"].to_numpy(),
                       start)["base_cents"].to_numpy()
    # A renewal closed without a new figure renewed at the ARR that came up.
    new = rates.convert(pd.to_numeric(decided["new_arr_cents"], errors="coerce")
                        .astype(float).fillna(came).fillna(0).to_numpy(),
                        decided["currency"].to_numpy(), start)["base_cents"].to_numpy()
    if np.isnan(up).any() or np.isnan(new).any():
        gaps = sorted(set(decided["currency"][np.isnan(up) | np.isnan(new)]))
        return None, None, None, missing_text([(str(c), start) for c in gaps])
    kept = decided["outcome"].isin(KEPT).to_numpy()
    renewed = float(np.where(kept, np.minimum(new, up), 0.0).sum())
    came_up = float(up.sum())
    return (renewed / came_up if came_up else None), renewed, came_up, ""


def _compute(subs: pd.DataFrame, renewals: pd.DataFrame, accounts: pd.DataFrame,
             acts: pd.DataFrame, start: date, end: date, rates: Rates
             ) -> tuple[dict[str, float | None], dict[str, float | None], dict[str, set[int]],
                        str]:
    s, e = pd.Timestamp(start), pd.Timestamp(end)
    subs = subs.assign(
        at_start=rates.convert(subs["arr_cents"].to_numpy(), subs["currency"].to_numpy(),
                               start)["base_cents"].to_numpy(),
        at_end=rates.convert(subs["arr_cents"].to_numpy(), subs["currency"].to_numpy(),
                             end)["base_cents"].to_numpy())
    begin = _arr_on(subs, s, "at_start")
    ends = subs[(subs["start_date"] <= e) & (subs["end_date"] >= e)]
    gaps = subs[((subs["start_date"] <= s) & (subs["end_date"] >= s)) |
                ((subs["start_date"] <= e) & (subs["end_date"] >= e))]
    gaps = sorted(set(gaps.loc[gaps["at_start"].isna(), "currency"]) |
                  set(ends.loc[ends["at_end"].isna(), "currency"]))
    note = missing_text([(str(c), start) for c in gaps])
    begin = begin[begin > 0]
    finish = _arr_on(subs, e, "at_start").reindex(begin.index).fillna(0)
    finish_now = _arr_on(subs, e, "at_end").reindex(begin.index).fillna(0)
    start_arr = float(begin.sum())
    churned = finish == 0
    churn = float(begin[churned].sum())
    shrink = (begin - finish).where(~churned & (finish < begin), 0)
    grow = (finish - begin).where(finish > begin, 0)
    contraction, expansion = float(shrink.sum()), float(grow.sum())
    fx = float(finish_now.sum() - finish.sum())
    values: dict[str, float | None] = {}
    if note:  # a sum that needs a missing rate is refused, not shown short
        values.update(dict.fromkeys(MONEY))
    elif start_arr > 0:
        values["nrr"] = (start_arr - churn - contraction + expansion) / start_arr
        values["grr"] = min(1.0, (start_arr - churn - contraction) / start_arr)
        values["logo_churn"] = float(churned.sum()) / len(begin)
        values["contraction"] = contraction / start_arr
        values["expansion_rate"] = expansion / start_arr
        values["fx_effect"] = fx / start_arr
    else:
        values.update(dict.fromkeys(MONEY))
    decided = renewals[(renewals["renewal_date"] >= s) & (renewals["renewal_date"] <= e)
                       & (renewals["outcome"] != "pending")]
    kept = decided["outcome"].isin(KEPT).sum()
    values["renewal_rate"] = float(kept) / len(decided) if len(decided) else None
    rate, renewed, came_up, renewal_note = arr_renewal_rate(renewals, start, end, rates)
    if not note:  # (with a missing rate, every money figure is already refused)
        values["arr_renewal_rate"] = rate
        note = renewal_note
        if note:
            values.update(dict.fromkeys(MONEY))
    fv = accounts[(accounts["first_value_date"] >= s) & (accounts["first_value_date"] <= e)]
    ttv = (fv["first_value_date"] - fv["customer_since"]).dt.days.dropna()
    values["median_ttv_days"] = float(np.median(ttv)) if len(ttv) else None
    window = acts[(acts["occurred_on"] >= s) & (acts["occurred_on"] <= e)]
    pro = int(window["proactive"].astype(bool).sum())
    rea = len(window) - pro
    values["proactive_ratio"] = pro / rea if rea else None
    counts: dict[str, float | None] = {"start_arr_cents": start_arr, "churned_arr_cents": churn,
              "contraction_cents": contraction, "expansion_cents": expansion,
              "fx_effect_cents": fx,
              "accounts_at_start": float(len(begin)), "accounts_churned": float(churned.sum()),
              "renewals_decided": float(len(decided)), "renewed_arr_cents": renewed,
              "arr_up_for_renewal_cents": came_up, "proactive": float(pro),
              "reactive": float(rea)}
    if note:
        counts.update(dict.fromkeys(("start_arr_cents", "churned_arr_cents",
                                     "contraction_cents", "expansion_cents",
                                     "fx_effect_cents", "renewed_arr_cents",
                                     "arr_up_for_renewal_cents")))
    behind = {"cohort": set(begin.index), "churned": set(begin[churned].index),
              "contracted": set(shrink[shrink > 0].index),
              "expanded": set(grow[grow > 0].index),
              "first_value": set(fv["account_id"]),
              "renewals_decided": set(decided["account_id"])}
    return values, counts, behind, note


@dataclass
class _Book:
    subs: pd.DataFrame
    renewals: pd.DataFrame
    accounts: pd.DataFrame
    acts: pd.DataFrame
    rates: Rates
    # What the metrics are computed from, as a digest of the frames' contents: an edit that
    # changes none of them (an account's region, a contact, a task) finds every period
    # already computed (see ``_period``)
    digest: bytes = b""


def _load(db: Database) -> _Book:
    with db.read() as s:
        subs = read_frame(s, select(Subscription.account_id, Subscription.start_date,
                                    Subscription.end_date, Subscription.arr_cents,
                                    Subscription.currency))
        renewals = read_frame(s, select(Renewal.account_id, Renewal.renewal_date,
                                        Renewal.outcome, Renewal.current_arr_cents,
                                        Renewal.new_arr_cents, Renewal.currency))
        accounts = read_frame(s, select(Account.id.label("account_id"), Account.segment,
                                        Account.customer_since, Account.first_value_date,
                                        Account.owner))
        acts = read_frame(s, select(Activity.account_id, Activity.occurred_on,
                                    Activity.proactive))
        rates = Rates.load(s)
    for frame, cols in ((subs, ("start_date", "end_date")), (renewals, ("renewal_date",)),
                        (accounts, ("customer_since", "first_value_date")),
                        (acts, ("occurred_on",))):
        for c in cols:
            frame[c] = pd.to_datetime(frame[c], errors="coerce")
    digest = hashlib.blake2b(digest_size=20)
    for frame in (subs, renewals, accounts, acts, rates.table):
        digest.update(",".join(map(str, frame.columns)).encode())
        # The rows' hashes in sorted order: the same rows read in another order (a server
        # returns an updated row last) are the same inputs.
        rows = pd.util.hash_pandas_object(frame, index=False).to_numpy()
        digest.update(np.sort(rows).tobytes())
    digest.update(rates.base.encode())
    return _Book(subs, renewals, accounts, acts, rates, digest.digest())


# Periods computed, by what they were computed from (the book's digest, the period, the
# segment, the owner, and today for a period in progress): the Portfolio computes seven on
# every visit and every reload after an edit, and most edits change none of their inputs.
# What is kept is shared: treat a PeriodMetrics as read-only.
_computed: dict[tuple[Any, ...], PeriodMetrics] = {}
_computed_lock = threading.Lock()
KEEP_PERIODS = 64


def _period(book: _Book, period: str, segment: str | None = None,
            owner: str | None = None) -> PeriodMetrics:
    key = (book.digest, period, segment, owner, clock.today())
    with _computed_lock:
        hit = _computed.get(key)
    if hit is not None and book.digest:
        return hit
    metrics = _compute_period(book, period, segment, owner)
    with _computed_lock:
        _computed[key] = metrics
        while len(_computed) > KEEP_PERIODS:  # the oldest computed go first
            del _computed[next(iter(_computed))]
    return metrics


def _compute_period(book: _Book, period: str, segment: str | None = None,
                    owner: str | None = None) -> PeriodMetrics:
    start, end = period_span(period)
    # A quarter (or year) still in progress is measured to today: a contract ending later in it has
    # not churned yet.
    in_progress = period_state(period) == TO_DATE
    if in_progress:
        end = clock.today()
    frames = [book.subs, book.renewals, book.accounts, book.acts]
    for column, wanted in (("segment", segment), ("owner", owner)):
        if wanted is not None:  # one segment, or one CSM's book
            of = book.accounts.set_index("account_id")[column]
            ids = set(of[of == wanted].index)
            frames = [f[f["account_id"].isin(ids)] for f in frames]
    subs, renewals, accounts, acts = frames
    values, counts, behind, note = _compute(subs, renewals, accounts, acts, start, end,
                                            book.rates)
    return PeriodMetrics(period, start, end, segment, values, counts, behind,
                         currency=book.rates.base, note=note, in_progress=in_progress)


def portfolio_metrics(db: Database, period: str | None = None, *, by_segment: bool = False
                      ) -> tuple[PeriodMetrics, list[PeriodMetrics]]:
    """The book's metrics for a quarter, and the same per (current) segment when asked."""
    period = (period or current_period()).upper()
    period_span(period)
    book = _load(db)
    # Unsegmented (no ARR known) is a part only when the book has such accounts.
    segments = [s.value for s in Segment if s is not Segment.UNSEGMENTED
                or (book.accounts["segment"] == s.value).any()]
    parts = [_period(book, period, seg) for seg in segments] if by_segment else []
    return _period(book, period), parts


def quarterly(db: Database, n: int = 6, last: str | None = None, *,
              owner: str | None = None) -> list[PeriodMetrics]:
    """The last ``n`` complete quarters, oldest first, reading the book once; ``owner``:
    only the accounts that CSM owns ("my book")."""
    book = _load(db)
    return [_period(book, p, owner=owner)
            for p in quarters_back((last or current_period()).upper(), n)]


def portfolio_view(db: Database, period: str, *, n: int = 6, owner: str | None = None
                   ) -> tuple[PeriodMetrics, list[PeriodMetrics]]:
    """What the Portfolio screen shows, reading the book once: the chosen period's metrics
    (a quarter, a year or twelve months: see ``periods.portfolio_period``) and the last ``n``
    complete quarters for the trend; ``owner``: only that CSM's accounts.

    Kept until the book changes (a visit to the screen with nothing changed reads nothing),
    and each period is computed again only when what it is computed from has changed
    (``_period``). The answer is shared: read-only."""
    def compute() -> tuple[PeriodMetrics, list[PeriodMetrics]]:
        book = _load(db)
        chosen = _period(book, period.upper(), owner=owner)
        return chosen, [_period(book, p, owner=owner)
                        for p in quarters_back(current_period(), n)]

    return until_changed(db, ("portfolio_view", period.upper(), n, owner, clock.today()),
                         compute)


__all__ = ["FORMULAS", "LABELS", "PeriodMetrics", "arr_renewal_rate", "current_period",
           "parse_period", "portfolio_metrics", "portfolio_view", "quarterly"]
