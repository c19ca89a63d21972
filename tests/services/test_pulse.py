"""The CSM pulse: recorded through the service, checked, read as of a day, an input."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy import select

from csdesk import clock
from csdesk.db import Database
from csdesk.errors import CsdeskError
from csdesk.models import Account, HealthSnapshot, UsageSnapshot
from csdesk.services.defaults import DEFAULT_HEALTH_CONFIG, ensure_defaults
from csdesk.services.health.inputs import BUILTIN, compute_inputs
from csdesk.services.health.pulse import (
    DEFAULT_PULSE_REASONS,
    disagrees,
    latest_pulse,
    pulse_history,
    pulse_reasons,
    record_pulse,
    set_pulse_reasons,
)
from csdesk.services.health.scoring import (
    components_of,
    explain,
    model_for_segment,
    recompute,
    save_model_version,
)

DAY = date(2026, 11, 22)


@pytest.fixture
def acc(db: Database) -> int:
    ensure_defaults(db)
    with db.write() as s:
        a = Account(external_id="P1", name="AT&T <Legacy> 日本", segment="smb",
                    engagement_model="tech_touch", customer_since=date(2025, 1, 1),
                    first_value_date=date(2025, 1, 20))
        s.add(a)
        s.flush()
        for week in range(16):
            s.add(UsageSnapshot(account_id=a.id, date=DAY - timedelta(days=7 * week),
                                active_users=8, licensed_seats=10, key_events=100,
                                features_used=6, logins=50))
        return a.id


def _inputs(db: Database, account_id: int, *days: date) -> pd.DataFrame:
    pairs = pd.DataFrame({"account_id": [account_id] * len(days),
                          "as_of": [pd.Timestamp(d) for d in days]})
    with db.read() as s:
        return compute_inputs(s, pairs)


def test_record_and_read_the_latest_pulse(db: Database, acc: int) -> None:
    with clock.pin(DAY):
        p = record_pulse(db, "P1", 4, ["strong champion", "Expanding use"], note=" ok ",
                         day=date(2026, 11, 12))
        assert (p.rating, p.reasons, p.note) == (4, ("Strong champion", "Expanding use"), "ok")
        record_pulse(db, "AT&T <Legacy> 日本", "red", day=date(2026, 10, 1))  # by exact name
        latest = latest_pulse(db, acc)
    assert latest is not None and latest.rating == 4 and not latest.stale
    assert latest.line() == "CSM pulse: 4/5 · Strong champion, Expanding use · 12 Nov 2026"
    assert [h.rating for h in pulse_history(db, acc, DAY)] == [4, 1]


def test_as_of_reads_ignore_later_pulses(db: Database, acc: int) -> None:
    with clock.pin(DAY):
        record_pulse(db, acc, 2, day=date(2026, 9, 1))
        record_pulse(db, acc, 5, day=date(2026, 11, 1))
    early = latest_pulse(db, acc, as_of=date(2026, 10, 15))
    assert early is not None and early.rating == 2
    assert latest_pulse(db, acc, as_of=date(2026, 8, 31)) is None
    got = _inputs(db, acc, date(2026, 8, 31), date(2026, 10, 15), DAY)
    assert pd.isna(got["csm_pulse"].iloc[0])
    assert got["csm_pulse"].iloc[1] == 25 and got["raw.csm_pulse"].iloc[1] == 2
    assert got["csm_pulse"].iloc[2] == 100


@pytest.mark.parametrize(("rating", "score"), [(1, 0), (2, 25), (3, 50), (4, 75), (5, 100)])
def test_rating_scores(db: Database, acc: int, rating: int, score: float) -> None:
    with clock.pin(DAY):
        record_pulse(db, acc, rating, day=DAY)
    assert _inputs(db, acc, DAY)["csm_pulse"].iloc[0] == score


def test_a_pulse_older_than_90_days_is_stale(db: Database, acc: int) -> None:
    with clock.pin(DAY):
        record_pulse(db, acc, 4, day=DAY - timedelta(days=91))
    old = latest_pulse(db, acc, as_of=DAY)
    assert old is not None and old.stale and old.age_days == 91
    assert old.line().endswith("(stale: recorded 91 days ago)")
    fresh = latest_pulse(db, acc, as_of=DAY - timedelta(days=1))
    assert fresh is not None and not fresh.stale
    got = _inputs(db, acc, DAY, DAY - timedelta(days=1))
    assert got["stale.csm_pulse"].tolist() == [True, False]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"rating": 0}, "rating from 1 (about to churn) to 5"),
    ({"rating": 6}, "rating from 1 (about to churn) to 5"),
    ({"rating": "great"}, "or red/yellow/green"),
    ({"rating": 3, "reasons": ["Budget cuts", "Low adoption", "Product gaps",
                               "Support issues"]}, "at most 3 reasons"),
    ({"rating": 3, "reasons": ["Moon phase"]}, "not a pulse reason: Moon phase (the reasons "
                                               "are: Exec sponsor change, Budget cuts"),
    ({"rating": 3, "day": DAY + timedelta(days=1)}, "not 23 Nov 2026 (today is 22 Nov 2026)"),
])
def test_invalid_pulses_are_refused_plainly(db: Database, acc: int, kwargs: dict[str, object],
                                            message: str) -> None:
    with clock.pin(DAY), pytest.raises(CsdeskError, match=None) as err:
        record_pulse(db, acc, **kwargs)  # type: ignore[arg-type]
    assert message in str(err.value)
    assert pulse_history(db, acc) == []  # nothing written


def test_unknown_account_is_refused(db: Database, acc: int) -> None:
    with clock.pin(DAY), pytest.raises(CsdeskError, match="no account with external id"):
        record_pulse(db, "nobody", 3)


def test_reasons_are_editable(db: Database, acc: int) -> None:
    assert pulse_reasons(db) == list(DEFAULT_PULSE_REASONS)
    assert set_pulse_reasons(db, [" Reorg ", "", "Price"]) == ["Reorg", "Price"]
    assert pulse_reasons(db) == ["Reorg", "Price"]
    with pytest.raises(CsdeskError, match="listed twice"):
        set_pulse_reasons(db, ["Price", "price"])
    with pytest.raises(CsdeskError, match="at least one"):
        set_pulse_reasons(db, [" "])
    with clock.pin(DAY):
        with pytest.raises(CsdeskError, match="reasons are: Reorg, Price"):
            record_pulse(db, acc, 3, ["Budget cuts"])
        assert record_pulse(db, acc, 3, ["price"]).reasons == ("Price",)


def test_the_pulse_is_off_in_the_default_score(db: Database, acc: int) -> None:
    """Shown beside the score, never blended into it: recording a pulse changes nothing."""
    assert DEFAULT_HEALTH_CONFIG["inputs"]["csm_pulse"] == {"enabled": False, "weight": 0}
    assert {"csm_pulse", "usage_change", "users_change", "days_of_silence"} <= set(BUILTIN)
    before = explain(db, "P1", as_of=DAY)
    with clock.pin(DAY):
        record_pulse(db, acc, 1, ["Budget cuts"], day=DAY)
    after = explain(db, "P1", as_of=DAY)
    assert before.score is not None
    assert (after.score, after.band, after.lines) == (before.score, before.band, before.lines)


def test_turned_on_the_pulse_counts_and_old_models_without_it_still_score(
        db: Database, acc: int) -> None:
    with clock.pin(DAY):
        record_pulse(db, acc, 1, day=DAY - timedelta(days=100))
    config = model_for_segment(db, None).config
    # A book whose model predates the pulse (no key for it) scores as before.
    old = {**config, "inputs": {k: v for k, v in config["inputs"].items()
                                if k not in ("csm_pulse", "usage_change", "users_change",
                                             "days_of_silence")}}
    save_model_version(db, old)
    baseline = explain(db, "P1", as_of=DAY)
    assert baseline.score is not None
    assert "csm_pulse" not in {line.name for line in baseline.lines}
    on = {**config, "inputs": {**config["inputs"],
                               "csm_pulse": {"enabled": True, "weight": 20}}}
    save_model_version(db, on)
    e = explain(db, "P1", as_of=DAY)
    line = next(line for line in e.lines if line.name == "csm_pulse")
    assert (line.value, line.raw, line.stale) == (0, 1, True)
    assert e.score is not None and e.score < baseline.score
    recompute(db, as_of=DAY)  # the stored history keeps the pulse's value and stale flag
    with db.read() as s:
        snap = s.scalars(select(HealthSnapshot)).one()
        stored = components_of(snap.components)["inputs"]["csm_pulse"]
    assert (stored["value"], stored["raw"], stored["stale"]) == (0, 1, True)


def test_disagreement() -> None:
    assert disagrees(1, "green") and disagrees(2, "green") and disagrees(4, "red")
    assert not disagrees(3, "green") and not disagrees(5, "green") and not disagrees(2, "red")
    assert not disagrees(None, "green") and not disagrees(1, None)


def test_a_second_pulse_on_one_day_corrects_the_first(db: Database, acc: int) -> None:
    today = clock.today()
    record_pulse(db, acc, 2, day=today)
    record_pulse(db, acc, 4, reasons=["Strong champion"], day=today)
    assert [p.rating for p in pulse_history(db, acc)] == [4]
    with pytest.raises(CsdeskError, match="more than two years ago"):
        record_pulse(db, acc, 3, day=today - timedelta(days=800))
    assert [p.rating for p in pulse_history(db, acc)] == [4]  # the refused one wrote nothing
