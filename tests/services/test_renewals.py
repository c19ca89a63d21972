"""Renewal tracks with their reasons, checkpoints per segment, forecast, and the .ics file."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from csdesk.db import Database
from csdesk.models import Account, Contact, HealthSnapshot, Renewal, Subscription, UsageSnapshot
from csdesk.models.enums import RenewalTrack
from csdesk.services.renewals.calendar import to_ics
from csdesk.services.renewals.pipeline import checkpoints, classify, default_likelihood, pipeline

TODAY = date(2026, 11, 22)
CALM = dict(band="green", trend=1.0, auto_renew=False, multi_year=False, champion_left=False,
            seat_use=0.8, escalation_open=False)


@pytest.mark.parametrize(("change", "track", "reason"), [
    ({}, "standard", "no auto-renew clause"),
    ({"auto_renew": True}, "auto_renew", "auto-renews"),
    ({"multi_year": True}, "auto_renew", "multi-year term"),
    ({"auto_renew": True, "trend": -8.0}, "standard", "health is green"),
    ({"band": "red", "auto_renew": True}, "at_risk", "health is red"),
    ({"band": "yellow", "trend": -6.0}, "at_risk", "yellow and fell 6 points"),
    ({"band": "yellow", "trend": -2.0}, "standard", "health is yellow"),
    ({"champion_left": True, "auto_renew": True}, "at_risk", "champion has left"),
    ({"seat_use": 0.3}, "at_risk", "only 30% of seats"),
    ({"escalation_open": True}, "at_risk", "escalation is open"),
    ({"band": None}, "standard", "no health score yet"),
])
def test_track_rules(change: dict, track: str, reason: str) -> None:
    got, reasons = classify(**{**CALM, **change})
    assert got == track
    assert any(reason in r for r in reasons)


def test_checkpoints_per_segment() -> None:
    renewal = date(2027, 6, 30)
    start, marks = checkpoints("enterprise", renewal)
    assert start == renewal - timedelta(days=180)
    assert [(renewal - m).days for m in marks] == [180, 120, 90, 60, 30]
    start, marks = checkpoints("smb", renewal)
    assert [(renewal - m).days for m in marks] == [90, 60, 30]
    start, marks = checkpoints("self_serve", renewal)
    assert [(renewal - m).days for m in marks] == [60, 30]
    start, _ = checkpoints("smb", renewal, {"smb": 100})
    assert (renewal - start).days == 100


def test_likelihood_follows_track_and_health() -> None:
    assert default_likelihood("auto_renew", None) == 0.95  # unknown health: the middle
    assert default_likelihood("standard", 50) == 0.80
    assert default_likelihood("at_risk", 0) == 0.30
    assert default_likelihood("at_risk", 100) == 0.60
    assert default_likelihood("at_risk", 20) < default_likelihood("at_risk", 80)
    # Whatever the health, at risk < standard < auto-renew.
    for low in range(0, 101, 5):
        for high in range(0, 101, 5):
            assert default_likelihood("at_risk", high) < default_likelihood("standard", low)
            assert default_likelihood("standard", high) < default_likelihood("auto_renew", low)


def _model(db: Database) -> int:
    from sqlalchemy import select

    from csdesk.models import HealthModel
    from csdesk.services.defaults import ensure_defaults

    ensure_defaults(db)
    with db.read() as s:
        return s.scalars(select(HealthModel.id)).first()


def _account(s, ext: str, name: str, segment: str, *, end: date, auto: bool = False,  # type: ignore[no-untyped-def]
             scores=(80.0, 82.0), users=80, model: int = 1) -> Account:
    acc = Account(external_id=ext, name=name, segment=segment, engagement_model="mid_touch")
    s.add(acc)
    s.flush()
    s.add(Subscription(account_id=acc.id, start_date=end - timedelta(days=364), end_date=end,
                       seats=100, arr_cents=1_000_000, auto_renew=auto))
    for i, score in enumerate(scores):
        band = "green" if score >= 70 else "yellow" if score >= 40 else "red"
        s.add(HealthSnapshot(account_id=acc.id, model_id=model,
                             as_of=TODAY - timedelta(days=30 * (2 - i)), score=score,
                             band=band, inputs_present=9, inputs_total=9))
    s.add(UsageSnapshot(account_id=acc.id, date=TODAY - timedelta(days=3), active_users=users,
                        licensed_seats=100))
    return acc


def test_pipeline_on_a_crafted_book(db: Database) -> None:
    _model(db)
    with db.write() as s:
        _account(s, "A", "Auto Renew AG", "smb", end=date(2027, 1, 10), auto=True)
        b = _account(s, "B", "AT&T <Legacy> 日本", "enterprise", end=date(2027, 3, 1))
        s.add(Contact(account_id=b.id, name="Gone", is_champion=True, left_company=True))
        c = _account(s, "C", "Override Co", "mid_market", end=date(2027, 2, 1),
                     scores=(60.0, 45.0), users=30)
        s.add(Renewal(account_id=c.id, renewal_date=date(2027, 1, 15), current_arr_cents=900_000,
                      track_override=RenewalTrack.STANDARD,
                      track_override_reason="new champion signed off", likelihood=0.8))
        _account(s, "D", "Far Away", "smb", end=date(2028, 1, 1))
    rows = {r.external_id: r for r in pipeline(db, today=TODAY)}
    assert rows["A"].track == "auto_renew" and rows["A"].renewal_date == date(2027, 1, 10)
    assert rows["B"].track == "at_risk" and "champion" in rows["B"].reasons[0]
    c = rows["C"]
    assert (c.computed_track, c.track) == ("at_risk", "standard")
    assert c.override_reason == "new champion signed off"
    assert c.renewal_date == date(2027, 1, 15) and c.arr_cents == 900_000
    assert c.expected_arr_cents == 720_000 and c.likelihood_overridden
    assert rows["A"].expected_arr_cents == round(1_000_000 * rows["A"].likelihood)
    assert rows["B"].next_checkpoint == date(2027, 3, 1) - timedelta(days=90)
    soon = pipeline(db, today=TODAY, within=60)
    assert [r.external_id for r in soon] == ["A", "C"]
    assert [r.external_id for r in pipeline(db, today=TODAY, segment="enterprise")] == ["B"]


def test_ics_round_trips_with_stable_uids(db: Database) -> None:
    _model(db)
    with db.write() as s:
        acc = _account(s, "B", "AT&T <Legacy>; 日本, Inc.", "enterprise", end=date(2027, 3, 1))
        s.add(Renewal(account_id=acc.id, renewal_date=date(2027, 3, 1),
                      current_arr_cents=1_000_000))
    first = Calendar.from_ical(to_ics(pipeline(db, today=TODAY), stamp=TODAY))
    (event,) = first.walk("VEVENT")
    assert "METHOD" not in first
    assert event.decoded("dtstart") == date(2027, 3, 1)
    assert event.decoded("dtend") == date(2027, 3, 2)
    assert str(event["summary"]) == "Renewal: AT&T <Legacy>; 日本, Inc. ($10,000)"
    assert [a.decoded("trigger") for a in event.walk("VALARM")] == [
        timedelta(days=-d) for d in (180, 120, 90, 60, 30)]
    uid, seq = str(event["uid"]), int(event["sequence"])

    with db.write() as s:  # the renewal moves: same UID, higher SEQUENCE
        r = s.query(Renewal).one()
        r.renewal_date = date(2027, 4, 1)
    (moved,) = Calendar.from_ical(to_ics(pipeline(db, today=TODAY), stamp=TODAY)).walk("VEVENT")
    assert str(moved["uid"]) == uid and int(moved["sequence"]) > seq
    assert moved.decoded("dtstart") == date(2027, 4, 1)


def test_outcomes_write_the_subscription_history_grr_and_nrr_use(db: Database) -> None:
    from csdesk.errors import ValidationError
    from csdesk.services.health.metrics import quarterly
    from csdesk.services.renewals.outcomes import log_outcome
    from csdesk.services.settings import churn_reasons, save_churn_reasons

    _model(db)
    with db.write() as s:
        grow = _account(s, "G", "Grows Inc", "smb", end=date(2027, 2, 14))
        leave = _account(s, "L", "Leaves Ltd", "smb", end=date(2027, 2, 20))
        ids = grow.id, leave.id
    with pytest.raises(ValidationError, match="above the current"):
        log_outcome(db, ids[0], "expanded", new_arr_cents=900_000)
    with pytest.raises(ValidationError, match="book's reasons"):
        log_outcome(db, ids[1], "churned")
    result = log_outcome(db, ids[0], "expanded", new_arr_cents=1_500_000,
                         closed_on=date(2027, 2, 1))
    assert (result.old_arr_cents, result.new_arr_cents) == (1_000_000, 1_500_000)
    log_outcome(db, ids[1], "churned", reason="budget_cut", note="Frozen budgets",
                closed_on=date(2027, 2, 10))
    (q,) = quarterly(db, n=1, last="2027Q1")
    assert q.values["nrr"] == pytest.approx((2_000_000 - 1_000_000 + 500_000) / 2_000_000)
    assert q.values["grr"] == pytest.approx(0.5)
    assert q.values["renewal_rate"] == pytest.approx(0.5)
    with db.read() as s:
        churned = s.scalars(select(Renewal).where(Renewal.outcome == "churned")).one()
        assert churned.churn_category.value == "uncontrollable"
        assert s.get(Account, ids[1]).status.value == "churned"
    # The reason list is the book's own and editable.
    save_churn_reasons(db, [*churn_reasons(db), ("pricing", "Price too high", "controllable")])
    assert ("pricing", "Price too high", "controllable") in churn_reasons(db)
    with pytest.raises(ValidationError):
        save_churn_reasons(db, [("x", "X", "maybe")])


def test_forecast_accuracy_and_churn_analysis(db: Database) -> None:
    from csdesk.models import SupportTicket
    from csdesk.models.enums import TicketPriority, TicketStatus
    from csdesk.services.renewals.churn import churn_analysis
    from csdesk.services.renewals.forecast import forecast, forecast_accuracy
    from csdesk.services.renewals.outcomes import log_outcome

    _model(db)
    with db.write() as s:
        a = _account(s, "A", "Steady", "smb", end=date(2027, 2, 1), auto=True)
        b = _account(s, "B", "Shaky", "smb", end=date(2027, 3, 1), users=20)
        s.add(Renewal(account_id=a.id, renewal_date=date(2027, 2, 1),
                      current_arr_cents=1_000_000, likelihood=0.9))
        s.add(Renewal(account_id=b.id, renewal_date=date(2027, 3, 1),
                      current_arr_cents=1_000_000, likelihood=0.5))
        s.add(SupportTicket(account_id=b.id, subject="Outage", opened_on=date(2026, 11, 1),
                            priority=TicketPriority.URGENT, status=TicketStatus.CLOSED,
                            closed_on=date(2026, 11, 5), is_escalation=True))
        ids = a.id, b.id
    f = forecast(db, "2027Q1", today=TODAY)
    assert (f.renewals, f.arr_cents, f.expected_arr_cents) == (2, 2_000_000, 1_400_000)
    assert f.at_risk_arr_cents == 1_000_000  # Shaky: 20% of seats in use
    assert f.start_arr_cents == 2_000_000
    assert f.expected_grr == pytest.approx(0.7) and f.expected_nrr == pytest.approx(0.7)
    assert f.by_track["at_risk"] == (1, 1_000_000, 500_000)

    log_outcome(db, ids[0], "renewed", new_arr_cents=1_000_000, closed_on=date(2027, 1, 20))
    log_outcome(db, ids[1], "churned", reason="service_failure", closed_on=date(2027, 2, 20))
    acc = forecast_accuracy(db, "2027Q1")
    assert (acc.forecast_cents, acc.actual_cents) == (1_400_000, 1_000_000)
    assert acc.accuracy == pytest.approx(0.6)
    analysis = churn_analysis(db)
    (case,) = analysis.cases
    assert (case.name, case.reason, case.category) == ("Shaky", "service_failure",
                                                       "controllable")
    assert "a support escalation" in case.signals
    assert analysis.by_quarter == {"2027Q1": {"service_failure": 1_000_000}}
    assert analysis.by_category == {"controllable": 1_000_000}


def test_process_start_is_the_books_setting(db: Database) -> None:
    from csdesk.errors import ValidationError
    from csdesk.services.settings import process_start, save_process_start

    _model(db)
    with db.write() as s:
        _account(s, "E", "Enterprise Co", "enterprise", end=date(2027, 6, 30))
    (row,) = pipeline(db, today=TODAY)
    assert row.process_start == date(2027, 6, 30) - timedelta(days=180)
    save_process_start(db, {"enterprise": 240})
    assert process_start(db)["enterprise"] == 240 and process_start(db)["smb"] == 90
    (row,) = pipeline(db, today=TODAY)
    assert row.process_start == date(2027, 6, 30) - timedelta(days=240)
    assert [(row.renewal_date - m).days for m in row.checkpoints] == [240, 120, 90, 60, 30]
    with pytest.raises(ValidationError):
        save_process_start(db, {"enterprise": 5})


def test_account_header_shows_the_track_the_pipeline_computes(db: Database) -> None:
    """A stored Renewal made when the account was healthy still says "standard"; the header
    must show today's computed track (at risk: the champion left), like the renewals view."""
    from csdesk.services.book.account_detail import account_facts

    today = date.today()
    _model(db)
    with db.write() as s:
        acc = _account(s, "H", "Header Ltd", "smb", end=today + timedelta(days=70))
        s.add(Contact(account_id=acc.id, name="Gone", is_champion=True, left_company=True))
        s.add(Renewal(account_id=acc.id, renewal_date=today + timedelta(days=70),
                      current_arr_cents=1_000_000, track=RenewalTrack.STANDARD))
        account = acc.id
    header = account_facts(db, account).header
    assert header.renewal_track == "at_risk"
    assert header.renewal_date == today + timedelta(days=70)


def test_settings_are_saved_together_or_not_at_all(db: Database) -> None:
    from csdesk.errors import ValidationError
    from csdesk.services.settings import churn_reasons, feature_limits, process_start, save_settings

    reasons = [("merger", "Merged with a customer of a rival", "uncontrollable")]
    with pytest.raises(ValidationError) as refused:
        save_settings(db, starts={"smb": 75}, reasons=reasons, limits={"Exports": 0})
    assert refused.value.field == "limits"
    assert process_start(db)["smb"] == 90 and len(churn_reasons(db)) == 8
    save_settings(db, starts={"smb": 75}, reasons=reasons, limits={" Exports ": 500})
    assert process_start(db)["smb"] == 75 and process_start(db)["enterprise"] == 180
    assert churn_reasons(db) == reasons and feature_limits(db) == {"Exports": 500}


def test_write_ics_is_whole_or_nothing(db: Database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from csdesk.errors import CsdeskError
    from csdesk.progress import Cancelled
    from csdesk.services.renewals.calendar import write_ics

    _model(db)
    with db.write() as s:
        for i in range(3):
            _account(s, f"W{i}", f"Write {i}", "smb", end=date(2027, 1, 10 + i))
    rows = pipeline(db, today=TODAY)
    target = tmp_path / "renewals.ics"
    last_week = b"BEGIN:VCALENDAR\r\nPRODID:-//csdesk//renewal calendar//EN\r\nEND:VCALENDAR\r\n"
    target.write_bytes(last_week)  # csdesk's own calendar from last week
    with pytest.raises(Cancelled):
        write_ics(target, rows, stamp=TODAY, cancel=lambda: True)
    assert target.read_bytes() == last_week
    assert not list(tmp_path.glob("*.part"))  # nothing half-written left behind
    seen: list[float] = []
    write_ics(target, rows, stamp=TODAY, progress=lambda f, _m: seen.append(f))
    assert len(Calendar.from_ical(target.read_bytes()).walk("VEVENT")) == 3
    assert seen == sorted(seen) and seen[-1] == 0.9
    with pytest.raises(CsdeskError, match="does not exist"):
        write_ics(tmp_path / "nowhere" / "r.ics", rows)
