"""The health breakdown's raw values in words: each input line says what was measured
("158 active users of 278 seats (57 %, 30-day average)") beside its points, from numbers
worked out by hand."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from csdesk.db import Database
from csdesk.models import (
    Account,
    Activity,
    Contact,
    SupportTicket,
    SurveyResponse,
    UsageSnapshot,
)
from csdesk.services.defaults import ensure_defaults
from csdesk.services.health.inputs import BUILTIN
from csdesk.services.health.scoring import explain, input_detail, score_book

AS_OF = date(2026, 6, 30)
EVENTS_RECENT, EVENTS_BEFORE = 440, 750  # key events per snapshot, last 30 days / 90 before
RECENT_AGES, BEFORE_AGES = (5, 12), (40, 60, 80, 100)


def _book(db: Database) -> None:
    ensure_defaults(db)

    def day(days: int) -> date:
        return AS_OF - timedelta(days=days)

    with db.write() as s:
        acc = Account(external_id="D-1", name="AT&T <Legacy> 日本", segment="mid_market",
                      engagement_model="mid_touch", customer_since=day(days=200),
                      first_value_date=day(days=155))
        s.add(acc)
        s.flush()
        for age in RECENT_AGES + BEFORE_AGES:
            s.add(UsageSnapshot(account_id=acc.id, date=day(days=age), active_users=158,
                                licensed_seats=278, features_used=6,
                                key_events=EVENTS_RECENT if age < 30 else EVENTS_BEFORE))
        s.add(Contact(account_id=acc.id, name="Chloe Champion", is_champion=True,
                      sentiment="positive", sentiment_on=day(days=3)))
        s.add(Contact(account_id=acc.id, name="Sam Sponsor", is_executive_sponsor=True,
                      last_contacted=day(days=200)))
        s.add(Activity(account_id=acc.id, kind="call", summary="check-in", proactive=True,
                       occurred_on=day(days=12)))
        s.add(Activity(account_id=acc.id, kind="email", summary="old", proactive=True,
                       occurred_on=day(days=50)))
        for i, age in enumerate((20, 30, 40, 50)):
            s.add(SupportTicket(account_id=acc.id, subject=f"t{i}", opened_on=day(days=age),
                                priority="normal", is_escalation=i == 0))
        s.add(SupportTicket(account_id=acc.id, subject="old", opened_on=day(days=120),
                            priority="urgent"))
        s.add(SurveyResponse(account_id=acc.id, kind="nps", score=7,
                             responded_on=date(2026, 6, 3)))


def _details(db: Database, account_id: int) -> dict[str, str]:
    """Every built-in input's words, whether the default model counts it or not."""
    with db.read() as s:
        book, _models = score_book(s, AS_OF, [account_id])
        acc = s.get(Account, account_id)
        assert acc is not None
        rec = book.iloc[0]
        return {n: input_detail(n, rec, as_of=AS_OF,
                                engagement_model=acc.engagement_model.value,
                                customer_since=acc.customer_since) for n in BUILTIN}


def test_each_input_says_its_raw_value_in_words(db: Database) -> None:
    _book(db)
    e = explain(db, "D-1", as_of=AS_OF)
    detail = _details(db, e.account_id)
    # the breakdown's lines carry the same words (some inputs are off in the default model)
    assert {line.name: line.detail for line in e.lines} == {
        line.name: detail[line.name] for line in e.lines}
    # 158 of 278 seats = 56.8 % → 57 %
    assert detail["seat_utilisation"] == "158 active users of 278 seats (57 %, 30-day average)"
    # events a day: 2 × 440 / 30 = 29.33 against 4 × 750 / 90 = 33.33: −12 %
    assert detail["usage_change"] == "key events −12 % vs the 90 days before"
    # the weekly slope of the events of the last 90 days, relative to their mean
    ages = [a for a in RECENT_AGES + BEFORE_AGES if a < 90]
    events = [EVENTS_RECENT if a < 30 else EVENTS_BEFORE for a in ages]
    slope = np.polyfit([-a / 7 for a in ages], events, 1)[0] / np.mean(events)
    assert slope < 0
    assert detail["usage_trend"] == f"key events −{abs(slope) * 100:.1f} %/week over 90 days"
    assert detail["adoption_breadth"] == "6 features in use on average over 30 days"
    assert detail["days_since_proactive_touch"] == \
        "last proactive touch 12 days ago (cadence 30 days)"
    # 4 tickets in 90 days (the urgent one is older): 4 × normal 1 + escalation 3 = 7
    assert detail["support_load"] == "4 tickets in 90 days (1 escalation; weighted load 7)"
    assert detail["sentiment"] == "NPS 7 on 03 Jun 2026"
    assert detail["time_to_first_value"] == "first value after 45 days"
    # the call 12 days ago is the latest sign of life (tickets 20+ days, NPS 27 days)
    assert detail["days_of_silence"] == "12 days since the last sign of life"
    assert detail["relationship"] == "a champion in place; sponsor not contacted in 90 days"
    assert detail["csm_sentiment"] == "champion's sentiment positive"
    assert detail["users_change"] == "active users 0 % vs the 90 days before"
    # the points are the ones they always were: the words sit beside them
    util = next(line for line in e.lines if line.name == "seat_utilisation")
    assert util.value is not None and round(util.value) == 57


def test_missing_inputs_say_so_or_stay_blank(db: Database) -> None:
    """A brand-new account: nothing measured yet, and the words do not make numbers up."""
    ensure_defaults(db)
    with db.write() as s:
        s.add(Account(external_id="NEW", name="New", segment="smb",
                      engagement_model="tech_touch", customer_since=AS_OF - timedelta(days=2)))
    e = explain(db, "NEW", as_of=AS_OF)
    detail = _details(db, e.account_id)
    assert detail["seat_utilisation"] == "" and detail["usage_change"] == ""
    assert detail["days_since_proactive_touch"] == \
        "no proactive touch recorded (cadence 90 days)"
    assert detail["time_to_first_value"] == "no first value yet, 2 days in"
    assert detail["days_of_silence"] == "no sign of life recorded"
    assert all(line.detail == "" for line in e.lines if line.value is None and line.name in
               ("seat_utilisation", "usage_trend", "adoption_breadth", "support_load",
                "sentiment", "relationship"))


def test_relationship_words_tell_no_one_recorded_from_not_contacted() -> None:
    """"Sponsor not contacted" only when there is a sponsor; a champion who left says so."""
    from datetime import date

    from csdesk.services.health.scoring import input_detail

    def words(value: float, champion: bool, sponsor: bool) -> str:
        return input_detail("relationship", {"raw.relationship": value,
                                             "raw.champion_recorded": champion,
                                             "raw.sponsor_recorded": sponsor},
                            as_of=date(2026, 11, 22))

    assert words(0, True, False) == "the champion has left; no sponsor recorded"
    assert words(0, False, True) == "no champion recorded; sponsor not contacted in 90 days"
    assert words(40, False, True) == "no champion recorded; sponsor contacted in 90 days"
    assert words(100, True, True) == "a champion in place; sponsor contacted in 90 days"
    assert words(60, True, False) == "a champion in place; no sponsor recorded"
