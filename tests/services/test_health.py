"""Health scores: maths, missing-is-not-bad, explanation, history, no look-ahead."""

from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select

from csdesk.db import Database
from csdesk.models import Account, Contact, HealthModel, HealthSnapshot, UsageSnapshot
from csdesk.services.defaults import ensure_defaults
from csdesk.services.health.inputs import compute_inputs
from csdesk.services.health.scoring import (
    components_of,
    explain,
    model_for_segment,
    recompute,
    save_model_version,
    score_frame,
)

AS_OF = date(2026, 6, 30)
CONFIG = {"inputs": {"a": {"enabled": True, "weight": 30}, "b": {"enabled": True, "weight": 10},
                     "c": {"enabled": False, "weight": 60}},
          "bands": {"green": 70, "yellow": 40},
          # The maths of the mean, on one or two inputs (the evidence rule is tested below).
          "evidence": {"min_inputs": 1, "min_weight": 0}}


def test_score_is_a_weighted_mean_over_present_inputs() -> None:
    frame = pd.DataFrame({"a": [80.0, 80.0, None], "b": [40.0, None, None], "c": [0, 0, 0]})
    out = score_frame(frame, CONFIG)
    assert out["score"].iloc[0] == pytest.approx((30 * 80 + 10 * 40) / 40)  # 70 → green
    assert out["band"].iloc[0] == "green"
    assert out["score"].iloc[1] == pytest.approx(80)  # b missing: not counted as 0
    assert out["inputs_present"].tolist() == [2, 1, 0]
    assert pd.isna(out["score"].iloc[2]) and out["band"].iloc[2] is None
    assert out["drag"].iloc[0] == "a"  # 30×20 = 600 lost vs b's 10×60 = 600: first max
    assert out["points.a"].iloc[0] == pytest.approx(60) and out["points.b"].iloc[0] == 10


def test_a_score_needs_three_inputs_carrying_half_the_weight() -> None:
    """Below the default minimum of evidence there is no score and no band (the screens
    say "not enough data"); at it, the weighted mean as before."""
    weights = {"a": 20, "b": 15, "c": 15, "d": 10, "e": 40}
    config = {"inputs": {n: {"enabled": True, "weight": w} for n, w in weights.items()},
              "bands": {"green": 70, "yellow": 40}}
    frame = pd.DataFrame({
        "a": [100.0, 100.0, 100.0, 100.0, 60.0],
        "b": [100.0, 100.0, 100.0, None, 60.0],
        "c": [None, 100.0, 100.0, None, 60.0],
        "d": [None, None, 100.0, None, None],
        "e": [None, None, None, 100.0, None],
    })
    out = score_frame(frame, config)
    # 2 inputs: never a score, even a perfect one (today's "green 100 from 1 of 9").
    assert pd.isna(out["score"].iloc[0]) and out["band"].iloc[0] is None
    # 3 inputs but 50 of 100 weight: exactly half is enough.
    assert out["score"].iloc[1] == pytest.approx(100) and out["band"].iloc[1] == "green"
    assert out["score"].iloc[2] == pytest.approx(100)  # 4 inputs, 60 % of the weight
    # 2 inputs carrying 60 %: heavy, but too few.
    assert pd.isna(out["score"].iloc[3])
    # 3 inputs carrying 50 %: (20·60 + 15·60 + 15·60) / 50 = 60 → yellow
    assert out["score"].iloc[4] == pytest.approx(60) and out["band"].iloc[4] == "yellow"
    assert out["inputs_present"].tolist() == [2, 3, 4, 2, 3]
    # 3 inputs with under half the weight: a, c and d carry 45 of 100.
    thin = score_frame(pd.DataFrame({"a": [90.0], "c": [90.0], "d": [90.0]}), config)
    assert pd.isna(thin["score"].iloc[0])
    # A model may ask for less (or more).
    lenient = {**config, "evidence": {"min_inputs": 2, "min_weight": 0.3}}
    assert score_frame(frame, lenient)["score"].iloc[0] == pytest.approx(100)


def test_an_old_customer_with_no_first_value_date_is_missing_data_not_zero(db: Database
                                                                          ) -> None:
    """Time to first value is measured in the first year; a customer of years with no date
    on record (an imported book) has the input missing, not 0."""
    ensure_defaults(db)
    with db.write() as s:
        for ext, since in (("YOUNG", AS_OF - timedelta(days=200)),
                           ("OLD", AS_OF - timedelta(days=1400))):
            s.add(Account(external_id=ext, name=ext, segment="smb",
                          engagement_model="tech_touch", customer_since=since))
    with db.read() as s:
        ids = dict(s.execute(select(Account.external_id, Account.id)).tuples().all())
        pairs = pd.DataFrame({"account_id": [ids["YOUNG"], ids["OLD"]],
                              "as_of": [pd.Timestamp(AS_OF)] * 2})
        inputs = compute_inputs(s, pairs)
    assert inputs["time_to_first_value"].iloc[0] == 0  # day 200, never reached: slow start
    assert pd.isna(inputs["time_to_first_value"].iloc[1])  # day 1400, no date: unknown


def _book(db: Database) -> int:
    ensure_defaults(db)
    with db.write() as s:
        acc = Account(external_id="H1", name="Healthy Co", segment="smb",
                      engagement_model="tech_touch", customer_since=date(2025, 1, 1),
                      first_value_date=date(2025, 1, 21))
        s.add(acc)
        s.flush()
        for week in range(13):
            d = AS_OF - timedelta(days=7 * week)
            s.add(UsageSnapshot(account_id=acc.id, date=d, active_users=8, licensed_seats=10,
                                key_events=100, features_used=6, logins=50))
        s.add(Contact(account_id=acc.id, name="Cham Pion", is_champion=True,
                      sentiment="negative", sentiment_on=AS_OF - timedelta(days=200)))
        return acc.id


def test_inputs_and_explanation(db: Database) -> None:
    from csdesk.models import SupportTicket

    acc_id = _book(db)
    with db.write() as s:  # the book has tickets, none in the last 90 days
        s.add(SupportTicket(account_id=acc_id, external_id="OLD", subject="long ago",
                            opened_on=AS_OF - timedelta(days=200)))
    e = explain(db, "H1", as_of=AS_OF)
    lines = {line.name: line for line in e.lines}
    assert lines["seat_utilisation"].value == pytest.approx(80)
    assert lines["usage_trend"].value == pytest.approx(50)  # flat
    assert lines["adoption_breadth"].value == pytest.approx(100)  # the book's widest
    assert lines["time_to_first_value"].value == pytest.approx(100)  # 20 days
    assert lines["relationship"].value == pytest.approx(60)  # champion, no sponsor
    assert lines["support_load"].value == pytest.approx(100)  # no tickets is good
    assert lines["sentiment"].value is None  # no NPS: missing, not bad
    assert lines["days_since_proactive_touch"].value is None
    assert lines["csm_sentiment"].value == 0 and lines["csm_sentiment"].stale
    assert e.inputs_present == 7 and e.inputs_total == 9
    assert e.drag == "usage_trend"  # 50 × weight 15 costs the most points
    assert sum(line.points or 0 for line in e.lines) == pytest.approx(e.score)
    assert (e.account_id, e.external_id, e.name, e.as_of) == (acc_id, "H1", "Healthy Co", AS_OF)


def test_no_look_ahead(db: Database) -> None:
    """Data recorded after the as-of date never changes the inputs of that date."""
    acc_id = _book(db)
    pairs = pd.DataFrame({"account_id": [acc_id], "as_of": [pd.Timestamp(AS_OF)]})
    with db.read() as s:
        before = compute_inputs(s, pairs)
    with db.write() as s:
        for week in range(1, 20):  # a collapse after the date
            s.add(UsageSnapshot(account_id=acc_id, date=AS_OF + timedelta(days=7 * week),
                                active_users=0, licensed_seats=10, key_events=0,
                                features_used=0, logins=0))
        champ = s.scalars(select(Contact)).one()
        champ.left_company, champ.left_on = True, AS_OF + timedelta(days=10)
    with db.read() as s:
        after = compute_inputs(s, pairs)
    pd.testing.assert_frame_equal(before, after)


def test_recompute_keeps_history_and_models_are_versioned(db: Database) -> None:
    _book(db)
    first = recompute(db, as_of=AS_OF)
    again = recompute(db, as_of=AS_OF)  # the same day again replaces, never duplicates
    recompute(db, as_of=AS_OF - timedelta(days=30))
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(HealthSnapshot)) == 2
        snap = s.scalars(select(HealthSnapshot).order_by(HealthSnapshot.as_of.desc())).first()
        parts = components_of(snap.components)
        assert parts["inputs"]["seat_utilisation"]["value"] == pytest.approx(80)
    assert first.scored == again.scored == 1
    model = save_model_version(db, {"inputs": {"seat_utilisation": {"enabled": True,
                                                                   "weight": 100}}})
    assert model.version == 2
    with db.read() as s:
        versions = s.scalars(select(HealthModel.version).order_by(HealthModel.version)).all()
        active = s.scalars(select(HealthModel.version).where(HealthModel.is_active)).all()
    assert versions == [1, 2] and active == [2]
    assert explain(db, "H1", as_of=AS_OF).score == pytest.approx(80)


def test_book_of_100_demo_accounts_scores_in_one_pass(demo_db: Database) -> None:
    from collections import Counter

    day = date(2026, 11, 22)
    summary = recompute(demo_db, as_of=day)
    with demo_db.read() as s:  # what was stored for the day, and the live accounts
        stored = s.execute(select(HealthSnapshot.score, HealthSnapshot.band)
                           .where(HealthSnapshot.as_of == day)).all()
        live = s.scalar(select(func.count()).select_from(Account)
                        .where(Account.status == "active"))
    assert summary.accounts == len(stored) == live
    assert summary.scored == sum(score is not None for score, _band in stored)
    assert summary.bands == dict(Counter(band.value for _s, band in stored if band))
    assert set(summary.bands) == {"green", "yellow", "red"}


def test_segment_models_and_custom_field_inputs(db: Database) -> None:
    _book(db)
    with db.write() as s:
        s.add(Account(external_id="E1", name="Big Co", segment="enterprise",
                      engagement_model="high_touch", custom_fields={"NPS tier": "gold",
                                                                    "Minutes": "10"}))
        s.add(Account(external_id="E2", name="Bigger Co", segment="enterprise",
                      engagement_model="high_touch", custom_fields={"NPS tier": "silver",
                                                                    "Minutes": "90"}))
    save_model_version(db, {"inputs": {"custom:NPS tier=silver": {"enabled": True,
                                                                  "weight": 50},
                                       "custom:Minutes": {"enabled": True, "weight": 50,
                                                          "invert": True}}},
                       name="Enterprise", segment="enterprise")
    e1, e2 = explain(db, "E1", as_of=AS_OF), explain(db, "E2", as_of=AS_OF)
    assert e1.model == "Enterprise v1" and explain(db, "H1", as_of=AS_OF).model == "Default v1"
    assert e1.score == pytest.approx(25)  # not silver (0); fewest minutes ranks 50 → 50
    assert e2.score == pytest.approx(50)  # silver (100); most minutes, inverted → 0


def test_changing_bands_resegments_the_book(db: Database) -> None:
    from csdesk.models import Subscription
    from csdesk.services.book.segments import load_bands, set_bands

    with db.write() as s:
        acc = Account(external_id="S1", name="Seg", segment="smb", engagement_model="tech_touch")
        s.add(acc)
        s.flush()
        s.add(Subscription(account_id=acc.id, start_date=date(2020, 1, 1),
                           end_date=date(2099, 1, 1), arr_cents=30_000_00))
    assert set_bands(db, 200_000_00, 20_000_00, 2_000_00) == 1
    with db.read() as s:
        acc = s.scalars(select(Account)).one()
    assert acc.segment.value == "mid_market" and acc.engagement_model.value == "mid_touch"
    assert load_bands(db).mid_market_cents == 20_000_00


def test_the_model_a_segment_is_scored_with(db: Database) -> None:
    ensure_defaults(db)
    default = model_for_segment(db, None)
    assert (default.name, default.version, default.segment) == ("Default", 1, None)
    assert model_for_segment(db, "enterprise") == default  # no model of its own yet
    save_model_version(db, {"inputs": {"seat_utilisation": {"enabled": True, "weight": 100}}},
                       name="Enterprise", segment="enterprise")
    save_model_version(db, {"inputs": {"seat_utilisation": {"enabled": True, "weight": 90}}},
                       name="Enterprise", segment="enterprise")
    own = model_for_segment(db, "enterprise")
    assert (own.name, own.version, own.segment) == ("Enterprise", 2, "enterprise")
    assert own.config["inputs"]["seat_utilisation"]["weight"] == 90
    assert model_for_segment(db, "smb") == default
    own.config["bands"] = {}  # a copy to edit: the stored model is untouched
    assert model_for_segment(db, "enterprise").config["bands"] != {}


def test_inputs_the_book_never_had_data_for_are_missing_not_invented(db: Database) -> None:
    """A book with no ticket at all and no contact with a role (a CRM import) has support
    load and relationship missing, not 100 and 0 for everyone; one ticket or one role in
    the book makes them count for every account."""
    from csdesk.models import SupportTicket

    ensure_defaults(db)
    with db.write() as s:
        quiet = Account(external_id="Q", name="Quiet", segment="smb",
                        engagement_model="tech_touch", customer_since=date(2025, 1, 1))
        other = Account(external_id="O", name="Other", segment="smb",
                        engagement_model="tech_touch", customer_since=date(2025, 1, 1))
        s.add_all([quiet, other])
        s.flush()
        s.add(Contact(account_id=quiet.id, name="No Role"))
        ids = (quiet.id, other.id)
    pairs = pd.DataFrame({"account_id": list(ids), "as_of": [pd.Timestamp(AS_OF)] * 2})
    with db.read() as s:
        before = compute_inputs(s, pairs)
    assert before["support_load"].isna().all() and before["relationship"].isna().all()
    with db.write() as s:
        s.add(SupportTicket(account_id=ids[1], external_id="T1", subject="x",
                            opened_on=AS_OF - timedelta(days=10)))
        s.add(Contact(account_id=ids[1], name="Cham Pion", is_champion=True))
    with db.read() as s:
        after = compute_inputs(s, pairs)
    assert after["support_load"].iloc[0] == pytest.approx(100)  # no ticket of its own
    assert after["support_load"].iloc[1] < 100
    assert after["relationship"].iloc[0] == 0  # contacts, none a champion: a real 0
    assert after["relationship"].iloc[1] == 60


def _same_inputs(one_day: pd.DataFrame, many_days: pd.DataFrame) -> None:
    """The book's one-date inputs (summed by the database) equal the same date's rows of a
    many-date call (summed by pandas, as calibration does), input by input. Ranks (login
    volume, depth) are against every pair asked, so they differ by design."""
    many_days = many_days.iloc[: len(one_day)].reset_index(drop=True)
    for column in one_day.columns:
        if column in ("login_volume", "depth"):
            continue
        mine, theirs = one_day[column], many_days[column]
        if mine.dtype.kind in "fi" or theirs.dtype.kind in "fi":
            pd.testing.assert_series_equal(mine.astype(float), theirs.astype(float),
                                           check_names=False, rtol=1e-9)
        else:
            assert mine.fillna("∅").tolist() == theirs.fillna("∅").tolist(), column


def test_one_date_summed_by_the_database_equals_many_dates_summed_by_pandas(
        db: Database) -> None:
    """Usage with gaps (missing seats, events, users) in each window — the last 30 days,
    the trend's 90, the 90 before the last 30 — and rows outside them."""
    ensure_defaults(db)
    ids = []
    with db.write() as s:
        for n, pattern in enumerate((0, 1, 2, 3)):
            acc = Account(external_id=f"G{n}", name=f"Gaps {n}", segment="smb",
                          engagement_model="tech_touch", customer_since=date(2024, 1, 1))
            s.add(acc)
            s.flush()
            ids.append(acc.id)
            for day in range(0, 150, 6 + pattern):
                gap = (day // 6 + pattern) % 4
                s.add(UsageSnapshot(
                    account_id=acc.id, date=AS_OF - timedelta(days=day),
                    active_users=None if gap == 1 else 5 + day % 7,
                    licensed_seats=None if gap == 2 else 12,
                    key_events=None if gap == 3 else 40 + (day * (pattern + 1)) % 23,
                    features_used=None if pattern == 3 else day % 5,
                    logins=None if gap == 0 else day % 11))
        empty = Account(external_id="G-none", name="No usage", segment="smb",
                        engagement_model="tech_touch")
        s.add(empty)
        s.flush()
        ids.append(empty.id)
    one = pd.DataFrame({"account_id": ids, "as_of": [pd.Timestamp(AS_OF)] * len(ids)})
    many = pd.concat([one, one.assign(as_of=pd.Timestamp(AS_OF - timedelta(days=40)))],
                     ignore_index=True)
    with db.read() as s:
        one_day, many_days = compute_inputs(s, one), compute_inputs(s, many)
    assert one_day["seat_utilisation"].notna().sum() == 4  # the inputs are really there
    assert one_day["usage_trend"].notna().sum() == 4
    assert one_day["usage_change"].notna().sum() == 4
    assert pd.isna(one_day["seat_utilisation"].iloc[-1])
    _same_inputs(one_day, many_days)


def test_the_demo_book_one_date_and_many_dates_agree(demo_db: Database) -> None:
    with demo_db.read() as s:
        ids = s.scalars(select(Account.id)).all()
    one = pd.DataFrame({"account_id": ids, "as_of": [pd.Timestamp(AS_OF)] * len(ids)})
    many = pd.concat([one, one.assign(as_of=pd.Timestamp(AS_OF - timedelta(days=90)))],
                     ignore_index=True)
    with demo_db.read() as s:
        _same_inputs(compute_inputs(s, one), compute_inputs(s, many))


def test_the_components_text_of_each_row_is_that_rows_json_whatever_its_texts() -> None:
    from csdesk.services.health.scoring import _json_rows

    for drag, key in ((["usage_trend", None, "x"], "custom:plan=gold"),
                      (["usage_trend", None, 'a},{"b'], "custom:plan=gold"),
                      (["usage_trend", None, "x"], "custom:plan=a},{b")):
        frame = pd.DataFrame({"drag": drag, f"{key}|value": [1.23456, np.nan, 3.0],
                              "usage|stale": [True, False, True]})
        rows = _json_rows(frame)
        assert [json.loads(r) for r in rows] == [
            {"drag": d, f"{key}|value": v, "usage|stale": st}
            for d, v, st in zip(drag, [1.2346, None, 3.0], [True, False, True], strict=True)]
