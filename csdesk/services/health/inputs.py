"""The health inputs of accounts as of given dates, computed for the whole book at once.

Each input is read from the data *as it was* on the date asked (nothing after it is used),
so the same code serves today's health and calibration's "as of 90 days before the outcome".
Input computation is a handful of SQL reads and pandas group-bys, never a query per account.

Every input is normalised to 0–100 (higher is healthier), or missing (NaN) when the account
has no data for it. Missing is not bad: the score re-weights over the inputs present.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import Session

from csdesk.db.bulk import read_frame
from csdesk.db.cache import until_changed
from csdesk.db.days import days_between
from csdesk.models import (
    Account,
    Activity,
    Contact,
    PulseEntry,
    SupportTicket,
    SurveyResponse,
    UsageSnapshot,
    activity_contacts,
)
from csdesk.services.history import CUSTOM_PREFIX, fields_with_history, values_on_days


@dataclass(frozen=True)
class InputSpec:
    name: str
    label: str
    explains: str  # how the raw value is measured and normalised
    manual: bool = False


INPUTS: tuple[InputSpec, ...] = (
    InputSpec("seat_utilisation", "Seat utilisation",
              "active users ÷ licensed seats over the last 30 days; 100% scores 100"),
    InputSpec("usage_trend", "Usage trend",
              "least-squares slope of weekly key value events over 90 days, relative to their "
              "mean; flat scores 50, +2%/week or more about 100"),
    InputSpec("adoption_breadth", "Adoption breadth",
              "average features in use over 30 days ÷ the most features any account uses"),
    InputSpec("days_since_proactive_touch", "Proactive touch",
              "days since the last proactive touch against the engagement model's cadence "
              "(high 14, mid 30, tech 90, community 180 days)"),
    InputSpec("relationship", "Relationship",
              "a champion still at the company (60) and an executive sponsor contacted in "
              "the last 90 days (40); missing while no contact in the book has a role"),
    InputSpec("support_load", "Support load",
              "tickets in 90 days weighted by priority (urgent 3, high 2, normal 1, low 0.5, "
              "escalation +3); none scores 100; missing while the book holds no ticket"),
    InputSpec("sentiment", "Sentiment (NPS/CSAT)",
              "latest NPS ×10 or CSAT (1–5) scaled to 0–100, from the last 365 days"),
    InputSpec("time_to_first_value", "Time to first value",
              "first value within 30 days scores 100, falling to 0 at 180; not reached by "
              "day 90 scores 0; a customer of over a year with no date recorded is missing "
              "data, not a failure"),
    InputSpec("csm_sentiment", "Champion sentiment (manual)",
              "the champion's sentiment as last recorded by the CSM", manual=True),
    InputSpec("login_volume", "Login volume",
              "weekly logins over 30 days, ranked against the book (a raw count, tested by "
              "calibration, off in the default score)"),
    InputSpec("csm_pulse", "CSM pulse (manual)",
              "the CSM's latest 1–5 rating of the account (1 about to churn, 5 thriving): "
              "1 scores 0, 3 scores 50, 5 scores 100; off in the default score, shown "
              "beside it", manual=True),
    InputSpec("usage_change", "Usage change",
              "key events a day over the last 30 days against the 90 days before: no "
              "change scores 50, half as many about 12, twice as many about 98"),
    InputSpec("users_change", "Active users change",
              "average active users over the last 30 days against the 90 days before: no "
              "change scores 50, half as many about 12, twice as many about 98"),
    InputSpec("days_of_silence", "Days of silence",
              "days since the account's last sign of life (any activity, a ticket opened, a "
              "survey answer): up to 14 days scores 100, falling to 0 at 120 days"),
)
BUILTIN = tuple(i.name for i in INPUTS)
# What to import (or record) for an input to be present, as a CSM would go and get it.
NEEDS = {
    "seat_utilisation": "usage with licensed seats (or a subscription's seats)",
    "usage_trend": "weeks of usage with key events",
    "adoption_breadth": "usage with features used",
    "days_since_proactive_touch": "proactive activities on the timeline",
    "relationship": "contacts with their roles (champion, sponsor, buyer)",
    "support_load": "support tickets (once any are imported, an account with none scores 100)",
    "sentiment": "NPS or CSAT answers",
    "time_to_first_value": "a first-value date",
    "csm_sentiment": "your sentiment of the champion",
    "login_volume": "usage with logins",
    "csm_pulse": "your pulse of the account (Set pulse… on its page)",
    "usage_change": "four months of usage with key events",
    "users_change": "four months of usage with active users",
    "days_of_silence": "activities, tickets or survey answers on the timeline",
}
CADENCE_DAYS = {"high_touch": 14, "mid_touch": 30, "tech_touch": 90, "community_touch": 180}
TICKET_WEIGHT = {"low": 0.5, "normal": 1.0, "high": 2.0, "urgent": 3.0}
PULSE_SCORE = {1: 0.0, 2: 25.0, 3: 50.0, 4: 75.0, 5: 100.0}
# A relative change of ±50% against the account's own baseline is most of the scale.
CHANGE_SCALE = 0.5
SILENCE_QUIET_DAYS, SILENCE_GONE_DAYS = 14, 120


def _dates(col: pd.Series) -> pd.Series:
    return pd.to_datetime(col, errors="coerce").astype("datetime64[ns]")


def _window(frame: pd.DataFrame, pairs: pd.DataFrame, date_col: str, days: int | None
            ) -> pd.DataFrame:
    """Rows of ``frame`` joined to each (account, as_of) pair, within ``days`` before as_of."""
    joined = frame.merge(pairs[["pair", "account_id", "as_of"]], on="account_id")
    age = (joined["as_of"] - joined[date_col]).dt.days
    keep = age >= 0
    if days is not None:
        keep &= age < days
    out = joined[keep].copy()
    out["age"] = age[keep]
    return out


def compute_inputs(session: Session, pairs: pd.DataFrame, *,
                   stale_manual_days: int = 90) -> pd.DataFrame:
    """Raw and normalised inputs for each row of ``pairs`` (columns account_id, as_of).

    Returns one row per pair (same order) with ``<input>`` (0–100 or NaN) and ``raw.<input>``
    columns, plus ``stale.csm_sentiment`` and ``stale.csm_pulse``.
    """
    pairs = pairs.reset_index(drop=True).copy()
    pairs["pair"] = np.arange(len(pairs))
    pairs["as_of"] = _dates(pairs["as_of"])
    out = pd.DataFrame(index=pairs.index)
    if pairs.empty:
        return out
    accounts = pairs["account_id"].unique().tolist()
    few = len(accounts) <= 500  # one account page: read only its rows

    def only(stmt: Any, column: Any) -> Any:
        return stmt.where(column.in_(accounts)) if few else stmt
    hi = pairs["as_of"].max().date()
    lo = pairs["as_of"].min()

    def since(days: int) -> date:
        day: date = (lo - pd.Timedelta(days=days)).date()
        return day

    acc = read_frame(session, only(select(Account.id.label("account_id"),
                                          Account.engagement_model, Account.customer_since,
                                          Account.first_value_date), Account.id))
    acc = pairs[["pair", "account_id", "as_of"]].merge(acc, on="account_id", how="left")
    acc = acc.sort_values("pair").reset_index(drop=True)

    # Usage: utilisation and breadth over 30 days, trend over 90, change against the 90
    # days before the last 30.
    if pairs["as_of"].nunique() == 1:  # today's health: the database sums each account's rows
        sums = _usage_sums_sql(session, pairs, accounts if few else None)
    else:
        usage = read_frame(session, only(select(
            UsageSnapshot.account_id, UsageSnapshot.date, UsageSnapshot.active_users,
            UsageSnapshot.licensed_seats, UsageSnapshot.key_events,
            UsageSnapshot.features_used, UsageSnapshot.logins,
        ).where(and_(UsageSnapshot.date >= since(USAGE_DAYS), UsageSnapshot.date <= hi)),
            UsageSnapshot.account_id))
        usage["date"] = _dates(usage["date"])
        usage = usage[usage["account_id"].isin(accounts)]
        sums = _usage_sums_rows(_window(usage, pairs, "date", USAGE_DAYS))
    # Breadth is judged against the widest use in the whole book, not just these accounts.
    top_features = float(until_changed(
        session, "max features used",
        lambda: session.scalar(select(func.max(UsageSnapshot.features_used)))) or 1)
    _usage_inputs(out, _usage_windows(sums, out.index), max(top_features, 1.0))

    # Proactive touches.
    if pairs["as_of"].nunique() == 1:  # today's health: let the database take the latest
        acts = read_frame(session, only(select(
            Activity.account_id, func.max(Activity.occurred_on).label("occurred_on"))
            .where(Activity.proactive.is_(True), Activity.occurred_on <= hi),
            Activity.account_id).group_by(Activity.account_id))
    else:
        acts = read_frame(session, only(select(Activity.account_id, Activity.occurred_on)
                                        .where(Activity.proactive.is_(True),
                                               Activity.occurred_on <= hi),
                                        Activity.account_id))
    acts["occurred_on"] = _dates(acts["occurred_on"])
    last = _window(acts, pairs, "occurred_on", None).groupby("pair")["age"].min()
    days = last.reindex(out.index).astype(float)
    cadence = acc["engagement_model"].map(CADENCE_DAYS).fillna(30).astype(float)
    out["raw.days_since_proactive_touch"] = days
    out["days_since_proactive_touch"] = (100 * (1 - (days - cadence / 2) / (2.5 * cadence))
                                         ).clip(0, 100)

    # Relationship and the CSM's own (manual, dated) sentiment of the champion.
    # Only a champion or a sponsor says anything of the relationship (a third of the
    # contacts); the others count only as contacts on record, counted by the database.
    contacts = read_frame(session, only(select(
        Contact.account_id, Contact.is_champion, Contact.left_company, Contact.left_on,
        Contact.is_executive_sponsor, Contact.last_contacted, Contact.sentiment,
        Contact.sentiment_on).where(Contact.is_champion.is_(True)
                                    | Contact.is_executive_sponsor.is_(True)),
        Contact.account_id))
    on_record = read_frame(session, only(select(Contact.account_id).group_by(
        Contact.account_id), Contact.account_id))["account_id"]
    with_contacts = pd.Index(pairs.loc[pairs["account_id"].isin(on_record), "pair"])
    for c in ("left_on", "last_contacted", "sentiment_on"):
        contacts[c] = _dates(contacts[c])
    cj = contacts.merge(pairs[["pair", "account_id", "as_of"]], on="account_id")
    gone = cj["left_company"].astype(bool) & (cj["left_on"].isna() | (cj["left_on"] <= cj["as_of"]))
    champ = (cj["is_champion"].astype(bool) & ~gone).groupby(cj["pair"]).any().reindex(
        with_contacts, fill_value=False)
    recent = (cj["last_contacted"] <= cj["as_of"]) & (
        cj["last_contacted"] > cj["as_of"] - pd.Timedelta(days=90))
    # The activity log is history: a touch the sponsor took part in within 90 days of the
    # date counts even when "last contacted" has moved on since.
    met = read_frame(session, select(Contact.id.label("contact_id"),
                                     Activity.account_id, Activity.occurred_on)
                     .join(activity_contacts, activity_contacts.c.contact_id == Contact.id)
                     .join(Activity, Activity.id == activity_contacts.c.activity_id)
                     .where(Contact.is_executive_sponsor.is_(True),
                            Activity.occurred_on >= since(90), Activity.occurred_on <= hi))
    met["occurred_on"] = _dates(met["occurred_on"])
    met_pairs = set(_window(met, pairs, "occurred_on", 90)["pair"].tolist())
    sponsor = ((cj["is_executive_sponsor"].astype(bool) & ~gone & recent).groupby(
        cj["pair"]).any().reindex(with_contacts, fill_value=False)
        | pd.Series(with_contacts.isin(list(met_pairs)), index=with_contacts)).astype(bool)
    # Who is on record at all, for the breakdown's words ("no sponsor recorded" is not
    # "sponsor not contacted"): a champion (even one who left), a sponsor still there.
    out["raw.champion_recorded"] = cj["is_champion"].astype(bool).groupby(
        cj["pair"]).any().reindex(out.index).fillna(False).astype(bool)
    out["raw.sponsor_recorded"] = (cj["is_executive_sponsor"].astype(bool) & ~gone).groupby(
        cj["pair"]).any().reindex(out.index).fillna(False).astype(bool)
    rel_score = 60 * champ.astype(float) + 40 * sponsor.astype(float)  # pairs with contacts
    # A book whose contacts carry no role at all (an imported CRM that has no such flags)
    # says nothing of relationships: missing, not 0 for every account.
    roles_known = session.scalar(select(exists().where(
        Contact.is_champion.is_(True) | Contact.is_executive_sponsor.is_(True)
        | Contact.is_economic_buyer.is_(True))))
    if not roles_known:
        rel_score = rel_score * np.nan
    out["raw.relationship"] = rel_score.reindex(out.index).astype(float)
    out["relationship"] = out["raw.relationship"]
    felt = cj["is_champion"].astype(bool) & (cj["sentiment_on"] <= cj["as_of"]) & cj[
        "sentiment"].isin(["positive", "neutral", "negative"])
    # A champion who has left takes their sentiment with them: while no champion still
    # there has one recorded, it scores 0 (not as if they were still there; counted, so the
    # score keeps its evidence), and the breakdown says why.
    departed = cj[felt & gone].sort_values("sentiment_on").groupby("pair").tail(1).set_index(
        "pair")
    manual = cj[felt & ~gone]
    manual = manual.sort_values("sentiment_on").groupby("pair").tail(1).set_index("pair")
    out["raw.csm_sentiment"] = manual["sentiment"].reindex(out.index)
    out["raw.csm_sentiment_departed"] = departed["sentiment"].reindex(out.index).where(
        out["raw.csm_sentiment"].isna())
    out["csm_sentiment"] = out["raw.csm_sentiment"].map(
        {"positive": 100.0, "neutral": 50.0, "negative": 0.0}).astype(float).where(
        out["raw.csm_sentiment_departed"].isna(), 0.0)
    age = (pairs["as_of"] - manual["sentiment_on"].reindex(out.index)).dt.days
    out["stale.csm_sentiment"] = age > stale_manual_days

    # Support load over 90 days.
    tickets = read_frame(session, only(
        select(SupportTicket.account_id, SupportTicket.opened_on, SupportTicket.priority,
               SupportTicket.is_escalation)
        .where(SupportTicket.opened_on <= hi, SupportTicket.opened_on >= since(90)),
        SupportTicket.account_id))
    tickets["opened_on"] = _dates(tickets["opened_on"])
    tw = _window(tickets, pairs, "opened_on", 90)
    load = (tw["priority"].map(TICKET_WEIGHT).fillna(1.0) + 3.0 * tw["is_escalation"].astype(
        float)).groupby(tw["pair"]).sum()
    load = load.reindex(out.index).astype(float).fillna(0.0)
    out["raw.support_load"] = load
    out["raw.tickets_90"] = tw.groupby("pair").size().reindex(out.index).fillna(0).astype(float)
    out["raw.escalations_90"] = tw["is_escalation"].astype(float).groupby(tw["pair"]).sum(
        ).reindex(out.index).fillna(0).astype(float)
    out["support_load"] = 100 * np.exp(-load / 6.0)
    if not session.scalar(select(exists().where(SupportTicket.id.is_not(None)))):
        # No ticket in the whole book: tickets were never imported, which is no news of
        # a quiet support queue. Missing, not 100 for every account.
        out["raw.support_load"] = np.nan
        out["support_load"] = np.nan

    # Latest NPS / CSAT within a year.
    surveys = read_frame(session, only(
        select(SurveyResponse.account_id, SurveyResponse.kind, SurveyResponse.score,
               SurveyResponse.responded_on, SurveyResponse.id)
        .where(SurveyResponse.responded_on <= hi, SurveyResponse.responded_on >= since(365)),
        SurveyResponse.account_id))
    surveys["responded_on"] = _dates(surveys["responded_on"])
    sw = _window(surveys, pairs, "responded_on", 365)
    # Two answers on one day: the later recorded (higher id) is the latest, on any database.
    latest = (sw.sort_values(["responded_on", "id"], kind="stable").groupby("pair").tail(1)
              .set_index("pair"))
    scaled = np.where(latest["kind"] == "csat", (latest["score"] - 1) * 25, latest["score"] * 10)
    out["raw.sentiment"] = latest["score"].reindex(out.index).astype(float)
    out["sentiment"] = pd.Series(scaled, index=latest.index, dtype=float).reindex(out.index)
    out["raw.sentiment_kind"] = latest["kind"].reindex(out.index)  # "nps" or "csat"
    out["raw.sentiment_on"] = latest["responded_on"].reindex(out.index)

    _pulse_and_silence(session, pairs, out, accounts if few else None, hi,
                       stale_manual_days)

    # Time to first value.
    since = _dates(acc["customer_since"])
    fvd = _dates(acc["first_value_date"])
    reached = fvd.notna() & (fvd <= acc["as_of"])
    ttv_days = (fvd - since).dt.days
    tenure = (acc["as_of"] - since).dt.days
    score = (100 - (ttv_days - 30) * 100 / 150).clip(0, 100)
    ttv = pd.Series(np.nan, index=out.index)
    ttv[reached] = score[reached]
    # Not reached in the first year is a slow start; a customer of longer standing with no
    # date on record (an imported book) is a gap in the data, not a customer who never
    # saw value.
    ttv[~reached & (tenure > 90) & (tenure <= 365)] = 0.0
    out["raw.time_to_first_value"] = ttv_days.where(reached)
    out["time_to_first_value"] = ttv
    return out



USAGE_DAYS = 120  # the last 30 days against the 90 before them
# Each account's usage rows fall in three buckets by their age in days before the date asked:
# the last 30 days, the 60 before them (together the trend's 90 days) and the 30 before those
# (with the middle one, the 90-day baseline the last 30 are compared with). Each bucket is
# summed once (by the database's GROUP BY for the book's one date, by pandas for calibration's
# many), and the inputs are read from the buckets' sums.
BUCKET_STARTS = (30, 90, USAGE_DAYS)
USAGE_COLUMNS = ("active_users", "licensed_seats", "features_used", "key_events", "logins")
# Per bucket: rows, each column's sum and count (of values present), and for the trend the
# sums of d, d·events and d² over rows with events, d being the row's day minus the date's.
BUCKET_SUMS = ("rows", *(f"{how}_{c}" for c in USAGE_COLUMNS for how in ("sum", "count")),
               "sum_d", "sum_d_events", "sum_d2")


def _usage_sums_sql(session: Session, pairs: pd.DataFrame, accounts: list[int] | None
                    ) -> pd.DataFrame:
    """Each pair's :data:`BUCKET_SUMS`, all pairs on one date, summed by the database in one
    pass over the last :data:`USAGE_DAYS` days of usage; indexed by (pair, bucket)."""
    as_of = pairs["as_of"].iloc[0].date()
    day = UsageSnapshot.date
    bucket = case(*((day > as_of - timedelta(days=start), i)
                    for i, start in enumerate(BUCKET_STARTS[:-1])),
                  else_=len(BUCKET_STARTS) - 1)
    d = case((UsageSnapshot.key_events.is_not(None), days_between(day, as_of)))
    columns = [func.count().label("rows")]
    for c in USAGE_COLUMNS:
        column = getattr(UsageSnapshot, c)
        columns += [func.sum(column).label(f"sum_{c}"), func.count(column).label(f"count_{c}")]
    columns += [func.sum(d).label("sum_d"),
                func.sum(d * UsageSnapshot.key_events).label("sum_d_events"),
                func.sum(d * d).label("sum_d2")]
    stmt = (select(UsageSnapshot.account_id, bucket.label("bucket"), *columns)
            .where(day > as_of - timedelta(days=USAGE_DAYS), day <= as_of)
            .group_by(UsageSnapshot.account_id, bucket))
    if accounts is not None:
        stmt = stmt.where(UsageSnapshot.account_id.in_(accounts))
    sums = read_frame(session, stmt)
    sums[list(BUCKET_SUMS)] = sums[list(BUCKET_SUMS)].astype(float)
    return (pairs[["pair", "account_id"]].merge(sums, on="account_id")
            .set_index(["pair", "bucket"])[list(BUCKET_SUMS)])


def _usage_sums_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """Each pair's :data:`BUCKET_SUMS` from its usage rows (with their ``age`` in days), as
    :func:`_usage_sums_sql` gives them."""
    age = rows["age"].astype(float)
    events = rows["key_events"].astype(float)
    d = (-age).where(events.notna())
    parts: dict[str, pd.Series] = {"rows": pd.Series(1.0, index=rows.index)}
    for c in USAGE_COLUMNS:
        parts[f"sum_{c}"] = rows[c].astype(float)
        parts[f"count_{c}"] = rows[c].notna().astype(float)
    parts.update(sum_d=d, sum_d_events=d * events, sum_d2=d * d)
    bucket = np.searchsorted(np.array(BUCKET_STARTS[:-1]), age.to_numpy(), side="right")
    width = len(BUCKET_STARTS)  # one integer key per (pair, bucket) groups fastest
    sums = pd.DataFrame(parts).groupby(rows["pair"].to_numpy() * width + bucket).sum()
    keys = sums.index.to_numpy()
    sums.index = pd.MultiIndex.from_arrays([keys // width, keys % width],
                                           names=["pair", "bucket"])
    return sums


def _usage_windows(buckets: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    """The sums over the inputs' windows, per pair, from the buckets' sums: the last 30 days
    (bucket 0), the trend's 90 (0 and 1) and the baseline before the last 30 (1 and 2)."""
    by_bucket = buckets.unstack("bucket", fill_value=0.0).reindex(index, fill_value=0.0)

    def over(name: str, *which: int) -> pd.Series:
        total = sum(by_bucket.get((name, b), 0.0) for b in which)
        return pd.Series(total, index=index, dtype=float)
    s = pd.DataFrame(index=index)
    s["n30"] = over("rows", 0)
    for c, short in (("active_users", "a"), ("licensed_seats", "s"), ("features_used", "f"),
                     ("key_events", "k"), ("logins", "l")):
        s[f"s{short}30"], s[f"c{short}30"] = over(f"sum_{c}", 0), over(f"count_{c}", 0)
        s[f"s{short}p"], s[f"c{short}p"] = over(f"sum_{c}", 1, 2), over(f"count_{c}", 1, 2)
    # The trend in weeks: x = d / 7.
    s["n90"] = over("count_key_events", 0, 1)
    s["sy"] = over("sum_key_events", 0, 1)
    s["sx"] = over("sum_d", 0, 1) / 7.0
    s["sxy"] = over("sum_d_events", 0, 1) / 7.0
    s["sxx"] = over("sum_d2", 0, 1) / 49.0
    return s


def _usage_inputs(out: pd.DataFrame, s: pd.DataFrame, top_features: float) -> None:
    """Seat utilisation, breadth, logins, depth, trend and change from each pair's sums
    over the windows (:func:`_usage_windows`; 0 where the pair has no usage row)."""
    def mean(total: str, count: str) -> pd.Series:
        return s[total] / s[count].where(s[count] > 0)

    recent = s["n30"] > 0  # a usage row in the last 30 days
    seats = s["ss30"].fillna(0.0).where(recent)
    users = s["sa30"].fillna(0.0).where(recent)
    out["raw.seat_utilisation"] = (users / seats.where(seats > 0)).clip(upper=1.0)
    out["seat_utilisation"] = (out["raw.seat_utilisation"] * 100).clip(0, 100)
    # The numbers behind it, for the breakdown's words ("158 active users of 278 seats").
    out["raw.active_users_30"] = mean("sa30", "ca30")
    out["raw.seats_30"] = mean("ss30", "cs30")
    out["raw.adoption_breadth"] = mean("sf30", "cf30")
    out["adoption_breadth"] = (out["raw.adoption_breadth"] / top_features * 100).clip(0, 100)
    per_user = s["sk30"].fillna(0.0).where(recent) / users.where(users > 0)
    logins = mean("sl30", "cl30")
    out["raw.login_volume"] = logins
    out["login_volume"] = logins.rank(pct=True) * 100
    out["raw.depth"] = per_user
    out["depth"] = per_user.rank(pct=True) * 100

    n = s["n90"].where(s["n90"] > 0)
    denom = n * s["sxx"] - s["sx"] ** 2
    slope = (n * s["sxy"] - s["sx"] * s["sy"]) / denom.where(denom > 0)
    level = s["sy"] / n
    out["raw.usage_trend"] = (slope / level.where(level > 0)).where(n >= 4)
    out["usage_trend"] = 50 + 50 * np.tanh(out["raw.usage_trend"] / 0.02)

    # Change against the account's own baseline: the last 30 days against the 90 before.
    # Events are a flow (a day's worth over each window's length), users a level (the mean
    # of the snapshots in each window); no usage row in the last 30 days reads as none.
    for name, base, now in (
            ("usage_change", s["skp"].where(s["ckp"] > 0) / 90.0, s["sk30"] / 30.0),
            ("users_change", mean("sap", "cap"), mean("sa30", "ca30"))):
        change = now.fillna(0.0) / base.where(base > 0) - 1
        out[f"raw.{name}"] = change.astype(float)
        out[name] = 50 + 50 * np.tanh(change / CHANGE_SCALE)


def _latest_on_or_before(events: pd.DataFrame, pairs: pd.DataFrame, on: str) -> pd.DataFrame:
    """For each pair, the latest row of ``events`` (account_id, ``on``, …) dated on or
    before its as_of (no look-ahead); indexed by pair, pairs with none left out."""
    if events.empty:
        return events.iloc[0:0].assign(pair=[]).set_index("pair")
    left = pairs[["pair", "account_id", "as_of"]].sort_values("as_of")
    left = left.assign(account_id=left["account_id"].astype("int64"))
    right = events.dropna(subset=[on]).sort_values(on)
    right = right.assign(account_id=right["account_id"].astype("int64"))
    joined = pd.merge_asof(left, right, left_on="as_of", right_on=on, by="account_id",
                           direction="backward")
    return joined.dropna(subset=[on]).set_index("pair")


def _pulse_and_silence(session: Session, pairs: pd.DataFrame, out: pd.DataFrame,
                       accounts: list[int] | None, hi: date, stale_manual_days: int) -> None:
    """``csm_pulse`` (the CSM's latest rating) and ``days_of_silence`` (days since the last
    sign of life), each read as of each pair's date."""

    def only(stmt: Any, column: Any) -> Any:
        return stmt.where(column.in_(accounts)) if accounts is not None else stmt

    pulses = read_frame(session, only(
        select(PulseEntry.account_id, PulseEntry.day, PulseEntry.rating, PulseEntry.id)
        .where(PulseEntry.day <= hi), PulseEntry.account_id))
    pulses["day"] = _dates(pulses["day"])
    # Two pulses on one day: the later recorded (higher id) is the latest.
    pulses = pulses.sort_values(["day", "id"], kind="stable").drop_duplicates(
        ["account_id", "day"], keep="last")
    latest = _latest_on_or_before(pulses, pairs, "day")
    rating = latest["rating"].reindex(out.index).astype(float)
    out["raw.csm_pulse"] = rating
    out["csm_pulse"] = rating.map(PULSE_SCORE).astype(float)
    age = (pairs["as_of"] - latest["day"].reindex(out.index)).dt.days
    out["stale.csm_pulse"] = (age > stale_manual_days).astype(bool)

    # The last sign of life: the newest of any activity, ticket opened or survey answer.
    single = pairs["as_of"].nunique() == 1
    frames = []
    for column, key, when in ((Activity.occurred_on, Activity.account_id, Activity.occurred_on),
                              (SupportTicket.opened_on, SupportTicket.account_id,
                               SupportTicket.opened_on),
                              (SurveyResponse.responded_on, SurveyResponse.account_id,
                               SurveyResponse.responded_on)):
        if single:  # today's health: let the database take each account's latest
            stmt = select(key.label("account_id"), func.max(column).label("on")).where(
                when <= hi).group_by(key)
        else:
            stmt = select(key.label("account_id"), column.label("on")).where(when <= hi)
        frames.append(read_frame(session, only(stmt, key)))
    signs = pd.concat(frames, ignore_index=True)
    signs["on"] = _dates(signs["on"])
    signs = signs.dropna(subset=["on"]).drop_duplicates()
    last = _latest_on_or_before(signs[["account_id", "on"]], pairs, "on")
    days = (pairs["as_of"] - last["on"].reindex(out.index)).dt.days.astype(float)
    out["raw.days_of_silence"] = days
    out["days_of_silence"] = (100 * (SILENCE_GONE_DAYS - days)
                              / (SILENCE_GONE_DAYS - SILENCE_QUIET_DAYS)).clip(0, 100)


def custom_inputs(session: Session, account_ids: pd.Series, as_of: pd.Series | None = None,
                  ) -> tuple[pd.DataFrame, list[str]]:
    """The accounts' own custom fields as inputs: numeric ones as they are (later
    standardised), categorical ones as one 0/1 indicator per level (at most 12 levels).

    With ``as_of`` (a day per row of ``account_ids``), a field whose changes the field
    history holds is read as it was on that day (no look-ahead); a field with no history is
    its *current* value (see :func:`custom_fields_without_history`).
    """
    acc = read_frame(session, select(Account.id.label("account_id"), Account.custom_fields))
    import json

    values = acc["custom_fields"].map(lambda v: json.loads(v) if isinstance(v, str) else (v or {}))
    wide = pd.DataFrame(values.tolist(), index=acc["account_id"])
    dated = fields_with_history(session, "accounts") if as_of is not None else set()
    out = pd.DataFrame(index=account_ids.index)
    names: list[str] = []
    for col in wide.columns:
        if as_of is not None and f"{CUSTOM_PREFIX}{col}" in dated:
            days = [d.date() if isinstance(d, pd.Timestamp) else d for d in as_of.tolist()]
            series = pd.Series(values_on_days(session, "accounts", f"{CUSTOM_PREFIX}{col}",
                                              account_ids.tolist(), days),
                               index=account_ids.index, dtype=object)
        else:
            series = wide[col].reindex(account_ids.to_numpy())
            series.index = account_ids.index
        text = series.astype("string").str.strip().replace({"": pd.NA})
        numeric = pd.to_numeric(text.str.replace(r"[$,%\s]", "", regex=True),
                                errors="coerce").astype(float)
        present = text.notna().sum()
        if present == 0:
            continue
        if numeric.notna().sum() >= 0.9 * present:
            name = f"custom:{col}"
            out[name] = numeric
            names.append(name)
            continue
        levels = text.dropna().unique()
        if len(levels) > 12 or len(levels) < 2:
            continue
        for level in sorted(levels)[1:]:  # one level is the baseline
            name = f"custom:{col}={level}"
            out[name] = (text == level).astype(float).where(text.notna())
            names.append(name)
    return out, names


def custom_fields_without_history(session: Session, names: list[str]) -> list[str]:
    """The custom fields behind input ``names`` (custom:<field> or custom:<field>=<level>)
    that have no recorded change: those are current values, not values as of a day."""
    dated = fields_with_history(session, "accounts")
    fields = dict.fromkeys(n.split("=", 1)[0] for n in names if n.startswith(CUSTOM_PREFIX))
    return [f[len(CUSTOM_PREFIX):] for f in fields if f not in dated]


LABELS_INPUT = {i.name: i.label for i in INPUTS}
