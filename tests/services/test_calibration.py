"""Calibration finds the demo book's true drivers, flags the decoy, and matches statsmodels."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from csdesk.config import resolve_database
from csdesk.db import Database
from csdesk.services.demo.generate import generate_demo
from csdesk.services.health.calibration import apply_suggestion, auc, calibrate, magic_number
from csdesk.services.health.scoring import explain
from tests.conftest import AS_OF, SHARED


@pytest.fixture(scope="module")
def big_demo(tmp_path_factory: pytest.TempPathFactory) -> Database:
    path = tmp_path_factory.mktemp("cal") / "demo.sqlite"
    db = Database.open(resolve_database(path))
    generate_demo(db, accounts=1500, seed=7, as_of=AS_OF)
    yield db
    db.close()


def test_auc() -> None:
    assert auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.8, 0.9])) == 1.0
    assert auc(np.array([0, 1]), np.array([0.5, 0.5])) == 0.5


def test_true_drivers_rank_first_and_the_decoy_is_flagged(big_demo: Database) -> None:
    report = calibrate(big_demo, as_of=AS_OF)
    assert report.mode == "renewals" and report.outcomes > 1000 and report.churned > 100
    assert report.sample_size["adequate"]  # 1,500 accounts support every input
    by_name = {r.name: r for r in report.inputs}
    ranked = [r.name for r in sorted(report.inputs, key=lambda r: r.p_value)]
    true_drivers = {"relationship", "time_to_first_value", "adoption_breadth",
                    "seat_utilisation"}
    assert set(ranked[:4]) == true_drivers
    assert not by_name["login_volume"].predictive  # the decoy
    assert by_name["login_volume"].verdict == "no effect shown"
    assert by_name["login_volume"].p_value > 0.1
    for name in true_drivers:
        r = by_name[name]
        assert r.odds_ratio < 1 and r.verdict == "predicts"  # healthier → less churn
        assert r.effect_ci[0] < r.odds_ratio < r.effect_ci[1] < 1  # the one rule
    for r in report.inputs:  # predicts exactly when the interval excludes an odds ratio of 1
        assert r.predictive == (r.effect_ci is not None and not
                                r.effect_ci[0] <= 1 <= r.effect_ci[1])
    assert report.model["cv_auc"] > 0.75
    lo, hi = report.model["cv_auc_ci"]
    assert lo < report.model["cv_auc"] < hi and hi - lo < 0.15
    assert report.bands["red"]["churn_rate"] > report.bands["green"]["churn_rate"]
    for band in report.bands.values():
        lo, hi = band["churn_rate_ci"]
        assert lo <= band["churn_rate"] <= hi
    assert 0.7 < report.calibration["slope"] < 1.3 and 0 < report.calibration["brier"] < 0.2
    assert report.lift["model"] > 2
    assert report.calibration_curve and report.warnings == []


def test_never_worse_on_the_same_held_out_renewals(big_demo: Database) -> None:
    """The shipped weights are close to the truth: whatever is suggested must beat them
    out of sample, or be withheld with the reason."""
    report = calibrate(big_demo, as_of=AS_OF)
    s = report.suggestion
    if report.suggested_weights is None:
        assert report.suggestion_withheld
        assert "as good as the data can tell" in report.suggestion_withheld
    else:
        assert s["difference_ci"][0] > 0 and s["cv_auc"] > s["current_cv_auc"]


def _bad_model(db: Database) -> None:
    """A current score that leans on the decoy and the proactive-touch input."""
    from csdesk.services.health.scoring import active_models, save_model_version

    with db.read() as s:
        config = active_models(s)[None].config
    inputs = {n: {"enabled": n in ("login_volume", "days_since_proactive_touch"),
                  "weight": 50.0 if n in ("login_volume", "days_since_proactive_touch")
                  else 0.0} for n in config["inputs"]}
    save_model_version(db, {**config, "inputs": inputs}, notes="a poor guess")


def test_a_suggestion_that_beats_a_poor_score_is_offered_and_applied(
        tmp_path: Path) -> None:
    with Database.open(resolve_database(tmp_path / "poor.sqlite")) as db:
        generate_demo(db, accounts=1500, seed=7, as_of=AS_OF)
        _bad_model(db)
        report = calibrate(db, as_of=AS_OF)
        assert report.suggestion_withheld is None and report.suggested_weights
        true_drivers = {"relationship", "time_to_first_value", "adoption_breadth",
                        "seat_utilisation"}
        assert true_drivers <= set(report.suggested_weights)
        assert "login_volume" not in report.suggested_weights
        assert sum(report.suggested_weights.values()) == pytest.approx(100, abs=0.5)
        s = report.suggestion
        assert s["difference_ci"][0] > 0 and s["cv_auc"] > s["current_cv_auc"] + 0.05
        version = apply_suggestion(db, report)
        assert version == 3
        e = explain(db, "ACC-000002", as_of=AS_OF)
        assert e.model.endswith("v3")
        assert {line.name for line in e.lines} == set(report.suggested_weights)
        after = calibrate(db, as_of=AS_OF)  # the applied weights are now the ones to beat
        assert after.current_score["cv_auc"] == pytest.approx(s["cv_auc"], abs=0.03)


def test_a_small_book_says_what_it_cannot_conclude_and_never_suggests_worse(
        tmp_path: Path) -> None:
    """250 accounts, the size of a real book: too few churns to judge nine inputs. Fewer
    inputs are fitted, nothing is zeroed on that evidence, and nothing worse is offered."""
    with Database.open(resolve_database(tmp_path / "small.sqlite")) as db:
        generate_demo(db, accounts=250, seed=7, as_of=AS_OF)
        report = calibrate(db, as_of=AS_OF)
    size = report.sample_size
    assert not size["adequate"] and size["inputs_supported"] < size["inputs_available"]
    assert len(report.model["inputs"]) == max(1, size["inputs_supported"])
    assert any("support about" in n for n in report.notes)
    assert not report.model["maximum_likelihood"]  # penalised on a small book
    unjudged = [r for r in report.inputs if not r.predictive]
    assert unjudged and all(r.verdict == "not enough evidence" for r in unjudged)
    lo, hi = report.current_score["cv_auc_ci"]
    assert lo < report.current_score["cv_auc"] < hi
    if report.suggested_weights is None:
        assert "as good as the data can tell" in report.suggestion_withheld
        assert "renewals are needed" in report.suggestion_withheld
    else:
        s = report.suggestion
        assert s["cv_auc"] > s["current_cv_auc"] and s["difference_ci"][0] > 0
        # an input the book cannot judge keeps its weight
        for name in report.current_weights:
            if name not in {r.name for r in report.inputs if r.verdict != "not enough "
                                                                           "evidence"}:
                assert report.suggested_weights.get(name, 0) > 0


def test_cutoff_moves_the_measurement_back(big_demo: Database) -> None:
    near = calibrate(big_demo, as_of=AS_OF, cutoff_days=0, bootstrap=100)
    far = calibrate(big_demo, as_of=AS_OF, cutoff_days=180, bootstrap=100)
    assert near.cutoff_days == 0 and far.cutoff_days == 180
    assert near.outcomes >= far.outcomes  # later cut-offs leave earlier customers out


def test_downsell_is_its_own_outcome(big_demo: Database) -> None:
    churn = calibrate(big_demo, as_of=AS_OF, bootstrap=100)
    down = calibrate(big_demo, as_of=AS_OF, outcome="downsell", bootstrap=100)
    assert down.outcome == "downsell" and down.outcomes < churn.outcomes  # churns left out
    assert 0 < down.churned < down.outcomes


def test_the_same_book_gives_the_same_report(big_demo: Database) -> None:
    a = calibrate(big_demo, as_of=AS_OF, bootstrap=200).as_json()
    b = calibrate(big_demo, as_of=AS_OF, bootstrap=200).as_json()
    assert a == b


def test_magic_number(big_demo: Database) -> None:
    m = magic_number(big_demo, metric="key_events", days=90, as_of=AS_OF)
    assert m.accounts >= 100 and m.threshold is not None
    assert m.retention_above > m.retention_below


TELCO = SHARED / "data" / "churn" / "telco-customer-churn.csv"


@pytest.mark.shared_data
@pytest.mark.skipif(not TELCO.exists(), reason="../shared/data/churn is not present")
@pytest.mark.filterwarnings("ignore:Inverting hessian failed")
def test_telco_book_matches_a_plain_statsmodels_logit(tmp_path: Path) -> None:
    """The public telco churn table imported as a book (status = Churn): csdesk's
    cross-validated AUC is within 0.02 of a plain statsmodels Logit on the same columns."""
    import pandas as pd
    import statsmodels.api as sm

    from csdesk.services.health.calibration import _folds
    from csdesk.services.sync.importer import ImportRequest, run_import

    raw = pd.read_csv(TELCO, dtype=str)
    book_csv = tmp_path / "telco.csv"
    out = raw.drop(columns=["Churn"]).assign(
        name=raw["customerID"], status=raw["Churn"].map({"Yes": "churned", "No": "active"}))
    out.to_csv(book_csv, index=False, quoting=csv.QUOTE_MINIMAL)
    with Database.open(resolve_database(tmp_path / "telco.sqlite")) as db:
        result = run_import(db, ImportRequest(book_csv, entity="accounts",
                                              overrides={"customerID": "external_id"}))
        assert result.written and result.inserted == len(raw)
        report = calibrate(db, inputs="custom", as_of=date(2026, 1, 1))
    assert report.mode == "status" and report.outcomes == len(raw)
    assert any("current values" in n for n in report.notes)

    # The same columns, the same encoding (one indicator per level but the first), plain Logit.
    y = (raw["Churn"] == "Yes").astype(int).to_numpy()
    cols = []
    for c in raw.columns.drop(["customerID", "Churn"]):
        numeric = pd.to_numeric(raw[c].str.strip(), errors="coerce")
        if numeric.notna().sum() >= 0.9 * raw[c].str.strip().replace("", np.nan).notna().sum():
            cols.append(numeric.rename(c))
        else:
            levels = sorted(raw[c].dropna().unique())
            cols += [(raw[c] == lv).astype(float).rename(f"{c}={lv}") for lv in levels[1:]]
    x = pd.concat(cols, axis=1)
    x = x.loc[:, x.nunique() > 1]
    fold = _folds(y, 5)
    pred = np.full(len(y), np.nan)
    for f in range(5):
        tr, te = fold != f, fold == f
        mean, std = x[tr].mean(), x[tr].std(ddof=0).replace(0, 1)
        xa = sm.add_constant(((x[tr].fillna(mean) - mean) / std).to_numpy())
        xb = sm.add_constant(((x[te].fillna(mean) - mean) / std).to_numpy())
        fit = sm.Logit(y[tr], xa).fit(disp=0, maxiter=200, method="bfgs")
        pred[te] = fit.predict(xb)
    plain = auc(y, pred)
    assert plain == pytest.approx(0.84, abs=0.03)  # what public analyses report
    assert abs(report.model["cv_auc"] - plain) <= 0.02
    lo, hi = report.model["cv_auc_ci"]  # the penalised fit's interval covers the plain fit
    assert lo <= plain <= hi


def test_calibration_ignores_everything_after_the_cutoff(tmp_path: Path) -> None:
    """Flood every churned account with perfect usage between its cut-off and its churn:
    a report that leaked would change; this one must not."""
    import pandas as pd
    from sqlalchemy import select

    from csdesk.db.bulk import upsert_rows
    from csdesk.models import Renewal, UsageSnapshot

    with Database.open(resolve_database(tmp_path / "leak.sqlite")) as db:
        generate_demo(db, accounts=400, seed=11, as_of=AS_OF)
        before = calibrate(db, as_of=AS_OF, cutoff_days=90)
        with db.write() as s:
            churned = s.execute(select(Renewal.account_id, Renewal.renewal_date)
                                .where(Renewal.outcome == "churned")).all()
            rows = [(acc, (pd.Timestamp(when) - pd.Timedelta(days=d)).date().isoformat(),
                     500, 10, 99_999, 12, 1)
                    for acc, when in churned for d in (3, 17, 31, 45, 59)]
            upsert_rows(s, UsageSnapshot.__table__,
                        ["account_id", "date", "active_users", "licensed_seats", "key_events",
                         "features_used", "logins"], ["account_id", "date"], rows)
        after = calibrate(db, as_of=AS_OF, cutoff_days=90)
    assert len(churned) > 20
    assert [(r.name, r.coef and round(r.coef, 9)) for r in before.inputs] == \
        [(r.name, r.coef and round(r.coef, 9)) for r in after.inputs]
    assert before.model["cv_auc"] == after.model["cv_auc"]


def test_no_look_ahead_custom_fields_are_read_as_of_the_cut_off(db: Database,
                                                               tmp_path: Path) -> None:
    """A custom field changed on churned accounts after they churned (a later import) does
    not move the calibration: each outcome reads it as of its cut-off."""
    from datetime import timedelta

    from csdesk import clock
    from csdesk.services.sync.importer import ImportRequest, run_import

    today = clock.today()
    rng = np.random.default_rng(3)
    rows, churned = [], []
    for i in range(80):
        gone = i % 4 == 0
        score = int(rng.normal(40 if gone else 60, 12))
        churned_on = (today - timedelta(days=100 + i)).isoformat() if gone else ""
        rows.append([f"C-{i:03}", f"Customer {i}", "churned" if gone else "active",
                     churned_on, str(score)])
        churned.append(gone)
    header = ["external_id", "name", "status", "churned_on", "Adoption score"]

    def write(name: str, data: list[list[str]]) -> Path:
        path = tmp_path / name
        with open(path, "w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([header, *data])
        return path

    first = run_import(db, ImportRequest(write("a.csv", rows), entity="accounts",
                                         as_of=today - timedelta(days=400)))
    assert first.written and first.inserted == 80
    before = calibrate(db, inputs="custom", as_of=today)
    assert before.mode == "status"
    assert any("no history (Adoption score)" in n for n in before.notes)  # honest

    # After they churned, the CRM zeroes the score of churned accounts: a leak if read now.
    leaked = [[*r[:4], "0" if gone else r[4]] for r, gone in zip(rows, churned, strict=True)]
    second = run_import(db, ImportRequest(write("b.csv", leaked), entity="accounts",
                                          as_of=today))
    assert second.written and second.updated == 20
    after = calibrate(db, inputs="custom", as_of=today)
    assert [(r.name, r.coef, r.auc) for r in after.inputs] == \
        [(r.name, r.coef, r.auc) for r in before.inputs]
    assert after.model["cv_auc"] == before.model["cv_auc"]
    assert not any("current values" in n for n in after.notes)  # it has history now


def test_the_csm_pulse_is_tested_like_any_other_input(tmp_path: Path) -> None:
    """Pulses recorded before each renewal: calibration measures the pulse as of the
    horizon (the latest on or before it) and reports it beside the computed inputs."""
    from datetime import timedelta

    import pandas as pd
    from sqlalchemy import select

    from csdesk.models import PulseEntry, Renewal

    rng = np.random.default_rng(5)
    with Database.open(resolve_database(tmp_path / "pulse.sqlite")) as db:
        generate_demo(db, accounts=400, seed=11, as_of=AS_OF)
        with db.write() as s:
            s.query(PulseEntry).delete()
            rows = s.execute(select(Renewal.account_id, Renewal.renewal_date, Renewal.outcome)
                             .where(Renewal.outcome.is_not(None))).all()
            for account_id, when, outcome in rows:
                gone = outcome == "churned"
                rating = int(np.clip(round((2 if gone else 4) + rng.normal(0, 1)), 1, 5))
                day = (pd.Timestamp(when) - pd.Timedelta(days=100)).date()
                s.add(PulseEntry(account_id=account_id, day=day, rating=rating, reasons=[]))
                # A pulse after the horizon (the CSM knew by then) must not be read.
                s.add(PulseEntry(account_id=account_id, day=day + timedelta(days=20),
                                 rating=1 if gone else 5, reasons=[]))
        report = calibrate(db, as_of=AS_OF, bootstrap=100)
    pulse = {r.name: r for r in report.inputs}["csm_pulse"]
    assert pulse.coverage > 0.5
    # The pulse 100 days out is noisy; the one 80 days out (after the horizon) would be
    # perfect. An AUC far below 1 shows only the first was read.
    assert 0.65 < pulse.auc < 0.95
